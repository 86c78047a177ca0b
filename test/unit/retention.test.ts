import { describe, expect, it } from "vitest";
import { parseRetention } from "../../src/server/retention.ts";

describe("parseRetention", () => {
  it("reads durations in every unit, and 0 as keep forever", () => {
    expect(["7d", "12h", "30m", "45s", "500ms", "1.5h", "0"].map(parseRetention)).toEqual([
      604_800_000, 43_200_000, 1_800_000, 45_000, 500, 5_400_000, 0,
    ]);
  });

  it("refuses what is not a duration, saying what is", () => {
    for (const bad of ["", "7", "seven days", "-1d", "1w", "1 d"]) expect(() => parseRetention(bad), bad).toThrow(/such as 7d, 12h, 30m or 45s, or 0/);
  });
});

import { describe, expect, it } from "vitest";
import { HistoryLayout } from "../../src/common/layout.ts";

describe("HistoryLayout", () => {
  it("keeps the one-stream layout dfut always had", () => {
    const layout = new HistoryLayout(1);
    expect([layout.stream("order-42"), layout.subject("order-42"), layout.subjectsOf(0), layout.streams()]).toEqual([
      "DFUT_HISTORY",
      "dfut.history.order-42",
      "dfut.history.>",
      ["DFUT_HISTORY"],
    ]);
  });

  it("fixes a workflow's partition by its id and spreads ids over every partition", () => {
    const layout = new HistoryLayout(3);
    const ids = Array.from({ length: 300 }, (_, i) => `order-${i}`);
    const counts = [0, 0, 0];
    for (const id of ids) counts[layout.partitionOf(id)]++;
    expect(counts.every((n) => n > 60)).toBe(true);
    expect(ids.map((id) => layout.partitionOf(id))).toEqual(ids.map((id) => new HistoryLayout(3).partitionOf(id)));
    const p = layout.partitionOf("order-42");
    expect([layout.stream("order-42"), layout.subject("order-42"), layout.subjectsOf(p)]).toEqual([
      `DFUT_HISTORY_${p}_OF_3`,
      `dfut.history.${p}.order-42`,
      `dfut.history.${p}.>`,
    ]);
  });

  it("refuses a partition count out of range", () => {
    for (const n of [0, -1, 1.5, 65, Number.NaN]) expect(() => new HistoryLayout(n)).toThrow(/from 1 to 64/);
  });
});

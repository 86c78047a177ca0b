import { describe, expect, it } from "vitest";
import { KeyedSerializer, redeliveryDelay, taskBackoff } from "../../src/common/consume.ts";
import { deferred } from "./support.ts";

/** Lets every promise reaction that is ready run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("KeyedSerializer", () => {
  it("runs the work of one key one at a time, in arrival order", async () => {
    const serializer = new KeyedSerializer();
    const log: string[] = [];
    const first = deferred();
    const second = deferred();
    const a = serializer.run("wf-1", async () => {
      log.push("first starts");
      await first.promise;
      log.push("first ends");
      return 1;
    });
    const b = serializer.run("wf-1", async () => {
      log.push("second starts");
      await second.promise;
      return 2;
    });
    const c = serializer.run("wf-1", async () => {
      log.push("third starts");
      return 3;
    });
    await settle();
    expect(log).toEqual(["first starts"]);
    first.resolve();
    await settle();
    expect(log).toEqual(["first starts", "first ends", "second starts"]);
    second.resolve();
    expect(await Promise.all([a, b, c])).toEqual([1, 2, 3]);
    expect(log).toEqual(["first starts", "first ends", "second starts", "third starts"]);
  });

  it("runs the work of different keys at the same time", async () => {
    const serializer = new KeyedSerializer();
    const started: string[] = [];
    const gate = deferred();
    const a = serializer.run("wf-1", async () => {
      started.push("wf-1");
      await gate.promise;
    });
    const b = serializer.run("wf-2", async () => {
      started.push("wf-2");
      await gate.promise;
    });
    await settle();
    expect(started).toEqual(["wf-1", "wf-2"]);
    gate.resolve();
    await Promise.all([a, b]);
  });

  it("hands a failure to its own caller and still runs the next work of the key", async () => {
    const serializer = new KeyedSerializer();
    const failing = serializer.run("wf-1", async () => {
      throw new Error("handler failed");
    });
    const next = serializer.run("wf-1", async () => "ran");
    await expect(failing).rejects.toThrow("handler failed");
    await expect(next).resolves.toBe("ran");
  });

  it("runs work that throws synchronously as a failure of that work only", async () => {
    const serializer = new KeyedSerializer();
    const failing = serializer.run("wf-1", () => {
      throw new Error("sync");
    });
    await expect(failing).rejects.toThrow("sync");
    await expect(serializer.run("wf-1", async () => 5)).resolves.toBe(5);
  });
});

describe("redeliveryDelay", () => {
  it("doubles from 0.5 s with each delivery, up to 30 s", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 100].map(redeliveryDelay)).toEqual([500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
  });

  it("treats a delivery count below 1 as the first delivery", () => {
    expect(redeliveryDelay(0)).toBe(500);
  });
});

describe("taskBackoff", () => {
  it("doubles from 1 s with each delivery, up to 30 s", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 50].map(taskBackoff)).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
  });

  it("treats a delivery count below 1 as the first delivery", () => {
    expect(taskBackoff(0)).toBe(1000);
  });
});

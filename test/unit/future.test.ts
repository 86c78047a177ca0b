import { describe, expect, it } from "vitest";
import { DurableFuture } from "../../src/workflow/future.ts";
import { seededRandom, uuidFrom } from "../../src/workflow/random.ts";

describe("DurableFuture", () => {
  it("is awaitable and settles once, with the first value", async () => {
    const future = new DurableFuture<number>();
    expect(future.settled).toBe(false);
    future.resolve(1);
    future.resolve(2);
    future.reject(new Error("late"));
    expect(future.settled).toBe(true);
    expect(await future).toBe(1);
    expect(await future.get()).toBe(1);
  });

  it("rejects once, and catch sees the error", async () => {
    const future = new DurableFuture<number>();
    future.reject(new Error("failed"));
    future.resolve(3);
    await expect(future.get()).rejects.toThrow("failed");
    expect(await future.catch((err: unknown) => (err as Error).message)).toBe("failed");
  });

  it("does not make an unhandled rejection when nobody awaits it", async () => {
    const unhandled: unknown[] = [];
    const listener = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", listener);
    try {
      new DurableFuture<void>().reject(new Error("nobody listens"));
      await new Promise<void>((resolve) => setImmediate(resolve));
      await new Promise<void>((resolve) => setImmediate(resolve));
    } finally {
      process.off("unhandledRejection", listener);
    }
    expect(unhandled).toEqual([]);
  });
});

describe("seededRandom and uuidFrom", () => {
  it("give the same sequence for the same seed, and another for another seed", () => {
    const take = (seed: string) => {
      const random = seededRandom(seed);
      return Array.from({ length: 5 }, () => random());
    };
    expect(take("wf-1")).toEqual(take("wf-1"));
    expect(take("wf-1")).not.toEqual(take("wf-2"));
    expect(take("wf-1").every((n) => n >= 0 && n < 1)).toBe(true);
    expect(new Set(take("wf-1")).size).toBe(5);
  });

  it("make version 4 UUIDs from the sequence", () => {
    const a = uuidFrom(seededRandom("wf-1"));
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(uuidFrom(seededRandom("wf-1"))).toBe(a);
    const random = seededRandom("wf-1");
    expect(uuidFrom(random)).not.toBe(uuidFrom(random));
  });
});

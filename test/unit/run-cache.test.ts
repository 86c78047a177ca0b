import { describe, expect, it } from "vitest";
import { RunCache } from "../../src/worker/run-cache.ts";
import type { WorkflowContext } from "../../src/workflow/context.ts";
import { WorkflowExecution } from "../../src/workflow/execution.ts";
import { History } from "./support.ts";

async function Idle(_ctx: WorkflowContext) {
  return null;
}

const run = (workflowId: string) => new WorkflowExecution(workflowId, Idle, new History().started("Idle"));

describe("RunCache", () => {
  it("gives back what it remembered, by workflow id", () => {
    const cache = new RunCache(10);
    const a = run("a");
    cache.remember(a);
    expect(cache.get("a")).toBe(a);
    expect(cache.get("b")).toBeUndefined();
    expect(cache.size).toBe(1);
  });

  it("forgets the least recently remembered run past its capacity", () => {
    const cache = new RunCache(2);
    const [a, b, c] = [run("a"), run("b"), run("c")];
    cache.remember(a);
    cache.remember(b);
    cache.remember(c);
    expect(cache.size).toBe(2);
    expect(cache.get("a")).toBeUndefined();
    expect([cache.get("b"), cache.get("c")]).toEqual([b, c]);
  });

  it("counts remembering a run again as a use", () => {
    const cache = new RunCache(2);
    const [a, b, c] = [run("a"), run("b"), run("c")];
    cache.remember(a);
    cache.remember(b);
    cache.remember(a);
    cache.remember(c);
    expect(cache.get("a")).toBe(a);
    expect(cache.get("b")).toBeUndefined();
  });

  it("replaces the run of a workflow with a newer one without growing", () => {
    const cache = new RunCache(2);
    const older = run("a");
    const newer = run("a");
    cache.remember(older);
    cache.remember(newer);
    expect(cache.get("a")).toBe(newer);
    expect(cache.size).toBe(1);
  });

  it("evicts a workflow's run", () => {
    const cache = new RunCache(2);
    cache.remember(run("a"));
    cache.evict("a");
    expect(cache.get("a")).toBeUndefined();
    expect(cache.size).toBe(0);
    cache.evict("never-there");
    expect(cache.size).toBe(0);
  });

  it("evicts with `only` just when the cached run is still that one", () => {
    const cache = new RunCache(2);
    const stale = run("a");
    const current = run("a");
    cache.remember(current);
    cache.evict("a", stale);
    expect(cache.get("a")).toBe(current);
    cache.evict("a", current);
    expect(cache.get("a")).toBeUndefined();
  });
});

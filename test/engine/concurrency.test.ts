import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HistoryEvent } from "dfut";
import { spawnWorker, startEnv, type TestEnv, type WorkerProcess } from "../support/env.ts";
import { readEffects } from "../fixtures/effects.ts";

let env: TestEnv;
let effects: string;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  env = await startEnv();
  effects = mkdtempSync(join(tmpdir(), "dfut-effects-"));
  for (const role of ["workflows", "workflows", "activities", "activities"]) {
    workers.push(spawnWorker(env.nats.url, "durable.ts", { DFUT_EFFECTS_DIR: effects, DFUT_ROLE: role }));
  }
  await Promise.all(workers.map((w) => w.ready));
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill()));
  await env?.stop();
  rmSync(effects, { recursive: true, force: true });
});

/** Commands and outcomes that must appear at most once per step and attempt. */
function duplicates(history: HistoryEvent[]): string[] {
  const seen = new Set<string>();
  const dups: string[] = [];
  for (const e of history) {
    let key: string | undefined;
    if (e.type === "ActivityScheduled") key = `sched:${e.activityId}`;
    if (e.type === "ActivityStarted") key = `start:${e.activityId}:${e.attempt}`;
    if (e.type === "ActivityCompleted" || e.type === "ActivityFailed") key = `outcome:${e.activityId}:${e.attempt}`;
    if (e.type === "WorkflowCompleted" || e.type === "WorkflowFailed") key = "close";
    if (!key) continue;
    if (seen.has(key)) dups.push(`${key} at seq ${e.seq}`);
    seen.add(key);
  }
  return dups;
}

describe("two workflow workers and two activity workers on one queue", () => {
  it("run 200 concurrent workflows to completion exactly once, with no duplicated command or outcome", async () => {
    const ids = Array.from({ length: 200 }, (_, i) => `conc-${i}`);
    const handles = await Promise.all(ids.map((workflowId) => env.client.start("ChainWorkflow", { args: [3], workflowId })));
    expect(await Promise.all(handles.map((h) => h.result()))).toEqual(ids.map(() => 3));
    const histories = await Promise.all(ids.map((id) => env.client.history(id)));
    for (const [i, history] of histories.entries()) {
      expect(duplicates(history), ids[i]).toEqual([]);
      expect(history.filter((e) => e.type === "WorkflowCompleted")).toHaveLength(1);
      for (let step = 1; step <= 3; step++) expect(readEffects(effects, `echo-${ids[i]}-${step}`), `${ids[i]} step ${step}`).toHaveLength(1);
    }
    // Both workflow workers and both activity workers took part.
    const activityWorkers = new Set(histories.flatMap((h) => h.flatMap((e) => (e.type === "ActivityStarted" ? [e.worker] : []))));
    expect(activityWorkers.size).toBe(2);
  });

  it("Promise.all over activity futures runs them in parallel, and a replay after one finished schedules none again", async () => {
    const handle = await env.client.start("FanOutWorkflow", { args: [[600, 10, 300]], workflowId: "fanout" });
    expect(await handle.result()).toEqual(["p0", "p1", "p2", "after"]);
    const history = await handle.history();
    expect(duplicates(history)).toEqual([]);
    const scheduled = history.filter((e) => e.type === "ActivityScheduled");
    expect(scheduled.map((e) => e.type === "ActivityScheduled" && e.activityId)).toEqual([1, 2, 3, 4]);
    const started = (id: number) => history.find((e) => e.type === "ActivityStarted" && e.activityId === id)!;
    const completed = (id: number) => history.find((e) => e.type === "ActivityCompleted" && e.activityId === id)!;
    // All three were scheduled without waiting for one another: before the slow one completed.
    expect(history.indexOf(scheduled[2])).toBeLessThan(history.indexOf(completed(1)));
    // They overlapped: the 600 ms one was still running when the 10 ms one finished (history
    // order, not clock readings: two events can share a millisecond).
    expect(history.indexOf(completed(2))).toBeLessThan(history.indexOf(completed(1)));
    expect(history.indexOf(started(1))).toBeLessThan(history.indexOf(completed(2)));
    for (let step = 1; step <= 4; step++) expect(readEffects(effects, `echo-fanout-${step}`)).toHaveLength(1);
  });
});

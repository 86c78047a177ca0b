import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { HistoryEvent } from "dfut";
import { eventually, spawnWorker, startEnv, type TestEnv, type WorkerProcess } from "../support/env.ts";
import { readEffects } from "../fixtures/effects.ts";

let env: TestEnv;
let effects: string;
const processes: WorkerProcess[] = [];

function worker(role: "workflows" | "activities" | "all"): WorkerProcess {
  const w = spawnWorker(env.nats.url, "crashy.ts", { DFUT_EFFECTS_DIR: effects, DFUT_ROLE: role, DFUT_ACK_WAIT_MS: "1500" });
  processes.push(w);
  return w;
}

beforeAll(async () => {
  env = await startEnv();
  effects = mkdtempSync(join(tmpdir(), "dfut-effects-"));
});
afterEach(async () => {
  await Promise.all(processes.splice(0).map((p) => p.kill()));
});
afterAll(async () => {
  await env?.stop();
  rmSync(effects, { recursive: true, force: true });
});

const types = (h: HistoryEvent[]) => h.map((e) => e.type);

describe("kill -9", () => {
  it("of an activity worker mid-activity: another worker retries it, history records the lost attempt, finished activities never run again", async () => {
    const workflows = worker("workflows");
    const doomed = worker("activities");
    await Promise.all([workflows.ready, doomed.ready]);
    const handle = await env.client.start("ThreeStepWorkflow", { args: [3000], workflowId: "crash-activity" });
    await eventually(() => readEffects(effects, "slow-crash-activity").length === 1 || undefined, 20_000, "the slow activity to start");
    await doomed.kill("SIGKILL");

    const rescuer = worker("activities");
    await rescuer.ready;
    const result = await handle.result();
    expect(result).toEqual({ a: 10, b: 20, slow: "slept 3000", c: 30 });

    // Steps 1 and 2 completed before the crash: each ran exactly once.
    expect(readEffects(effects, "step-crash-activity-1")).toHaveLength(1);
    expect(readEffects(effects, "step-crash-activity-2")).toHaveLength(1);
    expect(readEffects(effects, "step-crash-activity-3")).toHaveLength(1);
    // The slow one started twice (the lost attempt and the retry) and finished once.
    expect(readEffects(effects, "slow-crash-activity")).toHaveLength(2);
    expect(readEffects(effects, "slow-done-crash-activity")).toHaveLength(1);

    const history = await handle.history();
    const lost = history.find((e) => e.type === "ActivityFailed");
    expect(lost?.type === "ActivityFailed" && [lost.activityId, lost.attempt, lost.error.name, lost.willRetry]).toEqual([3, 1, "WorkerLost", true]);
    const completed = history.filter((e) => e.type === "ActivityCompleted").map((e) => e.type === "ActivityCompleted" && e.activityId);
    expect(completed).toEqual([1, 2, 3, 4]);
    expect(types(history).at(-1)).toBe("WorkflowCompleted");
  });

  it("of a workflow worker mid-workflow: another replays and continues without re-running finished activities", async () => {
    const activities = worker("activities");
    const doomed = worker("workflows");
    await Promise.all([activities.ready, doomed.ready]);
    const handle = await env.client.start("SleepyWorkflow", { args: [1500], workflowId: "crash-workflow" });
    await eventually(async () => (types(await handle.history()).includes("TimerStarted") ? true : undefined), 20_000, "the timer to start");
    await doomed.kill("SIGKILL");

    const replacement = worker("workflows");
    await replacement.ready;
    expect(await handle.result()).toBe(30);
    expect(readEffects(effects, "step-crash-workflow-1")).toHaveLength(1);
    expect(readEffects(effects, "step-crash-workflow-2")).toHaveLength(1);
    const history = await handle.history();
    expect(types(history).filter((t) => t === "ActivityScheduled")).toHaveLength(2);
    expect(types(history).filter((t) => t === "TimerStarted")).toHaveLength(1);
  });
});

describe("kill -9 of a worker running an activity eagerly (workflows and activities in one process)", () => {
  it("another worker rebuilds the run, records the lost attempt and retries it; finished activities never run again", async () => {
    const doomed = worker("all");
    await doomed.ready;
    const handle = await env.client.start("ThreeStepWorkflow", { args: [3000], workflowId: "crash-eager" });
    await eventually(() => readEffects(effects, "slow-crash-eager").length === 1 || undefined, 20_000, "the slow activity to start");
    await doomed.kill("SIGKILL");
    const history = await handle.history();
    const slowStart = history.find((e) => e.type === "ActivityStarted" && e.activityId === 3);
    // It really ran in place: no task message of its own.
    expect(slowStart?.type === "ActivityStarted" && slowStart.eager).toBe(true);

    const rescuer = worker("all");
    await rescuer.ready;
    expect(await handle.result()).toEqual({ a: 10, b: 20, slow: "slept 3000", c: 30 });
    expect(readEffects(effects, "step-crash-eager-1")).toHaveLength(1);
    expect(readEffects(effects, "step-crash-eager-2")).toHaveLength(1);
    expect(readEffects(effects, "slow-crash-eager")).toHaveLength(2);
    expect(readEffects(effects, "slow-done-crash-eager")).toHaveLength(1);
    const lost = (await handle.history()).find((e) => e.type === "ActivityFailed");
    expect(lost?.type === "ActivityFailed" && [lost.activityId, lost.attempt, lost.error.name, lost.willRetry]).toEqual([3, 1, "WorkerLost", true]);
  });
});

describe("a workflow worker that died between recording a step and publishing its task", () => {
  it("leaves nothing stuck: the next worker to rebuild the run publishes the task again", async () => {
    const { appendEvent, lastEvent } = await import("../../src/common/history.ts");
    const { resolveActivityOptions } = await import("../../src/common/options.ts");
    // The history as the dead worker left it: its step is recorded, its task never published.
    await env.client.start("SleepyWorkflow", { args: [10], workflowId: "orphan-step", queue: "orphans" });
    const started = await lastEvent(env.connection, "orphan-step");
    await appendEvent(env.connection,
      "orphan-step",
      {
        type: "ActivityScheduled",
        time: new Date().toISOString(),
        activityId: 1,
        activityType: "StepActivity",
        args: [1],
        options: resolveActivityOptions("orphans"),
      },
      { expectLastSeq: started!.seq },
    );
    const w = spawnWorker(env.nats.url, "crashy.ts", { DFUT_EFFECTS_DIR: effects, DFUT_QUEUE: "orphans" });
    processes.push(w);
    await w.ready;
    expect(await env.client.handle("orphan-step").result()).toBe(30);
    expect(readEffects(effects, "step-orphan-step-1")).toHaveLength(1);
    const scheduled = (await env.client.history("orphan-step")).filter((e) => e.type === "ActivityScheduled");
    expect(scheduled).toHaveLength(2);
  });
});

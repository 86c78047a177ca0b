// The replay core is pure: events in, commands out. No NATS here.
import { describe, expect, it } from "vitest";
import type { HistoryEvent, WorkflowContext, WorkflowStarted } from "dfut";
import { WorkflowExecution } from "../../src/workflow/execution.ts";
import { resolveActivityOptions } from "../../src/common/options.ts";

const T0 = Date.parse("2026-01-01T00:00:00.000Z");
let seq = 0;
const at = (ms: number) => new Date(T0 + ms).toISOString();
const started = (workflowType: string, args: unknown[] = []): WorkflowStarted => ({
  seq: ++seq,
  time: at(0),
  type: "WorkflowStarted",
  workflowType,
  args,
  queue: "default",
  options: {},
});
const scheduled = (activityId: number, activityType: string, args: unknown[] = []): HistoryEvent => ({
  seq: ++seq,
  time: at(seq),
  type: "ActivityScheduled",
  activityId,
  activityType,
  args,
  options: resolveActivityOptions("default"),
});
const completed = (activityId: number, result: unknown): HistoryEvent => ({
  seq: ++seq,
  time: at(seq),
  type: "ActivityCompleted",
  activityId,
  attempt: 1,
  result,
});

async function A(x: string) {
  return x;
}
async function B(x: string) {
  return x;
}

async function FanOut(ctx: WorkflowContext) {
  const [a, b] = await Promise.all([ctx.executeActivity(A, "a"), ctx.executeActivity(B, "b")]);
  return `${a}${b}`;
}

describe("replay", () => {
  it("schedules both parallel activities once, and nothing again when one has finished", async () => {
    seq = 0;
    const start = started("FanOut");
    const fresh = new WorkflowExecution("wf-1", FanOut, start);
    const commands = await fresh.apply([start]);
    expect(commands.map((c) => c.kind === "ScheduleActivity" && [c.activityId, c.activityType])).toEqual([
      [1, "A"],
      [2, "B"],
    ]);

    // A cold replay of the history after A finished: no command at all.
    const history = [start, scheduled(1, "A", ["a"]), scheduled(2, "B", ["b"]), completed(1, "a")];
    const replay = new WorkflowExecution("wf-1", FanOut, start);
    expect(await replay.apply(history)).toEqual([]);
    // Then B finishes: the workflow completes.
    expect(await replay.apply([completed(2, "b")])).toEqual([{ kind: "CompleteWorkflow", result: "ab" }]);
  });

  it("names the recorded and the new command when the code changed under a running workflow", async () => {
    seq = 0;
    const start = started("Changed");
    async function Changed(ctx: WorkflowContext) {
      return ctx.executeActivity(B, "a");
    }
    const replay = new WorkflowExecution("wf-2", Changed, start);
    await expect(replay.apply([start, scheduled(1, "A", ["a"])])).rejects.toThrow(
      "step #1: history records activity A (event seq 2) but the workflow code now schedules activity B",
    );
  });

  it("notices a recorded step the code no longer schedules", async () => {
    seq = 0;
    const start = started("Shrunk");
    async function Shrunk() {
      return "nothing to do";
    }
    const replay = new WorkflowExecution("wf-3", Shrunk, start);
    await expect(replay.apply([start, scheduled(1, "A", ["a"])])).rejects.toThrow(
      "history records activity A as step #1 (event seq 2), but the workflow code did not schedule it",
    );
  });

  it("reports an activity replayed with other arguments: a warning with both values, or a failure when asked", async () => {
    seq = 0;
    const start = started("NewArgs");
    async function NewArgs(ctx: WorkflowContext) {
      return ctx.executeActivity(A, "changed");
    }
    const history = [start, scheduled(1, "A", ["original"])];
    const warnings: string[] = [];
    const warned = new WorkflowExecution("wf-5", NewArgs, start, { onWarning: (w) => warnings.push(w) });
    expect(await warned.apply(history)).toEqual([]);
    expect(warnings).toEqual([
      'workflow wf-5: step #1: history records activity A with arguments ["original"] (event seq 2) but the workflow code now passes ["changed"]; going on with the recorded step',
    ]);
    const strict = new WorkflowExecution("wf-5", NewArgs, start, { argumentMismatch: "fail" });
    await expect(strict.apply(history)).rejects.toThrow(
      'step #1: history records activity A with arguments ["original"] (event seq 2) but the workflow code now passes ["changed"]',
    );
    // The same arguments, however the code spelled them, say nothing.
    const same = new WorkflowExecution("wf-5", NewArgs, start, { argumentMismatch: "fail" });
    expect(await same.apply([start, scheduled(1, "A", ["changed"])])).toEqual([]);
  });

  it("gives the same now/random/uuid on every replay", async () => {
    seq = 0;
    const start = started("Values");
    async function Values(ctx: WorkflowContext) {
      return { now: ctx.now().toISOString(), random: ctx.random(), uuid: ctx.uuid() };
    }
    const one = await new WorkflowExecution("wf-4", Values, start).apply([start]);
    const two = await new WorkflowExecution("wf-4", Values, start).apply([start]);
    expect(one).toEqual(two);
    expect(one[0]).toMatchObject({ kind: "CompleteWorkflow", result: { now: at(0) } });
  });
});

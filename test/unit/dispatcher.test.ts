// The execution-index projection alone: how each event changes the record it is given.
import { describe, expect, it } from "vitest";
import type { HistoryEvent } from "../../src/common/events.ts";
import type { ExecutionRecord } from "../../src/common/executions.ts";
import { project } from "../../src/server/dispatcher.ts";
import { History } from "./support.ts";

/** The record after the event, from `current`; "unchanged" when the projection writes nothing. */
function apply(event: HistoryEvent, current?: ExecutionRecord): ExecutionRecord | "unchanged" {
  const mutate = project("wf-1", event);
  if (!mutate) return "unchanged";
  return mutate(current) ?? "unchanged";
}

const running = (statusSeq: number, extra: Partial<ExecutionRecord> = {}): ExecutionRecord => ({
  workflowId: "wf-1",
  workflowType: "OrderWorkflow",
  queue: "default",
  status: "running",
  statusSeq,
  ...extra,
});

describe("project", () => {
  it("creates a running record from a WorkflowStarted", () => {
    const started = new History().started("OrderWorkflow", ["Bob", 2], "payments");
    expect(apply(started)).toEqual({
      workflowId: "wf-1",
      workflowType: "OrderWorkflow",
      queue: "payments",
      args: ["Bob", 2],
      startedAt: started.time,
      status: "running",
      statusSeq: 1,
      runId: "1",
      runs: ["1"],
    });
  });

  it("keeps a newer status when a WorkflowStarted arrives after it, and fills in the rest", () => {
    const started = new History().started("OrderWorkflow", ["Bob"]);
    const closed: ExecutionRecord = { workflowId: "wf-1", status: "completed", statusSeq: 9, result: "done" };
    expect(apply(started, closed)).toEqual({
      workflowId: "wf-1",
      workflowType: "OrderWorkflow",
      queue: "default",
      args: ["Bob"],
      startedAt: started.time,
      status: "completed",
      statusSeq: 9,
      result: "done",
      runId: "1",
      runs: ["1"],
    });
  });

  it("gives a later run of the id a record of its own, listing the runs; an older run's start changes nothing", () => {
    const started = new History().started("OrderWorkflow", ["Bob"]);
    const closed: ExecutionRecord = { workflowId: "wf-1", status: "completed", statusSeq: 3, result: "done", closedAt: "t", runId: "1", runs: ["1"] };
    const next = { ...started, seq: 7, args: ["Ann"], continuedFrom: "1" } as never;
    const record = apply(next, closed) as ExecutionRecord;
    expect(record).toMatchObject({ status: "running", statusSeq: 7, runId: "7", runs: ["1", "7"], continuedFrom: "1", args: ["Ann"] });
    expect(record.result).toBeUndefined();
    expect(record.closedAt).toBeUndefined();
    expect(apply(started, record)).toBe("unchanged");
  });

  it("keeps a problem noted before the WorkflowStarted was projected", () => {
    const started = new History().started("OrderWorkflow");
    expect(apply(started, running(5, { problem: "no worker" }))).toMatchObject({ status: "running", statusSeq: 5, problem: "no worker" });
  });

  it("closes a running record with each close kind and what it carries", () => {
    const h = new History();
    h.started("OrderWorkflow");
    const error = { name: "CardDeclined", message: "declined" };
    const completed = h.workflowCompleted({ ok: true });
    expect(apply(completed, running(1, { problem: "slow" }))).toMatchObject({
      status: "completed",
      statusSeq: completed.seq,
      closedAt: completed.time,
      result: { ok: true },
      problem: undefined,
    });
    expect(apply(h.workflowFailed(error), running(1))).toMatchObject({ status: "failed", error });
    expect(apply(h.workflowCanceled("asked"), running(1))).toMatchObject({
      status: "canceled",
      error: { name: "CanceledError", message: "asked" },
    });
    expect(apply(h.workflowCanceled(""), running(1))).toMatchObject({ error: { name: "CanceledError", message: "canceled" } });
  });

  it("closes as terminated on a WorkflowTerminated, with its reason", () => {
    const h = new History();
    h.started("OrderWorkflow");
    const terminated = h.terminated("stuck on a bad message");
    expect(apply(terminated, running(1, { problem: "history event seq 3 cannot be decoded" }))).toMatchObject({
      status: "terminated",
      statusSeq: terminated.seq,
      closedAt: terminated.time,
      error: { name: "Terminated", message: "stuck on a bad message" },
      problem: undefined,
    });
    expect(apply(h.terminated(""), running(1))).toMatchObject({ error: { name: "Terminated", message: "terminated" } });
  });

  it("clears the problem of the record it closes", () => {
    const h = new History();
    h.started("OrderWorkflow");
    const next = apply(h.workflowCompleted(1), running(1, { problem: "no worker" }));
    expect(next).not.toBe("unchanged");
    expect(next !== "unchanged" && next.problem).toBeUndefined();
  });

  it("never lets an older or the same event override a close", () => {
    const closed: ExecutionRecord = { workflowId: "wf-1", status: "completed", statusSeq: 10 };
    const h = new History();
    const failed = { ...h.workflowFailed({ name: "E", message: "m" }), seq: 8 };
    const again = { ...h.workflowCompleted(1), seq: 10 };
    expect(apply(failed, closed)).toBe("unchanged");
    expect(apply(again, closed)).toBe("unchanged");
  });

  it("lets a later close replace an earlier one", () => {
    const closed: ExecutionRecord = { workflowId: "wf-1", status: "canceled", statusSeq: 4 };
    const terminated = { ...new History().terminated("x"), seq: 6 };
    expect(apply(terminated, closed)).toMatchObject({ status: "terminated", statusSeq: 6 });
  });

  it("creates the record of a close whose start it has not seen", () => {
    const completed = { ...new History().workflowCompleted("r"), seq: 7 };
    expect(apply(completed)).toMatchObject({ workflowId: "wf-1", status: "completed", statusSeq: 7, result: "r" });
  });

  it("notes a failed workflow task as a problem, only while the workflow runs", () => {
    const h = new History();
    const failedTask = h.taskFailed({ name: "NonDeterminismError", message: "step #1 changed" });
    expect(apply(failedTask, running(1))).toEqual(running(1, { problem: "workflow task failed: NonDeterminismError: step #1 changed" }));
    expect(apply(failedTask, { workflowId: "wf-1", status: "failed", statusSeq: 9 })).toBe("unchanged");
    expect(apply(failedTask)).toBe("unchanged");
  });

  it("notes an undecodable event on a running workflow, creating the record when there is none", () => {
    const bad = { ...new History().undecodable("it is not JSON (Unexpected token)"), seq: 4 };
    const problem = "history event seq 4 cannot be decoded: it is not JSON (Unexpected token)";
    expect(apply(bad, running(1))).toEqual(running(1, { problem }));
    expect(apply(bad)).toEqual({ workflowId: "wf-1", status: "running", statusSeq: 4, problem });
    expect(apply(bad, { workflowId: "wf-1", status: "terminated", statusSeq: 5 })).toBe("unchanged");
  });

  it("leaves the index alone for the events of steps, signals and cancel requests", () => {
    const h = new History();
    const events: HistoryEvent[] = [
      h.scheduled(1, "A"),
      h.activityStarted(1),
      h.completed(1, "x"),
      h.failed(1, { name: "E", message: "m" }),
      h.timerStarted(2, "2026-01-01T01:00:00.000Z"),
      h.timerFired(2),
      h.signal("go", null),
      h.cancel("asked"),
    ];
    for (const event of events) expect(project("wf-1", event)).toBeUndefined();
  });
});

import { describe, expect, it } from "vitest";
import type { EventType, HistoryEvent } from "../../src/common/events.ts";
import { eventMsgIds, taskMsgIds } from "../../src/common/msg-ids.ts";
import { History } from "./support.ts";

describe("taskMsgIds.workflow", () => {
  const h = new History();
  const error = { name: "E", message: "m" };
  // One event of every kind, and the id of the workflow task it causes.
  const cases: Record<EventType, [HistoryEvent, string]> = {
    WorkflowStarted: [h.started("W"), "wft:wf-1:start:1"],
    ActivityScheduled: [h.scheduled(2, "A"), "wft:wf-1:seq:2"],
    ActivityStarted: [h.activityStarted(2), "wft:wf-1:seq:3"],
    ActivityCompleted: [h.completed(2, "ok", 1), "wft:wf-1:act:2:1"],
    ActivityFailed: [h.failed(2, error, { attempt: 3 }), "wft:wf-1:act:2:3"],
    TimerStarted: [h.timerStarted(4, "2026-01-01T01:00:00.000Z"), "wft:wf-1:seq:6"],
    TimerFired: [h.timerFired(4), "wft:wf-1:timer:4"],
    SignalReceived: [h.signal("go", 1), "wft:wf-1:seq:8"],
    CancelRequested: [h.cancel("stop"), "wft:wf-1:seq:9"],
    WorkflowCompleted: [h.workflowCompleted(1), "wft:wf-1:seq:10"],
    WorkflowFailed: [h.workflowFailed(error), "wft:wf-1:seq:11"],
    WorkflowCanceled: [h.workflowCanceled("x"), "wft:wf-1:seq:12"],
    WorkflowTerminated: [h.terminated("x"), "wft:wf-1:seq:13"],
    WorkflowTaskFailed: [h.taskFailed(error), "wft:wf-1:seq:14"],
    Undecodable: [h.undecodable("bad"), "wft:wf-1:seq:15"],
    PatchMarked: [h.patch("p"), "wft:wf-1:seq:16"],
    WorkflowContinuedAsNew: [h.continuedAsNew([1], 5), "wft:wf-1:seq:17"],
    ChildWorkflowScheduled: [h.childScheduled(5, "kid"), "wft:wf-1:seq:18"],
    ChildWorkflowStarted: [h.childStarted(5, "kid"), "wft:wf-1:child:5:started"],
    ChildWorkflowStartFailed: [h.childStartFailed(6, "kid", error), "wft:wf-1:child:6:closed"],
    ChildWorkflowClosed: [h.childClosed(5, "kid", { status: "completed", result: 1 }), "wft:wf-1:child:5:closed"],
    ChildWorkflowSignaled: [h.childSignaled(7, "kid", "go", 1), "wft:wf-1:seq:22"],
    StepCanceled: [h.stepCanceled(2), "wft:wf-1:seq:23"],
    UpdateAccepted: [{ ...h.next(), type: "UpdateAccepted", updateId: "u-1", name: "add", args: [1] }, "wft:wf-1:seq:24"],
    UpdateCompleted: [{ ...h.next(), type: "UpdateCompleted", updateId: "u-1", result: 1 }, "wft:wf-1:seq:25"],
  };

  for (const [type, [event, id]] of Object.entries(cases)) {
    it(`derives the task id of a ${type} from what it stands for`, () => {
      expect(taskMsgIds.workflow("wf-1", event)).toBe(id);
    });
  }

  it("gives a redelivered outcome the same id, whatever its sequence", () => {
    const [completed] = cases.ActivityCompleted;
    expect(taskMsgIds.workflow("wf-1", { ...completed, seq: 99 })).toBe(taskMsgIds.workflow("wf-1", completed));
  });

  it("tells the attempts of one activity and the workflows apart", () => {
    const failed = new History().failed(2, error, { attempt: 3 });
    expect(taskMsgIds.workflow("wf-1", { ...failed, attempt: 4 })).not.toBe(taskMsgIds.workflow("wf-1", failed));
    expect(taskMsgIds.workflow("wf-2", failed)).toBe("wft:wf-2:act:2:3");
  });
});

describe("taskMsgIds and eventMsgIds", () => {
  it("gives every attempt its own task id", () => {
    expect(taskMsgIds.activity("wf-1", 2, 3)).toBe("act:wf-1:2:3");
    expect(new Set([taskMsgIds.activity("wf-1", 1, 1), taskMsgIds.activity("wf-1", 1, 2), taskMsgIds.activity("wf-1", 2, 1)]).size).toBe(3);
    expect(taskMsgIds.timer("wf-1", 5)).toBe("tmr:wf-1:5");
  });

  it("names the history events of steps, attempts and the close", () => {
    expect(eventMsgIds.step("wf-1", 4)).toBe("wf-1:step:4");
    expect(eventMsgIds.close("wf-1", "7")).toBe("wf-1:7:close");
    expect(eventMsgIds.patch("wf-1", "7", "p")).toBe("wf-1:7:patch:p");
    expect(eventMsgIds.activityStarted("wf-1", 2, 3)).toBe("wf-1:act:2:3:started");
    expect(eventMsgIds.activityOutcome("wf-1", 2, 3)).toBe("wf-1:act:2:3:outcome");
    expect(eventMsgIds.timerFired("wf-1", 5)).toBe("wf-1:timer:5:fired");
    expect(eventMsgIds.updateAccepted("wf-1", "u-1")).toBe("wf-1:update:u-1:accepted");
    expect(eventMsgIds.updateCompleted("wf-1", "u-1")).toBe("wf-1:update:u-1:completed");
  });
});

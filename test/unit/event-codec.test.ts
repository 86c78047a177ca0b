import { describe, expect, it } from "vitest";
import { decodeEvent, eventProblem, undecodableProblem } from "../../src/common/event-codec.ts";
import type { HistoryEvent, RecordedEvent, RecordedEventType, UndecodableEvent } from "../../src/common/events.ts";
import { bytes, History, json } from "./support.ts";

const h = new History();
const error = { name: "CardDeclined", message: "declined" };
const parent = { workflowId: "order-7", runId: "1", stepId: 4, queue: "default" };

/** One event of every kind dfut records. */
const EXAMPLES: Record<RecordedEventType, RecordedEvent> = {
  WorkflowStarted: h.started("OrderWorkflow", ["Bob", 2]),
  ActivityScheduled: h.scheduled(1, "Charge", ["Bob"]),
  ActivityStarted: h.activityStarted(1, 1, { eager: true }),
  ActivityCompleted: h.completed(1, { chargeId: "ch_1" }),
  ActivityFailed: h.failed(2, error, { willRetry: true }),
  TimerStarted: h.timerStarted(3, "2026-01-01T01:00:00.000Z"),
  TimerFired: h.timerFired(3),
  SignalReceived: h.signal("approve", { by: "Ann" }),
  CancelRequested: h.cancel("no longer needed"),
  WorkflowCompleted: h.workflowCompleted(null),
  WorkflowFailed: h.workflowFailed(error),
  WorkflowCanceled: h.workflowCanceled("asked"),
  WorkflowTaskFailed: h.taskFailed({ name: "NonDeterminismError", message: "changed", stack: "at x" }),
  WorkflowTerminated: h.terminated("by hand"),
  PatchMarked: h.patch("fraud-check"),
  WorkflowContinuedAsNew: {
    ...h.next(),
    type: "WorkflowContinuedAsNew",
    runId: "1",
    workflowType: "OrderWorkflow",
    args: [{ cursor: 10 }],
    queue: "default",
    firstStep: 12,
    parent,
    signals: [{ name: "approve", payload: { by: "Ann" } }],
    openChildren: true,
  },
  ChildWorkflowScheduled: {
    ...h.next(),
    type: "ChildWorkflowScheduled",
    runId: "1",
    stepId: 4,
    childWorkflowId: "order-7-4",
    workflowType: "ShipWorkflow",
    args: ["widget-1000"],
    queue: "shipping",
    parentClosePolicy: "abandon",
  },
  ChildWorkflowStarted: { ...h.next(), type: "ChildWorkflowStarted", stepId: 4, childWorkflowId: "order-7-4", childRunId: "1" },
  ChildWorkflowStartFailed: { ...h.next(), type: "ChildWorkflowStartFailed", stepId: 5, childWorkflowId: "order-7-5", error },
  ChildWorkflowClosed: { ...h.next(), type: "ChildWorkflowClosed", stepId: 4, childWorkflowId: "order-7-4", childRunId: "3", status: "completed", result: "shipped" },
  ChildWorkflowSignaled: { ...h.next(), type: "ChildWorkflowSignaled", stepId: 6, childWorkflowId: "order-7-4", name: "hurry", payload: null },
  StepCanceled: { ...h.next(), type: "StepCanceled", stepId: 7, childWorkflowId: "order-7-7" },
  UpdateAccepted: { ...h.next(), type: "UpdateAccepted", updateId: "pay-once", name: "checkout", args: [30] },
  UpdateCompleted: { ...h.next(), type: "UpdateCompleted", updateId: "pay-once", result: { receipt: "r-30" } },
};

/** For each kind, every required field with a value of the wrong kind and how it is described. */
const MISTYPED: Record<RecordedEventType, Record<string, [unknown, string]>> = {
  WorkflowStarted: {
    workflowType: [1, "the number 1, not a string"],
    args: [{}, "an object, not an array"],
    queue: [null, "null, not a string"],
    options: [[], "an array, not an object"],
  },
  ActivityScheduled: {
    activityId: ["1", 'the string "1", not an integer'],
    activityType: [true, "a boolean, not a string"],
    args: ["a", 'the string "a", not an array'],
    options: [3, "the number 3, not an object"],
  },
  ActivityStarted: { activityId: [1.5, "the number 1.5, not an integer"], attempt: [null, "null, not an integer"], worker: [7, "the number 7, not a string"] },
  ActivityCompleted: { activityId: [[], "an array, not an integer"], attempt: ["1", 'the string "1", not an integer'] },
  ActivityFailed: {
    activityId: [{}, "an object, not an integer"],
    attempt: [-0.5, "the number -0.5, not an integer"],
    error: [{ name: "E" }, "an object, not an error ({name, message})"],
    willRetry: ["true", 'the string "true", not a boolean'],
  },
  TimerStarted: { timerId: ["3", 'the string "3", not an integer'], fireAt: [0, "the number 0, not a string"] },
  TimerFired: { timerId: [null, "null, not an integer"] },
  SignalReceived: { name: [1, "the number 1, not a string"] },
  CancelRequested: { reason: [{}, "an object, not a string"] },
  WorkflowCompleted: {},
  WorkflowFailed: { error: ["boom", 'the string "boom", not an error ({name, message})'] },
  WorkflowCanceled: { reason: [false, "a boolean, not a string"] },
  WorkflowTaskFailed: { error: [null, "null, not an error ({name, message})"], worker: [1, "the number 1, not a string"] },
  WorkflowTerminated: { reason: [[], "an array, not a string"] },
  PatchMarked: { patchId: [7, "the number 7, not a string"] },
  WorkflowContinuedAsNew: {
    runId: [1, "the number 1, not a string"],
    workflowType: [[], "an array, not a string"],
    args: [null, "null, not an array"],
    queue: [{}, "an object, not a string"],
    firstStep: ["12", 'the string "12", not an integer'],
  },
  ChildWorkflowScheduled: {
    runId: [true, "a boolean, not a string"],
    stepId: [4.5, "the number 4.5, not an integer"],
    childWorkflowId: [4, "the number 4, not a string"],
    workflowType: [null, "null, not a string"],
    args: ["widget-1000", 'the string "widget-1000", not an array'],
    queue: [[], "an array, not a string"],
    parentClosePolicy: [0, "the number 0, not a string"],
  },
  ChildWorkflowStarted: {
    stepId: ["4", 'the string "4", not an integer'],
    childWorkflowId: [{}, "an object, not a string"],
    childRunId: [1, "the number 1, not a string"],
  },
  ChildWorkflowStartFailed: {
    stepId: [null, "null, not an integer"],
    childWorkflowId: [false, "a boolean, not a string"],
    error: [{ message: "in use" }, "an object, not an error ({name, message})"],
  },
  ChildWorkflowClosed: {
    stepId: [[], "an array, not an integer"],
    childWorkflowId: [7, "the number 7, not a string"],
    childRunId: [3, "the number 3, not a string"],
    status: [null, "null, not a string"],
  },
  ChildWorkflowSignaled: {
    stepId: [true, "a boolean, not an integer"],
    childWorkflowId: [[], "an array, not a string"],
    name: [{}, "an object, not a string"],
  },
  StepCanceled: { stepId: ["7", 'the string "7", not an integer'] },
  UpdateAccepted: {
    updateId: [7, "the number 7, not a string"],
    name: [null, "null, not a string"],
    args: [{ amount: 30 }, "an object, not an array"],
  },
  UpdateCompleted: { updateId: [[], "an array, not a string"] },
};

/** The event as stored: the stream gives it its sequence, the message body has none. */
function stored(event: RecordedEvent): Record<string, unknown> {
  const { seq: _seq, ...body } = event;
  return body;
}

function undecodable(event: HistoryEvent): UndecodableEvent {
  expect(event.type).toBe("Undecodable");
  return event as UndecodableEvent;
}

describe("decodeEvent", () => {
  for (const [type, event] of Object.entries(EXAMPLES)) {
    it(`reads back a ${type} with the sequence of its message`, () => {
      expect(decodeEvent({ seq: 77, data: json(stored(event)) })).toEqual({ ...event, seq: 77 });
    });
  }

  it("takes the sequence from the message, not from the body", () => {
    expect(decodeEvent({ seq: 9, data: json({ ...EXAMPLES.TimerFired, seq: 1 }) }).seq).toBe(9);
  });

  it("keeps the optional fields of an event", () => {
    const outcome = { ...stored(EXAMPLES.ActivityCompleted), contiguousSince: 2 };
    expect(decodeEvent({ seq: 4, data: json(outcome) })).toMatchObject({ contiguousSince: 2 });
    const run = { firstStep: 12, continuedFrom: "1", parent, signals: [{ name: "approve", payload: 1 }] };
    expect(decodeEvent({ seq: 20, data: json({ ...stored(EXAMPLES.WorkflowStarted), ...run }) })).toMatchObject(run);
    expect(decodeEvent({ seq: 21, data: json({ ...stored(EXAMPLES.WorkflowFailed), openChildren: true }) })).toMatchObject({ openChildren: true });
  });

  it("reads back an update that failed, and one whose handler returned nothing", () => {
    const { result: _result, ...noResult } = stored(EXAMPLES.UpdateCompleted);
    expect(decodeEvent({ seq: 6, data: json(noResult) })).toEqual({ ...noResult, seq: 6 });
    const failed = { ...noResult, error };
    expect(decodeEvent({ seq: 7, data: json(failed) })).toEqual({ ...failed, seq: 7 });
  });

  it("accepts any stored result, null included", () => {
    expect(decodeEvent({ seq: 5, data: json({ ...stored(EXAMPLES.WorkflowCompleted), result: null }) })).toMatchObject({
      type: "WorkflowCompleted",
      result: null,
    });
  });

  it("makes a message that is not JSON an Undecodable event at its sequence and time", () => {
    const event = undecodable(decodeEvent({ seq: 12, data: bytes("hello there"), time: new Date("2026-02-03T04:05:06.000Z") }));
    expect(event).toMatchObject({ seq: 12, time: "2026-02-03T04:05:06.000Z", raw: "hello there" });
    expect(event.reason).toMatch(/^it is not JSON \(.+\)$/);
  });

  it("dates an Undecodable event at the epoch when the message has no time", () => {
    expect(decodeEvent({ seq: 1, data: bytes("[") }).time).toBe("1970-01-01T00:00:00.000Z");
  });

  it("refuses a value that is not an event object", () => {
    expect(undecodable(decodeEvent({ seq: 1, data: json([1, 2]) })).reason).toBe("it is an array, not an object");
    expect(undecodable(decodeEvent({ seq: 1, data: json({ type: "TimerFired", timerId: 1 }) })).reason).toBe("field time is missing");
    expect(undecodable(decodeEvent({ seq: 1, data: json({ type: 5, time: "t" }) })).reason).toBe("field type is the number 5, not a string");
  });

  it("refuses an unknown type, and does not trust a message that calls itself Undecodable", () => {
    expect(undecodable(decodeEvent({ seq: 1, data: json({ type: "ActivityExploded", time: "t" }) })).reason).toBe(
      'its type "ActivityExploded" is not an event type dfut knows',
    );
    const forged = undecodable(decodeEvent({ seq: 3, data: json({ type: "Undecodable", time: "t", reason: "forged", raw: "" }) }));
    expect(forged.reason).toBe('its type "Undecodable" is not an event type dfut knows');
    expect(undecodable(decodeEvent({ seq: 1, data: json({ type: "toString", time: "t" }) })).reason).toBe(
      'its type "toString" is not an event type dfut knows',
    );
  });

  for (const [type, fields] of Object.entries(MISTYPED)) {
    const body = stored(EXAMPLES[type as RecordedEventType]);
    for (const [field, [wrong, described]] of Object.entries(fields)) {
      it(`refuses a ${type} whose ${field} is missing or mistyped`, () => {
        const { [field]: _dropped, ...missing } = body;
        expect(undecodable(decodeEvent({ seq: 8, data: json(missing) })).reason).toBe(`it is ${article(type)} ${type} event whose field ${field} is missing`);
        expect(undecodable(decodeEvent({ seq: 8, data: json({ ...body, [field]: wrong }) })).reason).toBe(
          `it is ${article(type)} ${type} event whose field ${field} is ${described}`,
        );
      });
    }
  }

  it("refuses fields that need a value even when the value may be anything", () => {
    const { result: _result, ...noResult } = stored(EXAMPLES.ActivityCompleted);
    expect(undecodable(decodeEvent({ seq: 1, data: json(noResult) })).reason).toBe("it is an ActivityCompleted event whose field result is missing");
    const { payload: _payload, ...noPayload } = stored(EXAMPLES.SignalReceived);
    expect(undecodable(decodeEvent({ seq: 1, data: json(noPayload) })).reason).toBe("it is a SignalReceived event whose field payload is missing");
    const { payload: _childPayload, ...noChildPayload } = stored(EXAMPLES.ChildWorkflowSignaled);
    expect(undecodable(decodeEvent({ seq: 1, data: json(noChildPayload) })).reason).toBe(
      "it is a ChildWorkflowSignaled event whose field payload is missing",
    );
  });

  it("checks the optional fields when they are there", () => {
    expect(undecodable(decodeEvent({ seq: 1, data: json({ ...stored(EXAMPLES.ActivityStarted), eager: "yes" }) })).reason).toBe(
      'it is an ActivityStarted event whose field eager is the string "yes", not a boolean',
    );
    expect(undecodable(decodeEvent({ seq: 1, data: json({ ...stored(EXAMPLES.ActivityFailed), nextAttemptAt: 5 }) })).reason).toBe(
      "it is an ActivityFailed event whose field nextAttemptAt is the number 5, not a string",
    );
    const optional: [RecordedEventType, string, unknown, string][] = [
      ["WorkflowStarted", "firstStep", "2", 'the string "2", not an integer'],
      ["WorkflowStarted", "continuedFrom", 1, "the number 1, not a string"],
      ["WorkflowStarted", "parent", "order-7", 'the string "order-7", not an object'],
      ["WorkflowStarted", "signals", {}, "an object, not an array"],
      ["WorkflowCompleted", "openChildren", 1, "the number 1, not a boolean"],
      ["WorkflowContinuedAsNew", "parent", [], "an array, not an object"],
      ["WorkflowContinuedAsNew", "signals", "approve", 'the string "approve", not an array'],
      ["ChildWorkflowClosed", "error", "boom", 'the string "boom", not an error ({name, message})'],
      ["StepCanceled", "childWorkflowId", 7, "the number 7, not a string"],
      ["UpdateCompleted", "error", "declined", 'the string "declined", not an error ({name, message})'],
    ];
    for (const [type, field, wrong, described] of optional) {
      expect(undecodable(decodeEvent({ seq: 1, data: json({ ...stored(EXAMPLES[type]), [field]: wrong }) })).reason, `${type}.${field}`).toBe(
        `it is ${article(type)} ${type} event whose field ${field} is ${described}`,
      );
    }
  });

  it("keeps the raw text whole up to 200 characters, and cuts it there after", () => {
    const exactly = `{${"x".repeat(198)}}`;
    expect(undecodable(decodeEvent({ seq: 1, data: bytes(exactly) })).raw).toBe(exactly);
    const longer = `${"y".repeat(250)}`;
    expect(undecodable(decodeEvent({ seq: 1, data: bytes(longer) })).raw).toBe(`${"y".repeat(200)}…`);
  });
});

describe("eventProblem and undecodableProblem", () => {
  it("says nothing about a valid event", () => {
    expect(eventProblem(stored(EXAMPLES.SignalReceived))).toBeUndefined();
  });

  it("tells a user which sequence cannot be decoded and why", () => {
    const event = new History().undecodable("it is not JSON (Unexpected token)");
    expect(undecodableProblem({ ...event, seq: 31 })).toBe("history event seq 31 cannot be decoded: it is not JSON (Unexpected token)");
  });
});

function article(type: string): string {
  return /^[AEIOU]/.test(type) ? "an" : "a";
}

import { describe, expect, it } from "vitest";
import { activityTaskFor, decodeActivityTask, decodeTimerTask, decodeWorkflowTask } from "../../src/common/tasks.ts";
import { activityTask, bytes, History, json } from "./support.ts";

describe("decodeWorkflowTask", () => {
  it("reads a task without an inline event", () => {
    expect(decodeWorkflowTask(json({ workflowId: "wf-1", seq: 4 }))).toEqual({ ok: true, value: { workflowId: "wf-1", seq: 4 } });
  });

  it("keeps a valid inline event and gives it the task's sequence", () => {
    const { seq: _seq, ...event } = new History().started("OrderWorkflow");
    const decoded = decodeWorkflowTask(json({ workflowId: "wf-1", seq: 1, event }));
    expect(decoded).toEqual({ ok: true, value: { workflowId: "wf-1", seq: 1, event: { ...event, seq: 1 } } });
  });

  it("drops an inline event that is not one: the worker reads the history instead", () => {
    const decoded = decodeWorkflowTask(json({ workflowId: "wf-1", seq: 6, event: { type: "TimerFired", time: "t" } }));
    expect(decoded).toEqual({ ok: true, value: { workflowId: "wf-1", seq: 6 } });
  });

  it("refuses a task without its workflow or sequence", () => {
    expect(decodeWorkflowTask(json({ seq: 1 }))).toEqual({ ok: false, problem: "field workflowId is missing" });
    expect(decodeWorkflowTask(json({ workflowId: "wf-1", seq: "1" }))).toEqual({
      ok: false,
      problem: 'field seq is the string "1", not an integer',
    });
    expect(decodeWorkflowTask(json({ workflowId: "wf-1", seq: 1, event: "x" }))).toEqual({
      ok: false,
      problem: 'field event is the string "x", not an object',
    });
    expect(decodeWorkflowTask(bytes("nope")).ok).toBe(false);
  });
});

describe("decodeActivityTask", () => {
  const task = activityTask({ args: ["Bob", 3], notBefore: "2026-01-01T00:00:05.000Z", verify: true });

  it("reads a task as published", () => {
    expect(decodeActivityTask(json(task))).toEqual({ ok: true, value: task });
  });

  it("refuses a task with a missing or mistyped field", () => {
    const { scheduledAt: _scheduledAt, ...noScheduledAt } = task;
    expect(decodeActivityTask(json(noScheduledAt))).toEqual({ ok: false, problem: "field scheduledAt is missing" });
    expect(decodeActivityTask(json({ ...task, attempt: 0.5 }))).toEqual({ ok: false, problem: "field attempt is the number 0.5, not an integer" });
    expect(decodeActivityTask(json({ ...task, verify: 1 }))).toEqual({ ok: false, problem: "field verify is the number 1, not a boolean" });
  });

  it("checks the options", () => {
    const { heartbeatTimeout: _h, ...options } = task.options;
    expect(decodeActivityTask(json({ ...task, options }))).toEqual({ ok: false, problem: "its options: field heartbeatTimeout is missing" });
    expect(decodeActivityTask(json({ ...task, options: { ...task.options, queue: 1 } }))).toEqual({
      ok: false,
      problem: "its options: field queue is the number 1, not a string",
    });
  });

  it("checks the retry policy within the options", () => {
    const retry = { ...task.options.retry, nonRetryableErrorTypes: "CardDeclined" };
    expect(decodeActivityTask(json({ ...task, options: { ...task.options, retry } }))).toEqual({
      ok: false,
      problem: 'its options.retry: field nonRetryableErrorTypes is the string "CardDeclined", not an array',
    });
    const { maximumAttempts: _m, ...noMaximum } = task.options.retry;
    expect(decodeActivityTask(json({ ...task, options: { ...task.options, retry: noMaximum } }))).toEqual({
      ok: false,
      problem: "its options.retry: field maximumAttempts is missing",
    });
  });
});

describe("decodeTimerTask", () => {
  const timer = { workflowId: "wf-1", timerId: 3, fireAt: "2026-01-01T01:00:00.000Z", queue: "default" };

  it("reads a timer task", () => {
    expect(decodeTimerTask(json(timer))).toEqual({ ok: true, value: timer });
  });

  it("refuses one with a missing or mistyped field", () => {
    const { queue: _queue, ...noQueue } = timer;
    expect(decodeTimerTask(json(noQueue))).toEqual({ ok: false, problem: "field queue is missing" });
    expect(decodeTimerTask(json({ ...timer, timerId: "3" }))).toEqual({ ok: false, problem: 'field timerId is the string "3", not an integer' });
  });
});

describe("activityTaskFor", () => {
  it("makes the first attempt's task of a recorded step", () => {
    const h = new History();
    h.started("W");
    const step = h.scheduled(1, "Charge", ["Bob"]);
    expect(activityTaskFor("wf-1", "default", step)).toEqual({
      workflowId: "wf-1",
      activityId: 1,
      activityType: "Charge",
      args: ["Bob"],
      options: step.options,
      attempt: 1,
      scheduledAt: step.time,
      scheduledSeq: 2,
      workflowQueue: "default",
    });
  });
});

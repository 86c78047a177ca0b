import { describe, expect, it } from "vitest";
import {
  ActivityFailure,
  ActivityTimeoutError,
  ApplicationFailure,
  CanceledError,
  DfutError,
  fromErrorInfo,
  InvalidArgumentError,
  isDfutError,
  NatsUnavailableError,
  NonDeterminismError,
  PayloadError,
  toErrorInfo,
  UndecodableEventError,
  WorkflowAlreadyStartedError,
  WorkflowCanceledError,
  WorkflowClosedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
  WorkflowTerminatedError,
  type ErrorCode,
} from "../../src/common/errors.ts";

describe("toErrorInfo", () => {
  it("keeps an Error's name, message and stack", () => {
    const error = new TypeError("bad input");
    expect(toErrorInfo(error)).toEqual({ name: "TypeError", message: "bad input", stack: error.stack });
  });

  it("names an Error without a name plain Error", () => {
    const error = new Error("x");
    error.name = "";
    expect(toErrorInfo(error).name).toBe("Error");
  });

  it("leaves out a stack the error does not have", () => {
    const error = new Error("no stack");
    error.stack = undefined;
    expect(toErrorInfo(error)).toEqual({ name: "Error", message: "no stack" });
  });

  it("carries nonRetryable only when it is true", () => {
    expect(toErrorInfo(ApplicationFailure.nonRetryable("declined", "CardDeclined"))).toMatchObject({
      name: "CardDeclined",
      message: "declined",
      nonRetryable: true,
    });
    expect(toErrorInfo(new ApplicationFailure("flaky"))).not.toHaveProperty("nonRetryable");
    expect(toErrorInfo(Object.assign(new Error("x"), { nonRetryable: "yes" }))).not.toHaveProperty("nonRetryable");
    expect(toErrorInfo(new CanceledError("asked"))).toMatchObject({ name: "CanceledError", nonRetryable: true });
  });

  it("says which budget a timeout ran out of", () => {
    expect(toErrorInfo(new ActivityTimeoutError("too slow", "scheduleToClose"))).toMatchObject({
      name: "TimeoutError",
      timeoutType: "scheduleToClose",
    });
  });

  it("says what was thrown when it was null or undefined", () => {
    expect(toErrorInfo(null)).toEqual({ name: "Error", message: "null was thrown instead of an Error" });
    expect(toErrorInfo(undefined)).toEqual({ name: "Error", message: "undefined was thrown instead of an Error" });
  });

  it("uses a thrown string as the message", () => {
    expect(toErrorInfo("out of stock")).toEqual({ name: "Error", message: "out of stock" });
  });

  it("writes other thrown values as JSON, or as text when JSON cannot", () => {
    expect(toErrorInfo({ code: 42, reason: "nope" })).toEqual({ name: "Error", message: '{"code":42,"reason":"nope"}' });
    expect(toErrorInfo(7)).toEqual({ name: "Error", message: "7" });
    expect(toErrorInfo(12n)).toEqual({ name: "Error", message: "12" });
    expect(toErrorInfo(Symbol("s"))).toEqual({ name: "Error", message: "Symbol(s)" });
    const cyclic: { self?: unknown } = {};
    cyclic.self = cyclic;
    expect(toErrorInfo(cyclic)).toEqual({ name: "Error", message: "[object Object]" });
  });
});

describe("fromErrorInfo", () => {
  it("makes a recorded failure an ApplicationFailure of the recorded type and stack", () => {
    const error = fromErrorInfo({ name: "CardDeclined", message: "declined", stack: "CardDeclined: declined\n    at charge", nonRetryable: true });
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect(error).toMatchObject({ name: "CardDeclined", message: "declined", nonRetryable: true });
    expect(error.stack).toBe("CardDeclined: declined\n    at charge");
  });

  it("makes a recorded timeout an ActivityTimeoutError that says which", () => {
    const error = fromErrorInfo({ name: "HeartbeatTimeout", message: "no heartbeat", timeoutType: "heartbeat" });
    expect(error).toBeInstanceOf(ActivityTimeoutError);
    expect(error).toMatchObject({ name: "HeartbeatTimeout", timeoutType: "heartbeat" });
  });

  it("round-trips with toErrorInfo", () => {
    const info = toErrorInfo(ApplicationFailure.nonRetryable("declined", "CardDeclined"));
    expect(toErrorInfo(fromErrorInfo(info))).toEqual(info);
  });
});

describe("dfut's errors", () => {
  const cases: [DfutError, string, ErrorCode][] = [
    [new InvalidArgumentError("bad"), "InvalidArgumentError", "invalid_argument"],
    [new WorkflowAlreadyStartedError("wf-1"), "WorkflowAlreadyStartedError", "already_exists"],
    [new WorkflowNotFoundError("wf-1"), "WorkflowNotFoundError", "not_found"],
    [new WorkflowClosedError("wf-1", "completed"), "WorkflowClosedError", "failed_precondition"],
    [new PayloadError("too big"), "PayloadError", "invalid_argument"],
    [new NatsUnavailableError("down"), "NatsUnavailableError", "unavailable"],
    [new WorkflowFailedError("wf-1", { name: "E", message: "m" }), "WorkflowFailedError", "aborted"],
    [new WorkflowCanceledError("wf-1", "asked"), "WorkflowCanceledError", "canceled"],
    [new WorkflowTerminatedError("wf-1", "stuck"), "WorkflowTerminatedError", "aborted"],
  ];

  it("have their class name as name and the Connect spelling of their code", () => {
    for (const [error, name, code] of cases) {
      expect(error).toBeInstanceOf(DfutError);
      expect([error.name, error.code]).toEqual([name, code]);
      expect(isDfutError(error)).toBe(true);
    }
  });

  it("say which workflow and why", () => {
    expect(new WorkflowAlreadyStartedError("wf-1").message).toBe('a workflow with id "wf-1" is already running; choose another id, or wait for it to close');
    expect(new WorkflowNotFoundError("wf-1").message).toBe('no workflow with id "wf-1"');
    expect(new WorkflowClosedError("wf-1", "completed").message).toBe('workflow "wf-1" is already completed');
    expect(new WorkflowCanceledError("wf-1", "").message).toBe("workflow wf-1 was canceled");
    expect(new WorkflowCanceledError("wf-1", "asked").message).toBe("workflow wf-1 was canceled: asked");
    expect(new WorkflowTerminatedError("wf-1", "").message).toBe("workflow wf-1 was terminated");
  });

  it("recognises a dfut error by its brand, not by its class", () => {
    expect(isDfutError(new Error("plain"))).toBe(false);
    expect(isDfutError({ code: "not_found", message: "x" })).toBe(false);
    // An error of another copy of the module: same brand, other class.
    const foreign = Object.assign(new Error("x"), { [Symbol.for("dfut.error")]: true });
    expect(isDfutError(foreign)).toBe(true);
  });

  it("give the client's failure the recorded error as its cause", () => {
    const failed = new WorkflowFailedError("wf-1", { name: "CardDeclined", message: "declined" });
    expect(failed.message).toBe("workflow wf-1 failed: CardDeclined: declined");
    expect(failed.cause).toBeInstanceOf(ApplicationFailure);
    expect(failed.cause).toMatchObject({ name: "CardDeclined", message: "declined" });
  });
});

describe("the errors workflow and activity code sees", () => {
  it("ApplicationFailure is retryable unless said otherwise, and named by its type", () => {
    expect(new ApplicationFailure("flaky")).toMatchObject({ name: "ApplicationFailure", nonRetryable: false });
    expect(new ApplicationFailure("x", { type: "Busy" }).name).toBe("Busy");
    expect(ApplicationFailure.nonRetryable("declined")).toMatchObject({ name: "ApplicationFailure", nonRetryable: true });
  });

  it("ActivityFailure says which activity failed after how many attempts, with the failure as its cause", () => {
    const failure = { name: "CardDeclined", message: "declined" };
    const error = new ActivityFailure("Charge", 3, 5, failure);
    expect(error).toMatchObject({ name: "ActivityFailure", activityType: "Charge", activityId: 3, attempt: 5, failure });
    expect(error.message).toBe("activity Charge (#3) failed after 5 attempt(s): CardDeclined: declined");
    expect(error.cause).toMatchObject({ name: "CardDeclined", message: "declined" });
  });

  it("CanceledError is never retried and has a message with or without a reason", () => {
    expect(new CanceledError("asked")).toMatchObject({ name: "CanceledError", reason: "asked", nonRetryable: true, message: "workflow canceled: asked" });
    expect(new CanceledError("").message).toBe("workflow canceled");
    expect(new CanceledError("", "workflow wf-1 was closed").message).toBe("workflow wf-1 was closed");
  });

  it("ActivityTimeoutError is named by the budget that ran out", () => {
    expect(new ActivityTimeoutError("m", "startToClose").name).toBe("TimeoutError");
    expect(new ActivityTimeoutError("m", "scheduleToClose").name).toBe("TimeoutError");
    expect(new ActivityTimeoutError("m", "heartbeat").name).toBe("HeartbeatTimeout");
    expect(new ActivityTimeoutError("m", "heartbeat").timeoutType).toBe("heartbeat");
  });

  it("NonDeterminismError and UndecodableEventError have their names, and the latter its seq", () => {
    expect(new NonDeterminismError("changed").name).toBe("NonDeterminismError");
    expect(new UndecodableEventError("bad", 7)).toMatchObject({ name: "UndecodableEvent", seq: 7, message: "bad" });
  });
});

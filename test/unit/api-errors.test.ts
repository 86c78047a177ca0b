import { Code, ConnectError } from "@connectrpc/connect";
import { JetStreamApiError } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import { toConnectError } from "../../src/api/errors.ts";
import {
  DfutError,
  InvalidArgumentError,
  NatsUnavailableError,
  WorkflowAlreadyStartedError,
  WorkflowClosedError,
  WorkflowNotFoundError,
  type ErrorCode,
} from "../../src/common/errors.ts";

/** The Connect error, and whatever was reported as unexpected on the way. */
function convert(err: unknown): { error: ConnectError; reported: unknown[] } {
  const reported: unknown[] = [];
  return { error: toConnectError(err, (e) => reported.push(e)), reported };
}

describe("toConnectError", () => {
  it("passes a ConnectError through as it is", () => {
    const original = new ConnectError("already", Code.PermissionDenied);
    expect(toConnectError(original)).toBe(original);
  });

  it("maps dfut's own errors one to one, keeping their message, reporting nothing", () => {
    const cases: [DfutError, Code][] = [
      [new InvalidArgumentError("bad id"), Code.InvalidArgument],
      [new WorkflowNotFoundError("wf-1"), Code.NotFound],
      [new WorkflowAlreadyStartedError("wf-1"), Code.AlreadyExists],
      [new WorkflowClosedError("wf-1", "failed"), Code.FailedPrecondition],
      [new NatsUnavailableError("down"), Code.Unavailable],
    ];
    for (const [err, code] of cases) {
      const { error, reported } = convert(err);
      expect([error.code, error.rawMessage]).toEqual([code, err.message]);
      expect(reported).toEqual([]);
    }
    const codes: [ErrorCode, Code][] = [
      ["aborted", Code.Aborted],
      ["deadline_exceeded", Code.DeadlineExceeded],
      ["canceled", Code.Canceled],
      ["internal", Code.Internal],
    ];
    for (const [code, connect] of codes) expect(toConnectError(new DfutError(code, "m")).code).toBe(connect);
  });

  it("makes a JetStream API error unavailable, and reports it", () => {
    const err = new JetStreamApiError({ code: 503, err_code: 10039, description: "jetstream not enabled" });
    const { error, reported } = convert(err);
    expect([error.code, error.rawMessage]).toEqual([Code.Unavailable, "JetStream refused the request: jetstream not enabled"]);
    expect(reported).toEqual([err]);
  });

  it("makes the NATS client's connection troubles unavailable without reporting them", () => {
    for (const message of ["TIMEOUT", "request timed out", "connection closed", "connection draining", "no responders available", "CONNECTION_REFUSED"]) {
      const { error, reported } = convert(new Error(message));
      expect([error.code, error.rawMessage]).toEqual([Code.Unavailable, `JetStream is unavailable: ${message}`]);
      expect(reported).toEqual([]);
    }
    const aborted = Object.assign(new Error("the operation was aborted"), { name: "AbortError" });
    expect(convert(aborted).error.code).toBe(Code.Unavailable);
  });

  it("hides anything else as internal, and reports it", () => {
    const err = new TypeError("cannot read properties of undefined");
    const { error, reported } = convert(err);
    expect([error.code, error.rawMessage]).toEqual([Code.Internal, "internal error: cannot read properties of undefined"]);
    expect(reported).toEqual([err]);
    expect(convert("a thrown string").error.rawMessage).toBe("internal error: a thrown string");
  });

  it("works without a reporter", () => {
    expect(toConnectError(new Error("boom")).code).toBe(Code.Internal);
  });
});

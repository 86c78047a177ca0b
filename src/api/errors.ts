/** How failures become Connect errors: dfut's own codes map one to one, the rest is hidden. */
import { Code, ConnectError } from "@connectrpc/connect";
import { JetStreamApiError } from "@nats-io/jetstream";
import { DfutError, type ErrorCode } from "../common/errors.ts";

const CODES: Record<ErrorCode, Code> = {
  invalid_argument: Code.InvalidArgument,
  not_found: Code.NotFound,
  already_exists: Code.AlreadyExists,
  failed_precondition: Code.FailedPrecondition,
  unavailable: Code.Unavailable,
  aborted: Code.Aborted,
  deadline_exceeded: Code.DeadlineExceeded,
  canceled: Code.Canceled,
  internal: Code.Internal,
};

/** Messages of the NATS client that mean "cannot reach JetStream right now". */
const UNAVAILABLE = /timeout|timed out|disconnect|connection (closed|draining)|no responders|closed|CONNECTION_/i;

export type ErrorReporter = (err: unknown) => void;

export function toConnectError(err: unknown, report?: ErrorReporter): ConnectError {
  if (err instanceof ConnectError) return err;
  if (err instanceof DfutError) return new ConnectError(err.message, CODES[err.code] ?? Code.Internal);
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof JetStreamApiError) {
    report?.(err);
    return new ConnectError(`JetStream refused the request: ${message}`, Code.Unavailable);
  }
  if (UNAVAILABLE.test(message) || (err as { name?: string })?.name === "AbortError") {
    return new ConnectError(`JetStream is unavailable: ${message}`, Code.Unavailable);
  }
  report?.(err);
  return new ConnectError(`internal error: ${message}`, Code.Internal);
}

/** How dfut reports failures: one line on stderr, a non-zero exit code, no stack trace. */
import type { ErrorCode } from "../common/errors.ts";

/** A mistake on the command line, found by dfut itself. */
export class UsageError extends Error {
  readonly code = "invalid_argument";
}

/** Ends the process with a status and no message (the command already said what happened). */
export class ExitCode extends Error {
  readonly status: number;
  constructor(status: number) {
    super(`exit ${status}`);
    this.status = status;
  }
}

const CODES: ReadonlySet<string> = new Set<ErrorCode>([
  "invalid_argument",
  "not_found",
  "already_exists",
  "failed_precondition",
  "unavailable",
  "aborted",
  "deadline_exceeded",
  "canceled",
  "internal",
]);

/**
 * Errors dfut raises on purpose carry a `code`. Matched by shape, not class: the terminal UI
 * is a separate bundle with its own copy of the error classes.
 */
export function isExpected(err: unknown): err is Error & { code: string } {
  return err instanceof Error && CODES.has(String((err as { code?: unknown }).code));
}

export function errorLine(err: unknown): string {
  if (isExpected(err)) return redactCredentials(firstLine(err.message));
  if (err instanceof Error) return `${redactCredentials(firstLine(err.message))} (an unexpected error; set DFUT_DEBUG=1 for details)`;
  return redactCredentials(String(err));
}

/** Masks passwords and tokens of URLs (nats://user:***@host), wherever a message shows one. */
export function redactCredentials(text: string): string {
  return text.replace(/([a-z][a-z\d+.-]*:\/\/)([^\s/@]+)@/gi, (_, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(":");
    return `${scheme}${colon < 0 ? "***" : `${userinfo.slice(0, colon)}:***`}@`;
  });
}

function firstLine(message: string): string {
  return message.split("\n")[0].trim();
}

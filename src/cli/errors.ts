/** How dfut reports failures: one line on stderr, a non-zero exit code, no stack trace. */
import { DfutError, isDfutError } from "../common/errors.ts";

/** A mistake on the command line, found by dfut itself. */
export class UsageError extends DfutError {
  constructor(message: string) {
    super("invalid_argument", message);
  }
}

/** Ends the process with a status and no message (the command already said what happened). */
export class ExitCode extends Error {
  readonly status: number;
  constructor(status: number) {
    super(`exit ${status}`);
    this.status = status;
  }
}

/** Errors dfut raises on purpose: a user mistake or a state to report, not a bug. */
export function isExpected(err: unknown): err is DfutError {
  return isDfutError(err);
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

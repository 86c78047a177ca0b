/** Workflow arguments and signal payloads from the command line. */
import { UsageError } from "./errors.ts";

/**
 * JSON where it parses (1000 is a number, true a boolean, {"a":1} an object), else the text
 * itself (Bob is a string). Text that starts like an object or array must parse: a typo there
 * should not turn into a string silently.
 */
export function parseArg(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    if (/^\s*[[{]/.test(text)) {
      throw new UsageError(`${what} looks like JSON but does not parse (${(err as Error).message}): ${text}`);
    }
    return text;
  }
}

/** `--input '<json array>'`. */
export function parseInput(text: string): unknown[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--input is not valid JSON (${(err as Error).message}); pass a JSON array such as '["Bob", 1000]'`);
  }
  if (!Array.isArray(value)) throw new UsageError(`--input must be a JSON array of arguments, such as '["Bob", 1000]'`);
  return value;
}

export function parsePositiveInt(name: string): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`${name} must be a positive whole number, not ${JSON.stringify(text)}`);
    return n;
  };
}

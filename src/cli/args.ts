/** Workflow arguments and signal payloads from the command line. */
import { inexactNumber } from "../common/payload.ts";
import { UsageError } from "./errors.ts";

/**
 * JSON where it parses (1000 is a number, true a boolean, {"a":1} an object), else the text
 * itself (Bob is a string). Text that starts like an object or array must parse: a typo there
 * should not turn into a string silently.
 */
export function parseArg(text: string, what: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text, exactNumbers);
  } catch (err) {
    if (err instanceof UsageError) throw new UsageError(`${what}: ${err.message}`);
    if (/^\s*[[{]/.test(text)) {
      throw new UsageError(`${what} looks like JSON but does not parse (${(err as Error).message}): ${text}`);
    }
    return text;
  }
  return value;
}

/** `--input '<json array>'`. */
export function parseInput(text: string): unknown[] {
  let value: unknown;
  try {
    value = JSON.parse(text, exactNumbers);
  } catch (err) {
    if (err instanceof UsageError) throw new UsageError(`--input: ${err.message}`);
    throw new UsageError(`--input is not valid JSON (${(err as Error).message}); pass a JSON array such as '["Bob", 1000]'`);
  }
  if (!Array.isArray(value)) throw new UsageError(`--input must be a JSON array of arguments, such as '["Bob", 1000]'`);
  return value;
}

/**
 * A JSON.parse reviver that refuses numbers a double cannot hold as written: JSON.parse would
 * round 12345678901234567890 to 12345678901234567000 and 1e400 to Infinity without a word.
 */
function exactNumbers(key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value !== "number") return value;
  const source = context?.source ?? String(value);
  // The whole argument is the number (key ""): on a shell, the string needs its quotes quoted.
  const asString = key === "" ? `'"${source}"'` : `"${source}"`;
  switch (inexactNumber(value, source)) {
    case "not finite":
      throw new UsageError(`${source} is not a finite number; pass a smaller one, or a string: ${asString}`);
    case "beyond 2^53":
      throw new UsageError(`${source} is beyond 2^53, where numbers lose digits; pass it as a string: ${asString}`);
    default:
      return value;
  }
}

export function parsePositiveInt(name: string): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`${name} must be a positive whole number, not ${JSON.stringify(text)}`);
    return n;
  };
}

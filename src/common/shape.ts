/**
 * Checks that decoded JSON has the fields a message kind needs, so that a message written by
 * something other than dfut (or by a different version) is refused where it is read, with a
 * reason, instead of failing somewhere deeper.
 */

/** A field's kind; a trailing `?` makes it optional. `json` is any value, but present. */
export type FieldKind = "string" | "int" | "boolean" | "array" | "object" | "error" | "json";
export type FieldSpec = FieldKind | `${FieldKind}?`;
export type Shape = Readonly<Record<string, FieldSpec>>;

/** Why `value` does not have `shape`, or undefined when it does. */
export function shapeProblem(value: unknown, shape: Shape): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return `it is ${describe(value)}, not an object`;
  const record = value as Record<string, unknown>;
  for (const [field, spec] of Object.entries(shape)) {
    const optional = spec.endsWith("?");
    const kind = (optional ? spec.slice(0, -1) : spec) as FieldKind;
    const present = Object.hasOwn(record, field) && record[field] !== undefined;
    if (!present) {
      if (optional) continue;
      return `field ${field} is missing`;
    }
    if (!fits(record[field], kind)) return `field ${field} is ${describe(record[field])}, not ${article(kind)}`;
  }
  return undefined;
}

function fits(value: unknown, kind: FieldKind): boolean {
  switch (kind) {
    case "string":
      return typeof value === "string";
    case "int":
      return Number.isSafeInteger(value);
    case "boolean":
      return typeof value === "boolean";
    case "array":
      return Array.isArray(value);
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value);
    case "error":
      return fits(value, "object") && shapeProblem(value, ERROR_SHAPE) === undefined;
    case "json":
      return true;
  }
}

const ERROR_SHAPE: Shape = { name: "string", message: "string", stack: "string?", nonRetryable: "boolean?" };

function article(kind: FieldKind): string {
  switch (kind) {
    case "int":
      return "an integer";
    case "array":
      return "an array";
    case "object":
      return "an object";
    case "error":
      return "an error ({name, message})";
    default:
      return `a ${kind}`;
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === "number") return `the number ${value}`;
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; problem: string };

const textDecoder = new TextDecoder();

/**
 * JSON of the given shape, or why the bytes are not that. `nested` gives the shapes of object
 * fields by dotted path ("options.retry"), checked in order after the top level.
 */
export function decodeShaped<T>(data: Uint8Array, shape: Shape, nested: Readonly<Record<string, Shape>> = {}): Decoded<T> {
  let value: unknown;
  try {
    value = JSON.parse(textDecoder.decode(data));
  } catch (err) {
    return { ok: false, problem: `it is not JSON (${(err as Error).message})` };
  }
  const problem =
    shapeProblem(value, shape) ??
    Object.entries(nested)
      .map(([field, inner]) => {
        const inside = field.split(".").reduce<unknown>((v, key) => (v as Record<string, unknown>)[key], value);
        const p = shapeProblem(inside, inner);
        return p && `its ${field}: ${p}`;
      })
      .find((p) => p !== undefined);
  return problem ? { ok: false, problem } : { ok: true, value: value as T };
}

import { PayloadError } from "./errors.ts";

/**
 * Encodes a value dfut must store, refusing what JSON would silently change or lose:
 * functions, symbols, BigInt, cycles, undefined in arrays, non-plain objects other than Date.
 */
export function assertJsonSerializable(value: unknown, what: string): void {
  const problem = findProblem(value, "", new Set());
  if (problem) throw new PayloadError(`${what} is not JSON-serializable: ${problem}`);
}

function findProblem(value: unknown, path: string, seen: Set<object>): string | undefined {
  const at = path || "the value";
  switch (typeof value) {
    case "string":
    case "boolean":
      return undefined;
    case "number":
      return Number.isFinite(value) ? undefined : `${at} is ${value}`;
    case "undefined":
      return undefined;
    case "bigint":
      return `${at} is a BigInt; pass it as a string`;
    case "function":
      return `${at} is a function`;
    case "symbol":
      return `${at} is a symbol`;
  }
  if (value === null) return undefined;
  const obj = value as object;
  if (seen.has(obj)) return `${at} refers back to itself (a cycle)`;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? `${at} is an invalid Date (JSON would store null)` : undefined;
  if (typeof (obj as { toJSON?: unknown }).toJSON === "function") return undefined;
  seen.add(obj);
  try {
    if (Array.isArray(obj)) {
      for (let i = 0; i < obj.length; i++) {
        if (obj[i] === undefined) return `${path}[${i}] is undefined`;
        const p = findProblem(obj[i], `${path}[${i}]`, seen);
        if (p) return p;
      }
      return undefined;
    }
    const proto = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null) {
      const kind = (obj as { constructor?: { name?: string } }).constructor?.name ?? "object";
      if (obj instanceof Map || obj instanceof Set) return `${at} is a ${kind}; convert it to an array or object`;
      if (!(obj instanceof Error)) return `${at} is a ${kind} instance; pass plain data`;
    }
    for (const [k, v] of Object.entries(obj)) {
      const p = findProblem(v, path ? `${path}.${k}` : k, seen);
      if (p) return p;
    }
    return undefined;
  } finally {
    seen.delete(obj);
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

export function decodeJson<T>(data: Uint8Array): T {
  return JSON.parse(decoder.decode(data)) as T;
}

/**
 * The value as it reads back from the stream (a Date becomes its ISO string, an Error `{}`,
 * undefined fields vanish): what workflow code must be given live, so that a replay, which only
 * has what was stored, sees exactly the same.
 */
export function storedForm<T>(value: T): T {
  return decodeJson<T>(encodeJson(value));
}

/**
 * What JSON.parse silently changes about a number written as `source`: past a double's range
 * it becomes Infinity; an integer written out (not in exponent form) beyond 2^53 is rounded.
 * For revivers, which get the number's text as `context.source`.
 */
export function inexactNumber(value: number, source: string): "not finite" | "beyond 2^53" | undefined {
  if (!Number.isFinite(value)) return "not finite";
  if (Number.isInteger(value) && !Number.isSafeInteger(value) && !/[eE]/.test(source)) return "beyond 2^53";
  return undefined;
}

export function assertFits(bytes: Uint8Array, maxPayload: number, what: string): void {
  if (bytes.length > maxPayload) {
    throw new PayloadError(
      `${what} is ${bytes.length} bytes; the NATS server accepts at most ${maxPayload} bytes per message. ` +
        `Store large data elsewhere and pass a reference`,
    );
  }
}

/** Durations as people write them on a command line ("30s", "5m", "1.5h", "7d") and back. Pure. */
import { InvalidArgumentError } from "./errors.ts";

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * "7d", "12h", "30m", "45s", "500ms", "1.5h" as milliseconds; "0" is 0. Undefined when the text
 * is not a duration: each caller says in its own words what it expected.
 */
export function durationMs(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!match || (match[2] === undefined && match[1] !== "0")) return undefined;
  return Math.round(Number(match[1]) * (UNITS[match[2] ?? "ms"] ?? 1));
}

/** A duration given as milliseconds or as text; `what` names it in the error ("--every", "jitter"). */
export function parseDuration(value: number | string, what: string): number {
  const ms = typeof value === "number" ? (Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined) : durationMs(value);
  if (ms === undefined) {
    throw new InvalidArgumentError(`${what} must be a duration such as 30s, 5m, 1h or 1d; not ${JSON.stringify(value)}`);
  }
  return ms;
}

/** The shortest exact spelling: 90_000 → "1m30s", 3_600_000 → "1h", 1500 → "1s500ms", 0 → "0". */
export function formatDurationMs(ms: number): string {
  if (ms === 0) return "0";
  let rest = ms;
  let text = "";
  for (const unit of ["d", "h", "m", "s", "ms"]) {
    const size = UNITS[unit];
    const n = Math.floor(rest / size);
    if (n > 0) text += `${n}${unit}`;
    rest -= n * size;
  }
  return text;
}

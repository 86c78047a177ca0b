/**
 * Wall-clock time in IANA time zones, from the runtime's own zone data (Intl.DateTimeFormat):
 * the offset of a zone at an instant, and the instants a wall-clock time has there (none in a
 * spring-forward gap, two in a fall-back overlap). Pure; no dependency beyond Intl.
 *
 * "Naive" times are wall-clock times written as if they were UTC milliseconds: 09:30 local on
 * 2025-03-30 is Date.UTC(2025, 2, 30, 9, 30). Arithmetic on them is calendar arithmetic.
 */
import { InvalidArgumentError } from "./errors.ts";

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(zone, f);
  }
  return f;
}

/** Whether the zone is UTC itself (no zone data needed). */
export function isUtc(zone: string | undefined): boolean {
  return zone === undefined || zone === "UTC" || zone === "Etc/UTC";
}

/** The zone's canonical name, or InvalidArgumentError naming what was given. */
export function validateTimeZone(zone: string): string {
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    throw new InvalidArgumentError(`unknown time zone ${JSON.stringify(zone)}; use an IANA name such as UTC, Europe/Berlin or America/New_York`);
  }
}

/** The zone's offset from UTC at the instant, ms (Berlin in summer: +7_200_000). */
export function offsetAt(zone: string, instant: number): number {
  if (isUtc(zone)) return 0;
  const whole = Math.floor(instant / 1000) * 1000;
  const parts: Record<string, number> = {};
  for (const part of formatter(zone).formatToParts(whole)) {
    if (part.type !== "literal") parts[part.type] = Number(part.value);
  }
  const asUtc = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
  return asUtc - whole;
}

/** The wall-clock time at the instant, as a naive time. */
export function wallClock(zone: string, instant: number): number {
  return instant + offsetAt(zone, instant);
}

/** The longest time between two transitions that the search below assumes apart. */
const DAY = 86_400_000;

/**
 * The instants at which the zone's clocks show the naive time, earliest first: one usually,
 * none in a gap (clocks jumped over it), two in an overlap (clocks went back over it).
 */
export function instantsOf(zone: string, naive: number): number[] {
  if (isUtc(zone)) return [naive];
  const offsets = new Set([offsetAt(zone, naive - DAY), offsetAt(zone, naive + DAY)]);
  return [...offsets]
    .map((offset) => naive - offset)
    .filter((instant) => offsetAt(zone, instant) === naive - instant)
    .sort((a, b) => a - b);
}

/**
 * The first instant after `from` (and no later than `to`) at which the zone's offset differs
 * from its offset at `from`, to the minute; undefined when it does not change in between.
 */
export function nextTransition(zone: string, from: number, to: number): number | undefined {
  const start = offsetAt(zone, from);
  if (offsetAt(zone, to) === start) return undefined;
  let lo = from;
  let hi = to;
  while (hi - lo > 60_000) {
    const mid = lo + Math.max(60_000, Math.floor((hi - lo) / 120_000) * 60_000);
    if (mid >= hi) break;
    if (offsetAt(zone, mid) === start) lo = mid;
    else hi = mid;
  }
  return hi;
}

/**
 * The time dfut records and waits by: event times, timer due times, retry times. It is the
 * process's clock, unless a test environment skips time: then it runs ahead by an offset, and
 * waits that JetStream would hold in real time (a timer's redelivery) are capped, so that a
 * timer due in 30 days fires as soon as the offset passes it.
 */
let offsetMs = 0;
let longestWaitMs = Number.POSITIVE_INFINITY;

export const clock = {
  /** Milliseconds since the epoch, as dfut sees it. */
  now(): number {
    return Date.now() + offsetMs;
  },
  nowIso(): string {
    return new Date(Date.now() + offsetMs).toISOString();
  },
  /** How long to hold a message back for something due in `ms`: no longer than the cap. */
  wait(ms: number): number {
    return Math.min(ms, longestWaitMs);
  },
  /** @internal For a test environment: moves dfut's time forward. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`time only moves forward; cannot advance by ${ms} ms`);
    offsetMs += ms;
  },
  /** @internal For a test environment: how long a due time may be waited for in real time. */
  capWaits(ms: number | undefined): void {
    longestWaitMs = ms ?? Number.POSITIVE_INFINITY;
  },
  /** @internal Back to the process's clock. */
  reset(): void {
    offsetMs = 0;
    longestWaitMs = Number.POSITIVE_INFINITY;
  },
};

import { describe, expect, it } from "vitest";
import { durationMs, formatDurationMs, parseDuration } from "../../src/common/duration.ts";
import {
  addTrigger,
  confirmStart,
  decideTick,
  lastStartedWorkflowId,
  needsLook,
  needsRunStatus,
  nextDueAt,
  pauseSchedule,
  resumeSchedule,
} from "../../src/common/schedule-decisions.ts";
import {
  describeSpec,
  dueAt,
  firedWorkflowId,
  jitterOffset,
  newScheduleRecord,
  nextFires,
  parseAction,
  parsePolicies,
  parseSpec,
  validateScheduleId,
  type ScheduleRecord,
  type ScheduleSpecInput,
} from "../../src/common/schedule-spec.ts";
import { decodeSchedule } from "../../src/common/schedules.ts";
import { encodeJson } from "../../src/common/payload.ts";

const T0 = Date.parse("2025-01-01T00:00:00Z");
const iso = (ms: number) => new Date(ms).toISOString();

function schedule(spec: ScheduleSpecInput, policies: { overlap?: string; catchupWindow?: string } = {}, id = "sched"): ScheduleRecord {
  return newScheduleRecord(id, { spec: parseSpec(spec), action: parseAction({ workflowType: "Tiny" }), policies: parsePolicies(policies) }, T0);
}

describe("durations", () => {
  it("reads and writes the units the CLI takes", () => {
    expect(["30s", "5m", "1h", "1d", "1.5h", "250ms", "0"].map((t) => durationMs(t))).toEqual([30_000, 300_000, 3_600_000, 86_400_000, 5_400_000, 250, 0]);
    expect(durationMs("5")).toBeUndefined();
    expect(() => parseDuration("soon", "the interval (every)")).toThrow('the interval (every) must be a duration such as 30s, 5m, 1h or 1d; not "soon"');
    expect(parseDuration(1500, "x")).toBe(1500);
    expect([0, 1500, 90_000, 3_600_000, 90_061_000].map(formatDurationMs)).toEqual(["0", "1s500ms", "1m30s", "1h", "1d1h1m1s"]);
  });
});

describe("schedule specs", () => {
  it("takes a cron expression or an interval, not both, not neither", () => {
    expect(parseSpec({ every: "5m" })).toEqual({ everyMs: 300_000, jitterMs: 0 });
    expect(parseSpec({ cron: "0 3 * * *", timezone: "europe/berlin", jitter: "30s" })).toEqual({ cron: "0 3 * * *", timezone: "Europe/Berlin", jitterMs: 30_000 });
    expect(() => parseSpec({})).toThrow("a schedule needs a cron expression or an interval (every)");
    expect(() => parseSpec({ cron: "* * * * *", every: "1m" })).toThrow("a schedule has either a cron expression or an interval (every), not both");
  });

  it("refuses intervals that are not whole seconds, zones for intervals, unknown zones and policies", () => {
    expect(() => parseSpec({ every: "500ms" })).toThrow(/whole number of seconds, at least 1s; not "500ms"/);
    expect(() => parseSpec({ every: "1.5s" })).toThrow(/whole number of seconds/);
    expect(() => parseSpec({ every: "1m", timezone: "Europe/Berlin" })).toThrow(/a time zone applies to cron schedules only/);
    expect(() => parseSpec({ cron: "* * * * *", timezone: "Nowhere/Land" })).toThrow(/unknown time zone "Nowhere\/Land"/);
    expect(() => parseSpec({ every: "1m", jitter: "a bit" })).toThrow(/the jitter must be a duration/);
    expect(() => parsePolicies({ overlap: "queue" })).toThrow('the overlap policy must be one of skip, buffer-one, allow-all; not "queue"');
    expect(() => parsePolicies({ catchupWindow: "100ms" })).toThrow(/the catch-up window must be at least 1s/);
    expect(parsePolicies({})).toEqual({ overlap: "skip", catchupWindowMs: 60_000 });
  });

  it("checks schedule ids as workflow ids are checked", () => {
    expect(validateScheduleId("nightly_report-1")).toBe("nightly_report-1");
    expect(() => validateScheduleId("a.b c")).toThrow(`schedule id "a.b c" contains '.', " "; only letters, digits, '-' and '_' are allowed`);
    expect(() => validateScheduleId("")).toThrow("schedule id must not be empty");
    expect(() => validateScheduleId("x".repeat(171))).toThrow(/at most 170/);
  });

  it("derives fire ids from the nominal time, and describes itself", () => {
    expect(firedWorkflowId("nightly", Date.parse("2025-03-04T05:06:07Z"))).toBe("nightly-20250304T050607Z");
    expect(describeSpec(parseSpec({ every: "90s", jitter: "5s" }))).toBe("every 1m30s, jitter 5s");
    expect(describeSpec(parseSpec({ cron: "0 3 * * *", timezone: "Europe/Berlin" }))).toBe("cron 0 3 * * * (Europe/Berlin)");
  });

  it("aligns intervals to the epoch and lists the next fire times", () => {
    expect(nextFires(parseSpec({ every: "1h" }), Date.parse("2025-01-01T10:20:00Z"), 3).map(iso)).toEqual([
      "2025-01-01T11:00:00.000Z",
      "2025-01-01T12:00:00.000Z",
      "2025-01-01T13:00:00.000Z",
    ]);
  });

  it("puts jitter in [0, jitter), the same for a fire on every call, and not in the id", () => {
    const offsets = Array.from({ length: 200 }, (_, i) => jitterOffset("sched", T0 + i * 1000, 10_000));
    expect(offsets.every((o) => o >= 0 && o < 10_000)).toBe(true);
    expect(new Set(offsets).size).toBeGreaterThan(150);
    expect(jitterOffset("sched", T0 + 5000, 10_000)).toBe(offsets[5]);
    expect(jitterOffset("other", T0 + 5000, 10_000)).not.toBe(offsets[5]);
    expect(jitterOffset("sched", T0, 0)).toBe(0);

    const record = schedule({ every: "1m", jitter: "30s" });
    const nominal = T0 + 60_000;
    const due = dueAt(record, nominal);
    expect(due).toBe(nominal + jitterOffset("sched", nominal, 30_000));
    expect(decideTick(record, { now: due - 1, lastRunning: false }).changed).toBe(false);
    const { record: fired } = decideTick(record, { now: due, lastRunning: false });
    expect(fired.pending).toEqual([{ nominal: iso(nominal), workflowId: "sched-20250101T000100Z" }]);
  });
});

describe("tick decisions", () => {
  it("decides every due fire oldest first and moves lastNominalFire to the last", () => {
    const record = schedule({ every: "1s" }, { overlap: "allow-all" });
    expect(needsLook(record, T0 + 999)).toBe(false);
    expect(needsLook(record, T0 + 1000)).toBe(true);
    const { record: next, changed } = decideTick(record, { now: T0 + 3500, lastRunning: false });
    expect(changed).toBe(true);
    expect(next.pending.map((p) => p.workflowId)).toEqual(["sched-20250101T000001Z", "sched-20250101T000002Z", "sched-20250101T000003Z"]);
    expect(next.lastNominalFire).toBe(iso(T0 + 3000));
    expect(nextDueAt(next)).toBe(T0 + 4000);
    expect(record.pending).toEqual([]);
    expect(decideTick(next, { now: T0 + 3500, lastRunning: true }).changed).toBe(false);
  });

  it("catches up fires inside the window after a stop, and skips and counts older ones", () => {
    const record = schedule({ every: "1s" }, { overlap: "allow-all", catchupWindow: "2.5s" });
    const { record: next } = decideTick(record, { now: T0 + 10_200, lastRunning: false });
    expect(next.counters.missedCatchup).toBe(7);
    expect(next.pending.map((p) => p.nominal)).toEqual([T0 + 8000, T0 + 9000, T0 + 10_000].map(iso));
    expect(next.lastNominalFire).toBe(iso(T0 + 10_000));
  });

  it("counts long-missed cron fires without starting them", () => {
    const record = schedule({ cron: "* * * * *" }, { overlap: "allow-all", catchupWindow: "90s" });
    const { record: next } = decideTick(record, { now: T0 + 3 * 86_400_000 + 30_000, lastRunning: false });
    // 4320 minutes in three days; the last one and the one before are inside 90 s.
    expect(next.counters.missedCatchup + next.pending.length).toBe(4320);
    expect(next.pending.map((p) => p.nominal)).toEqual([iso(T0 + 3 * 86_400_000 - 60_000), iso(T0 + 3 * 86_400_000)]);
  });

  it("skip: a fire while the last started workflow runs is skipped and counted", () => {
    const record = schedule({ every: "1s" }, { overlap: "skip" });
    const first = decideTick(record, { now: T0 + 2100, lastRunning: false }).record;
    // The second due fire overlaps the first, just decided.
    expect(first.pending.map((p) => p.workflowId)).toEqual(["sched-20250101T000001Z"]);
    expect(first.counters.overlapSkipped).toBe(1);
    const started = confirmStart(first, "sched-20250101T000001Z")!;
    expect(lastStartedWorkflowId(started)).toBe("sched-20250101T000001Z");
    expect(needsRunStatus(started, T0 + 3000)).toBe(true);
    const whileRunning = decideTick(started, { now: T0 + 3000, lastRunning: true }).record;
    expect(whileRunning.pending).toEqual([]);
    expect(whileRunning.counters.overlapSkipped).toBe(2);
    const afterClose = decideTick(whileRunning, { now: T0 + 4000, lastRunning: false }).record;
    expect(afterClose.pending.map((p) => p.workflowId)).toEqual(["sched-20250101T000004Z"]);
  });

  it("buffer-one: keeps one fire waiting, skips more, and starts it when the running one closes", () => {
    const record = confirmStart(decideTick(schedule({ every: "1s" }, { overlap: "buffer-one" }), { now: T0 + 1000, lastRunning: false }).record, "sched-20250101T000001Z")!;
    const buffered = decideTick(record, { now: T0 + 3000, lastRunning: true }).record;
    expect(buffered.buffered?.workflowId).toBe("sched-20250101T000002Z");
    expect(buffered.counters.overlapSkipped).toBe(1);
    expect(needsLook(buffered, T0 + 3100)).toBe(true);
    expect(decideTick(buffered, { now: T0 + 3100, lastRunning: true }).changed).toBe(false);
    const released = decideTick(buffered, { now: T0 + 3100, lastRunning: false }).record;
    expect(released.buffered).toBeUndefined();
    expect(released.pending.map((p) => p.workflowId)).toEqual(["sched-20250101T000002Z"]);
    // A fire due in the same tick as the release waits behind it.
    const both = decideTick(buffered, { now: T0 + 4000, lastRunning: false }).record;
    expect(both.pending.map((p) => p.workflowId)).toEqual(["sched-20250101T000002Z"]);
    expect(both.buffered?.workflowId).toBe("sched-20250101T000004Z");
  });

  it("decides at most maxPending fires a tick; the rest at the next", () => {
    const record = schedule({ every: "1s" }, { overlap: "allow-all", catchupWindow: "1h" });
    const first = decideTick(record, { now: T0 + 50_000, lastRunning: false }, { maxPending: 20, maxSteps: 10_000 }).record;
    expect(first.pending).toHaveLength(20);
    expect(first.lastNominalFire).toBe(iso(T0 + 20_000));
    const confirmed = first.pending.reduce((r, p) => confirmStart(r, p.workflowId)!, first);
    const second = decideTick(confirmed, { now: T0 + 50_000, lastRunning: false }).record;
    expect(second.pending[0].nominal).toBe(iso(T0 + 21_000));
  });

  it("does nothing while paused, and does not catch up the pause after resume", () => {
    const paused = pauseSchedule(schedule({ every: "1s" }, { catchupWindow: "1h" }), T0 + 500, "maintenance");
    expect(paused.note).toBe("maintenance");
    expect(needsLook(paused, T0 + 5000)).toBe(false);
    expect(decideTick(paused, { now: T0 + 5000, lastRunning: false }).changed).toBe(false);
    const resumed = resumeSchedule(paused, T0 + 5500);
    expect(resumed.paused).toBe(false);
    expect(resumed.note).toBeUndefined();
    const { record: next } = decideTick(resumed, { now: T0 + 6000, lastRunning: false });
    expect(next.pending.map((p) => p.nominal)).toEqual([iso(T0 + 6000)]);
    expect(next.counters.missedCatchup).toBe(0);
  });

  it("confirms a start once, and records a start refused for good", () => {
    const record = decideTick(schedule({ every: "1s" }, { overlap: "allow-all" }), { now: T0 + 2000, lastRunning: false }).record;
    const once = confirmStart(record, "sched-20250101T000001Z")!;
    expect(confirmStart(once, "sched-20250101T000001Z")).toBeUndefined();
    const refused = confirmStart(once, "sched-20250101T000002Z", "too large")!;
    expect(refused.pending).toEqual([]);
    expect(refused.recent.map((r) => r.error)).toEqual([undefined, "too large"]);
    expect(refused.counters).toMatchObject({ started: 1, failedStarts: 1 });
    // A failed start is not a workflow that could overlap.
    expect(lastStartedWorkflowId(refused)).toBe("sched-20250101T000001Z");
  });

  it("trigger: a manual fire now, with its own id, even while paused", () => {
    const paused = pauseSchedule(schedule({ every: "1h" }), T0);
    const now = Date.parse("2025-01-01T00:10:00Z");
    const { record, fire } = addTrigger(paused, now);
    expect(fire).toEqual({ nominal: iso(now), workflowId: "sched-manual-20250101T001000Z", manual: true });
    expect(addTrigger(record, now).fire.workflowId).toBe("sched-manual-20250101T001000Z-2");
    expect(record.lastNominalFire).toBe(paused.lastNominalFire);
  });

  it("keeps the last ten runs", () => {
    let record = schedule({ every: "1s" }, { overlap: "allow-all" });
    record = decideTick(record, { now: T0 + 12_000, lastRunning: false }).record;
    for (const p of record.pending) record = confirmStart(record, p.workflowId)!;
    expect(record.recent.map((r) => r.nominal)).toEqual(Array.from({ length: 10 }, (_, i) => iso(T0 + (i + 3) * 1000)));
    expect(record.counters.started).toBe(12);
  });
});

describe("stored records", () => {
  it("decode back, and records that cannot be computed with do not decode", () => {
    const record = schedule({ cron: "0 3 * * *", timezone: "Europe/Berlin" });
    expect(decodeSchedule(encodeJson(record))).toEqual(record);
    const broken = (spec: object) => decodeSchedule(encodeJson({ ...record, spec }));
    expect(broken({ cron: "0 25 * * *", jitterMs: 0 })).toBeUndefined();
    expect(broken({ cron: "0 3 * * *", timezone: "Nowhere/Land", jitterMs: 0 })).toBeUndefined();
    expect(broken({ everyMs: 0, jitterMs: 0 })).toBeUndefined();
    expect(broken({ everyMs: 60_000 })).toBeUndefined();
    expect(decodeSchedule(new TextEncoder().encode("not json"))).toBeUndefined();
    expect(decodeSchedule(encodeJson({ scheduleId: "x" }))).toBeUndefined();
  });
});

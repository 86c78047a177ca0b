// The pure parts of the watch UI, and its components rendered from fixed data.
import { afterEach, describe, expect, it } from "vitest";
import { cleanup, render } from "ink-testing-library";
import { Box } from "ink";
import type { HistoryEvent } from "dfut";
import { ExecutionsView } from "../../src/tui/components/ExecutionsView.tsx";
import { WorkflowView } from "../../src/tui/components/WorkflowView.tsx";
import { activityNames, compactJson, eventDetails, formatDuration, shorten, spacedJson, wrapText } from "../../src/tui/format.ts";
import { summarize } from "../../src/tui/summary.ts";

afterEach(() => cleanup());

const t = (ms: number) => new Date(Date.UTC(2026, 0, 2, 3, 4, 5) + ms).toISOString();
const retry = { initialInterval: 1000, backoffCoefficient: 2, maximumInterval: 100_000, maximumAttempts: 0, nonRetryableErrorTypes: [] };
const activityOptions = { startToCloseTimeout: 60_000, scheduleToCloseTimeout: 0, heartbeatTimeout: 0, queue: "default", retry };

/** A history in which activity #1 failed once and runs again, and timer #2 is pending. */
const history: HistoryEvent[] = [
  { seq: 1, time: t(0), type: "WorkflowStarted", workflowType: "OrderWorkflow", args: ["Bob", 2], queue: "default", options: {} },
  { seq: 2, time: t(10), type: "ActivityScheduled", activityId: 1, activityType: "Charge", args: ["Bob"], options: activityOptions },
  { seq: 3, time: t(20), type: "ActivityStarted", activityId: 1, attempt: 1, worker: "w1" },
  { seq: 4, time: t(30), type: "ActivityFailed", activityId: 1, attempt: 1, error: { name: "Error", message: "jammed\nat line 3" }, willRetry: true, nextAttemptAt: t(1030) },
  { seq: 5, time: t(1040), type: "ActivityStarted", activityId: 1, attempt: 2, worker: "w1" },
  { seq: 6, time: t(1050), type: "TimerStarted", timerId: 2, fireAt: t(61_050) },
];

describe("format", () => {
  it("describes each event in one line, naming the activity by its id", () => {
    const names = activityNames(history);
    expect(history.map((e) => eventDetails(e, names))).toEqual([
      'OrderWorkflow("Bob", 2) queue=default',
      '#1 Charge("Bob")',
      "#1 Charge attempt 1 on w1",
      expect.stringMatching(/^#1 Charge attempt 1 ✗ jammed, retry at \d\d:\d\d:\d\d\.030$/),
      "#1 Charge attempt 2 on w1",
      expect.stringMatching(/^timer #2 fires at \d\d:\d\d:\d\d\.050$/),
    ]);
    expect(eventDetails({ seq: 7, time: t(0), type: "ActivityCompleted", activityId: 1, attempt: 2, result: { ok: true } }, names)).toBe('#1 Charge attempt 2 → {"ok":true}');
    expect(eventDetails({ seq: 8, time: t(0), type: "WorkflowCompleted", result: undefined })).toBe("→ undefined");
  });

  it("describes an update's acceptance by its name and arguments, and its outcome by its id", () => {
    const accepted: HistoryEvent = { seq: 7, time: t(0), type: "UpdateAccepted", updateId: "pay-once", name: "checkout", args: [30] };
    expect(eventDetails(accepted)).toBe("update checkout(30) accepted, id pay-once");
    expect(eventDetails({ seq: 8, time: t(0), type: "UpdateCompleted", updateId: "pay-once", result: { receipt: "r-30" } })).toBe('update pay-once → {"receipt":"r-30"}');
    expect(eventDetails({ seq: 9, time: t(0), type: "UpdateCompleted", updateId: "u2", error: { name: "OverflowError", message: "too much\nat x" } })).toBe(
      "update u2 ✗ OverflowError: too much",
    );
    expect(eventDetails({ seq: 10, time: t(0), type: "UpdateCompleted", updateId: "u3" })).toBe("update u3 → undefined");
  });

  it("shortens, wraps and measures", () => {
    expect(shorten("abcdef", 4)).toBe("abc…");
    expect(shorten("abc", 4)).toBe("abc");
    expect(eventDetails({ seq: 1, time: t(0), type: "WorkflowCompleted", result: "x".repeat(200) }, new Map(), 20)).toBe(`→ "${"x".repeat(18)}…`);
    expect(wrapText("the quick brown fox jumps", 10, 5)).toEqual(["the quick", "brown fox", "jumps"]);
    expect(wrapText("abcdefghijkl mn", 5, 5)).toEqual(["abcde", "fghij", "kl mn"]);
    expect(wrapText("one two three four five six", 9, 2)).toEqual(["one two", "three fo…"]);
    expect(compactJson({ a: [1, 2] })).toBe('{"a":[1,2]}');
    expect(spacedJson({ a: [1, "x, y"], b: { c: null }, d: new Date(0) })).toBe('{"a": [1, "x, y"], "b": {"c": null}, "d": "1970-01-01T00:00:00.000Z"}');
    expect([850, 4200, 184_000, 7_500_000].map(formatDuration)).toEqual(["850ms", "4.2s", "3m 04s", "2h 05m"]);
  });
});

describe("summarize", () => {
  it("tracks the open activities with their attempt, and the pending timers", () => {
    const s = summarize(history);
    expect(s.status).toBe("running");
    expect(s.workflowType).toBe("OrderWorkflow");
    expect(s.activities).toEqual([expect.objectContaining({ activityId: 1, activityType: "Charge", attempt: 2, state: "running" })]);
    expect(s.timers).toEqual([{ timerId: 2, fireAt: t(61_050) }]);
  });

  it("closes with the outcome and nothing left open", () => {
    const s = summarize([...history, { seq: 7, time: t(2000), type: "WorkflowFailed", error: { name: "Boom", message: "no" } }]);
    expect(s.status).toBe("failed");
    expect(s.closedAt).toBe(t(2000));
    expect(s.outcome).toEqual({ kind: "failed", error: { name: "Boom", message: "no" } });
    expect(s.activities).toEqual([]);
    expect(s.timers).toEqual([]);
  });

  it("lists an accepted update as open until its outcome is recorded", () => {
    const accepted: HistoryEvent = { seq: 7, time: t(1100), type: "UpdateAccepted", updateId: "pay-once", name: "checkout", args: [30] };
    expect(summarize([...history, accepted]).updates).toEqual([{ updateId: "pay-once", name: "checkout", since: t(1100) }]);
    const completed: HistoryEvent = { seq: 8, time: t(1200), type: "UpdateCompleted", updateId: "pay-once", result: 1 };
    expect(summarize([...history, accepted, completed]).updates).toEqual([]);
  });

  it("is waiting while there is no history", () => {
    expect(summarize([]).status).toBe("waiting");
  });
});

describe("components from fixed data", () => {
  it("OpenWork: an update that runs, and the update's rows in the event table", () => {
    const accepted: HistoryEvent = { seq: 7, time: t(1100), type: "UpdateAccepted", updateId: "pay-once", name: "checkout", args: [30] };
    const events = [...history, accepted];
    const frame =
      render(
        <Box width={80}>
          <WorkflowView
          workflowId="order-7"
          summary={summarize(events)}
          events={events}
          names={activityNames(events)}
          caughtUp
          offset={0}
          following={false}
          now={Date.parse(t(4100))}
          columns={80}
          rows={30}
          canGoBack
          />
        </Box>,
      ).lastFrame() ?? "";
    expect(frame).toMatch(/UpdateAccepted +update checkout\(30\) accepted, id pay-once/);
    expect(frame).toContain("update checkout (id pay-once)  running 3.0s");
  });

  it("WorkflowView: header, rows, open work, and only as many rows as fit", () => {
    const summary = summarize(history);
    // ink-testing-library's terminal is 100 columns; the view fills an 80-column box.
    const ui = render(
      <Box width={80}>
        <WorkflowView
        workflowId="order-7"
        summary={summary}
        events={history}
        names={activityNames(history)}
        caughtUp
        offset={0}
        following={false}
        now={Date.parse(t(2040))}
        columns={80}
        rows={14}
        canGoBack
        />
      </Box>,
    );
    const frame = ui.lastFrame() ?? "";
    const lines = frame.split("\n");
    expect(lines[0]).toMatch(/^OrderWorkflow {2}order-7 +● Running$/);
    expect(lines[1]).toContain("elapsed 2.0s");
    expect(frame).toContain("#1 Charge  attempt 2  running 1.0s");
    expect(frame).toContain("timer #2  fires at");
    expect(frame).toContain("esc back");
    expect(lines.length).toBeLessThan(14);
    expect(lines.every((l) => l.length <= 80)).toBe(true);
    // Not everything fits in 14 rows: the footer says which rows show.
    expect(frame).toMatch(/1-\d\/6$/);
  });

  it("WorkflowView and ExecutionsView without a connection: the line instead of the live status, clocks stopped", () => {
    const since = Date.parse(t(1500));
    const props = {
      workflowId: "order-7",
      events: history,
      names: activityNames(history),
      caughtUp: true,
      offset: 0,
      following: true,
      now: Date.parse(t(4000)),
      columns: 100,
      rows: 30,
      canGoBack: false,
    };
    const lost = render(<WorkflowView {...props} summary={summarize(history)} connection={{ state: "reconnecting", since }} />).lastFrame() ?? "";
    const lines = lost.split("\n");
    expect(lines[0]).toMatch(/^OrderWorkflow {2}order-7 +⚠ Reconnecting$/);
    expect(lines[1]).toContain("elapsed 1.5s");
    expect(lines[2]).toMatch(/^⚠ NATS connection lost; reconnecting since \d\d:\d\d:\d\d \(2\.5s\); showing what was known then$/);
    expect(lost).toContain("#1 Charge  attempt 2  running 460ms");

    // A closed workflow keeps its status: it cannot change while the connection is down.
    const closedHistory: HistoryEvent[] = [...history, { seq: 7, time: t(1400), type: "WorkflowCompleted", result: 1 }];
    const closed = render(<WorkflowView {...props} summary={summarize(closedHistory)} events={closedHistory} connection={{ state: "closed", since }} />).lastFrame() ?? "";
    expect(closed.split("\n")[0]).toMatch(/● Completed$/);
    expect(closed).toMatch(/^⚠ NATS connection closed at \d\d:\d\d:\d\d; this view no longer updates$/m);

    const list = render(
      <ExecutionsView
        loaded
        records={[{ workflowId: "run-1", workflowType: "OrderWorkflow", status: "running", startedAt: t(0), statusSeq: 1 }]}
        error={undefined}
        selected={0}
        offset={0}
        now={Date.parse(t(4000))}
        columns={100}
        rows={20}
        connection={{ state: "reconnecting", since }}
      />,
    ).lastFrame() ?? "";
    expect(list).toMatch(/^⚠ NATS connection lost; reconnecting since .* \(2\.5s\)/m);
    expect(list).toMatch(/› ● Running +OrderWorkflow +run-1 .* 1\.5s/);
  });

  it("ExecutionsView: empty, failing to load, and a list with problems", () => {
    const base = { selected: 0, offset: 0, now: Date.parse(t(5000)), columns: 100, rows: 20 };
    const empty = render(<ExecutionsView records={[]} loaded {...base} />);
    expect(empty.lastFrame()).toContain("no executions yet");
    const failed = render(<ExecutionsView records={[]} loaded={false} error={new Error("dfut is not set up on this NATS server yet")} {...base} />);
    expect(failed.lastFrame()).toContain("dfut is not set up on this NATS server yet");
    const list = render(
      <ExecutionsView
        loaded
        records={[
          { workflowId: "stuck-1", workflowType: "OrderWorkflow", status: "running", startedAt: t(0), statusSeq: 1, problem: "no worker serves queue gpu" },
          { workflowId: "done-1", workflowType: "OrderWorkflow", status: "completed", startedAt: t(0), closedAt: t(1500), statusSeq: 8 },
        ]}
        {...base}
      />,
    );
    const frame = list.lastFrame() ?? "";
    expect(frame).toMatch(/› ● Running +OrderWorkflow +stuck-1 .* 5\.0s +⚠ no worker serves/);
    expect(frame).toMatch(/ {2}● Completed +OrderWorkflow +done-1 .* 1\.5s/);
    expect(frame).toContain("2 in all · 1 running");
  });
});

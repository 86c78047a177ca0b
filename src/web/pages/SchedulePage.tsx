import { useState } from "react";
import { durationMs, type Duration } from "@bufbuild/protobuf/wkt";
import type { Schedule, ScheduleRun } from "../../api/gen/dfut/v1/workflow_pb.ts";
import { api, errorText, needsToken } from "../api.ts";
import { Notice } from "../components/Notice.tsx";
import { SchedulePill } from "../components/SchedulePill.tsx";
import { StatusBadge } from "../components/StatusBadge.tsx";
import { TokenPrompt } from "../components/TokenPrompt.tsx";
import { formatDuration, formatTime, formatUntil, jsonOf, overlapName, refreshDelay, scheduleRunView, toMillis } from "../format.ts";
import { useNow } from "../hooks/useNow.ts";
import { usePolled } from "../hooks/usePolled.ts";
import { hrefOf } from "../route.ts";

/** How often at most the schedule is read again (its workflows' status changes by itself); sooner once a fire is due. */
const REFRESH_MS = 2000;

/** One schedule: its spec, its next runs, its recent runs with their workflows, what it skipped; pause, resume, trigger. */
export function SchedulePage({ scheduleId }: { scheduleId: string }) {
  const described = usePolled(
    (signal) => api.describeSchedule({ scheduleId }, { signal }),
    ({ schedule }) => (schedule?.paused ? REFRESH_MS : refreshDelay((schedule?.nextFires ?? []).map(toMillis), REFRESH_MS)),
    [scheduleId],
  );
  const schedule = described.data?.schedule;
  const now = useNow(true);

  if (!schedule) {
    return (
      <section className="page">
        <h1 className="wf-id">{scheduleId}</h1>
        {described.error ? <Notice kind="error">{described.error}</Notice> : <p className="muted">Loading…</p>}
        <p>
          <a href={hrefOf({ page: "schedules" })}>All schedules</a>
        </p>
      </section>
    );
  }

  const counters = schedule.counters;
  return (
    <section className="page">
      <div className="wf-header card schedule-header">
        <div className="wf-title">
          <div className="wf-title-main">
            <span className="muted small">Schedule</span>
            <h1 className="wf-id">{schedule.scheduleId}</h1>
          </div>
          <SchedulePill paused={schedule.paused} />
        </div>
        {described.error && <Notice kind="warn">Could not refresh: {described.error}</Notice>}
        <dl className="facts">
          <div>
            <dt>Spec</dt>
            <dd>{schedule.specText}</dd>
          </div>
          <div>
            <dt>Workflow</dt>
            <dd>{schedule.workflowType}</dd>
          </div>
          <div>
            <dt>Queue</dt>
            <dd>{schedule.queue}</dd>
          </div>
          <div>
            <dt>Overlap</dt>
            <dd>{overlapName(schedule.overlap)}</dd>
          </div>
          <div>
            <dt>Catch-up window</dt>
            <dd>{durationText(schedule.catchupWindow)}</dd>
          </div>
          <div>
            <dt>Created</dt>
            <dd>{formatTime(toMillis(schedule.createdAt), now)}</dd>
          </div>
        </dl>
        <div className="io-block">
          <h2>Arguments</h2>
          {schedule.args.length === 0 ? <p className="muted">No arguments</p> : <code>{JSON.stringify(schedule.args.map(jsonOf))}</code>}
        </div>
        {schedule.note && (
          <p className="schedule-note">
            <span className="muted">Note:</span> {schedule.note}
          </p>
        )}
        <ScheduleActions schedule={schedule} onChanged={described.reload} />
      </div>

      <div className="schedule-columns">
        <div>
          <h2 className="section-title">Next runs</h2>
          {schedule.paused && <p className="hint">Paused: none of these fires until it is resumed.</p>}
          <ol className="next-fires">
            {schedule.nextFires.map((t) => {
              const ms = toMillis(t)!;
              return (
                <li key={ms} className={schedule.paused ? "muted" : undefined}>
                  <time dateTime={new Date(ms).toISOString()}>{formatTime(ms, now)}</time>{" "}
                  {!schedule.paused && <span className="muted small">{formatUntil(ms, now)}</span>}
                </li>
              );
            })}
          </ol>
        </div>
        <div>
          <h2 className="section-title">Counts</h2>
          <dl className="facts schedule-counts">
            <div>
              <dt>Started</dt>
              <dd data-count="started">{String(counters?.started ?? 0n)}</dd>
            </div>
            <div>
              <dt>Skipped: missed the catch-up window</dt>
              <dd data-count="missed-catchup">{String(counters?.missedCatchup ?? 0n)}</dd>
            </div>
            <div>
              <dt>Skipped: overlapped</dt>
              <dd data-count="overlap-skipped">{String(counters?.overlapSkipped ?? 0n)}</dd>
            </div>
            <div>
              <dt>Failed starts</dt>
              <dd data-count="failed-starts">{String(counters?.failedStarts ?? 0n)}</dd>
            </div>
          </dl>
        </div>
      </div>

      <h2 className="section-title">Recent runs</h2>
      {schedule.buffered && (
        <p className="hint">
          Buffered: <a href={hrefOf({ page: "workflow", workflowId: schedule.buffered.workflowId })}>{schedule.buffered.workflowId}</a> starts when
          the running one closes.
        </p>
      )}
      {schedule.recentRuns.length === 0 ? (
        <p className="muted">No runs yet.</p>
      ) : (
        <table className="runs schedule-runs">
          <thead>
            <tr>
              <th>Status</th>
              <th>Workflow ID</th>
              <th>Fire time</th>
            </tr>
          </thead>
          <tbody>
            {schedule.recentRuns.map((run) => (
              <RunRow key={run.workflowId} run={run} now={now} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function durationText(d: Duration | undefined): string {
  return d ? formatDuration(durationMs(d)) : "—";
}

function RunRow({ run, now }: { run: ScheduleRun; now: number }) {
  const view = scheduleRunView(run);
  return (
    <tr data-workflow-id={run.workflowId}>
      <td data-label="Status">
        {view.status ? <StatusBadge status={view.status} /> : <span className="pill pill-closed">{view.label}</span>}
      </td>
      <td data-label="ID" className="id-cell">
        <a href={hrefOf({ page: "workflow", workflowId: run.workflowId })}>{run.workflowId}</a>
        {run.error && (
          <div className="problem" title={run.error}>
            ⚠ {run.error}
          </div>
        )}
      </td>
      <td data-label="Started">
        {formatTime(toMillis(run.nominalTime), now)}
        {run.manual && <span className="muted"> · trigger</span>}
      </td>
    </tr>
  );
}

/** Pause (with a note) or resume, and trigger one run now. */
function ScheduleActions({ schedule, onChanged }: { schedule: Schedule; onChanged(): void }) {
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ kind: "info" | "error"; text: string; workflowId?: string }>();
  const [askToken, setAskToken] = useState(false);
  const { scheduleId } = schedule;

  const act = async (what: () => Promise<{ text: string; workflowId?: string }>) => {
    setBusy(true);
    setMessage(undefined);
    try {
      setMessage({ kind: "info", ...(await what()) });
      setAskToken(false);
      onChanged();
    } catch (err) {
      setMessage({ kind: "error", text: errorText(err) });
      setAskToken(needsToken(err));
    } finally {
      setBusy(false);
    }
  };
  const pause = () =>
    act(async () => {
      await api.pauseSchedule({ scheduleId, note: note.trim() });
      setNote("");
      return { text: "Paused." };
    });
  const resume = () =>
    act(async () => {
      await api.resumeSchedule({ scheduleId });
      return { text: "Resumed: it fires again from now on." };
    });
  const trigger = () =>
    act(async () => {
      const run = await api.triggerSchedule({ scheduleId });
      return { text: "Started ", workflowId: run.workflowId };
    });

  return (
    <div className="actions-panel">
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          void (schedule.paused ? resume() : pause());
        }}
      >
        {!schedule.paused && (
          <input aria-label="Pause note" placeholder="Why (optional, shown here)" autoComplete="off" value={note} onChange={(e) => setNote(e.target.value)} />
        )}
        <button type="submit" className="btn" disabled={busy}>
          {schedule.paused ? "Resume" : "Pause"}
        </button>
        <button type="button" className="btn btn-primary" disabled={busy} onClick={() => void trigger()}>
          Trigger now
        </button>
      </form>
      {message && (
        <Notice kind={message.kind}>
          {message.text}
          {message.workflowId && <a href={hrefOf({ page: "workflow", workflowId: message.workflowId })}>{message.workflowId}</a>}
          {message.workflowId && "."}
        </Notice>
      )}
      {askToken && <TokenPrompt onSaved={() => setAskToken(false)} />}
    </div>
  );
}

import type { JsonValue } from "@bufbuild/protobuf";
import { unhandled } from "../../common/events.ts";
import { formatClock, formatDuration, previewJson } from "../format.ts";
import type { ActivityEntry, AttemptView, TimelineEntry } from "../timeline.ts";
import { ErrorBox } from "./ErrorBox.tsx";
import { JsonBlock } from "./JsonBlock.tsx";

/** The workflow's story so far, one card per step, growing as events arrive. */
export function Timeline({ entries, now }: { entries: TimelineEntry[]; now: number }) {
  if (entries.length === 0) return <p className="muted">No events yet.</p>;
  return (
    <ol className="timeline">
      {entries.map((entry) => (
        <li key={entry.key} className={`tl tl-${entry.kind}${entry.kind === "activity" ? ` tl-${entry.state}` : ""}`}>
          <span className="tl-marker" aria-hidden="true" />
          <div className="tl-body">
            <EntryView entry={entry} now={now} />
          </div>
        </li>
      ))}
    </ol>
  );
}

function At({ ms }: { ms?: number }) {
  return <time className="tl-time">{formatClock(ms)}</time>;
}

function Value({ value, label }: { value: JsonValue; label: string }) {
  const preview = previewJson(value, 90);
  if (preview.length < 90 && !preview.includes("\\n")) {
    return (
      <div className="kv">
        <span className="kv-key">{label}</span> <code className="kv-value">{preview}</code>
      </div>
    );
  }
  return (
    <details className="kv">
      <summary>
        <span className="kv-key">{label}</span> <code className="kv-value">{preview}</code>
      </summary>
      <JsonBlock value={value} label={label} />
    </details>
  );
}

function EntryView({ entry, now }: { entry: TimelineEntry; now: number }) {
  switch (entry.kind) {
    case "started":
      return (
        <>
          <div className="tl-head">
            <span className="tl-title">Workflow started</span>
            <At ms={entry.at} />
          </div>
          <Value value={entry.args} label="args" />
        </>
      );
    case "activity":
      return <ActivityView entry={entry} now={now} />;
    case "timer":
      return (
        <div className="tl-head">
          <span className="tl-title">
            Timer #{entry.timerId} {entry.firedAt ? "fired" : "waiting"}
          </span>
          <span className="tl-meta">
            {entry.fireAt !== undefined && entry.at !== undefined && <>sleeps {formatDuration(entry.fireAt - entry.at)} · </>}
            {entry.firedAt ? <>fired at {formatClock(entry.firedAt)}</> : <>due {formatClock(entry.fireAt)}</>}
          </span>
          <At ms={entry.at} />
        </div>
      );
    case "signal":
      return (
        <>
          <div className="tl-head">
            <span className="tl-title">
              Signal <code>{entry.name}</code>
            </span>
            <At ms={entry.at} />
          </div>
          <Value value={entry.payload} label="payload" />
        </>
      );
    case "cancel-requested":
      return (
        <div className="tl-head">
          <span className="tl-title">Cancellation requested{entry.reason ? `: ${entry.reason}` : ""}</span>
          <At ms={entry.at} />
        </div>
      );
    case "task-failed":
      return (
        <>
          <div className="tl-head">
            <span className="tl-title">Workflow task failed</span>
            <span className="tl-meta">{entry.worker}</span>
            <At ms={entry.at} />
          </div>
          <ErrorBox error={entry.error} />
        </>
      );
    case "completed":
      return (
        <>
          <div className="tl-head">
            <span className="tl-title">Workflow completed</span>
            <At ms={entry.at} />
          </div>
          <Value value={entry.result} label="result" />
        </>
      );
    case "failed":
      return (
        <>
          <div className="tl-head">
            <span className="tl-title">Workflow failed</span>
            <At ms={entry.at} />
          </div>
          <ErrorBox error={entry.error} />
        </>
      );
    case "canceled":
      return (
        <div className="tl-head">
          <span className="tl-title">Workflow canceled{entry.reason ? `: ${entry.reason}` : ""}</span>
          <At ms={entry.at} />
        </div>
      );
    case "terminated":
      return (
        <div className="tl-head">
          <span className="tl-title">Workflow terminated{entry.reason ? `: ${entry.reason}` : ""}</span>
          <At ms={entry.at} />
        </div>
      );
    case "patch":
      return (
        <div className="tl-head">
          <span className="tl-title">
            Patch {entry.patchId}
            {entry.deprecated ? " (deprecated)" : ""}: new code path
          </span>
          <At ms={entry.at} />
        </div>
      );
    case "undecodable":
      return (
        <>
          <div className="tl-head">
            <span className="tl-title">Undecodable message at seq {entry.seq}</span>
            <At ms={entry.at} />
          </div>
          <ErrorBox error={{ name: "Not an event", message: entry.reason }} />
          <Value value={entry.raw} label="raw" />
          <p className="hint">The workflow cannot go on past it: repair or delete the message and signal the workflow, or terminate it.</p>
        </>
      );
    default:
      return unhandled(entry);
  }
}

const ACTIVITY_STATE: Record<ActivityEntry["state"], string> = {
  scheduled: "Scheduled",
  running: "Running",
  retrying: "Retrying",
  completed: "Completed",
  failed: "Failed",
};

function ActivityView({ entry, now }: { entry: ActivityEntry; now: number }) {
  const total = entry.scheduledAt === undefined ? undefined : (entry.closedAt ?? now) - entry.scheduledAt;
  return (
    <div className="activity" data-activity-type={entry.activityType}>
      <div className="tl-head">
        <span className="tl-title">
          <span className="activity-name">{entry.activityType}</span> <span className="muted">#{entry.activityId}</span>
        </span>
        <span className={`pill pill-${entry.state}`}>{ACTIVITY_STATE[entry.state]}</span>
        <span className="tl-meta">{formatDuration(total)}</span>
        <At ms={entry.scheduledAt} />
      </div>
      <Value value={entry.args} label="args" />
      <ol className="phases">
        <li className="phase phase-scheduled">
          <span className="phase-name">Scheduled</span>
          <span className="phase-time">{formatClock(entry.scheduledAt)}</span>
          <span className="phase-gap">{entry.attempts.length === 0 && <>waiting for a worker · {formatDuration(total)}</>}</span>
        </li>
        {entry.attempts.map((attempt, i) => (
          <AttemptRow
            key={attempt.attempt}
            attempt={attempt}
            now={now}
            waitedSince={i === 0 ? entry.scheduledAt : entry.attempts[i - 1].endedAt}
          />
        ))}
      </ol>
      {entry.state === "completed" && <Value value={entry.result ?? null} label="result" />}
    </div>
  );
}

/** An attempt as two steps: its start (after how long a wait) and its outcome (after how long a run). */
function AttemptRow({ attempt, now, waitedSince }: { attempt: AttemptView; now: number; waitedSince?: number }) {
  const ran = attempt.startedAt === undefined ? undefined : (attempt.endedAt ?? now) - attempt.startedAt;
  const waited = attempt.startedAt !== undefined && waitedSince !== undefined ? attempt.startedAt - waitedSince : undefined;
  return (
    <>
      {attempt.startedAt !== undefined && (
        <li className="phase phase-started">
          <span className="phase-name">Started</span>
          <span className="phase-time">{formatClock(attempt.startedAt)}</span>
          <span className="phase-gap">
            attempt {attempt.attempt}
            {waited !== undefined && <> · after {formatDuration(waited)}</>}
            {attempt.worker && <span className="phase-worker"> · {attempt.worker}</span>}
          </span>
        </li>
      )}
      {attempt.state === "running" ? (
        <li className="phase phase-running">
          <span className="phase-name">Running</span>
          <span className="phase-time" />
          <span className="phase-gap">for {formatDuration(ran)}</span>
        </li>
      ) : (
        <li className={`phase phase-${attempt.state}`}>
          <span className="phase-name">{attempt.state === "completed" ? "Completed" : "Failed"}</span>
          <span className="phase-time">{formatClock(attempt.endedAt)}</span>
          <span className="phase-gap">
            {ran !== undefined ? <>ran {formatDuration(ran)}</> : <>attempt {attempt.attempt} (no start recorded)</>}
          </span>
          {attempt.error && (
            <div className="phase-error">
              <ErrorBox error={attempt.error} />
              <div className="retry-note">
                {attempt.willRetry
                  ? `Will retry${attempt.nextAttemptAt ? ` at ${formatClock(attempt.nextAttemptAt)}` : ""}`
                  : "No retry: the activity failed"}
              </div>
            </div>
          )}
        </li>
      )}
    </>
  );
}

import type { JsonValue } from "@bufbuild/protobuf";
import { unhandled } from "../../common/events.ts";
import { formatClock, formatDuration, previewJson, resetText } from "../format.ts";
import { hrefOf } from "../route.ts";
import type { ActivityEntry, AttemptView, CarriedSignalView, ChildEntry, TimelineEntry, UpdateEntry } from "../timeline.ts";
import { ErrorBox } from "./ErrorBox.tsx";
import { JsonBlock } from "./JsonBlock.tsx";

/** The workflow's story so far, one card per step, growing as events arrive. */
export function Timeline({ entries, now }: { entries: TimelineEntry[]; now: number }) {
  if (entries.length === 0) return <p className="muted">No events yet.</p>;
  return (
    <ol className="timeline">
      {entries.map((entry) => (
        <li
          key={entry.key}
          className={`tl tl-${entry.kind}${entry.kind === "activity" || entry.kind === "child" || entry.kind === "update" ? ` tl-${entry.state}` : ""}`}
        >
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

/** A link to a workflow's own page. */
function WorkflowLink({ workflowId }: { workflowId: string }) {
  return (
    <a className="wf-link" href={hrefOf({ page: "workflow", workflowId })}>
      {workflowId}
    </a>
  );
}

function CarriedSignals({ signals }: { signals: CarriedSignalView[] }) {
  if (signals.length === 0) return null;
  return <Value value={signals.map((s) => ({ name: s.name, payload: s.payload }))} label={`signals carried over (${signals.length})`} />;
}

function OpenChildrenNote({ open }: { open?: boolean }) {
  return open ? <p className="hint">Children were still open: dfut server applies their parent close policy.</p> : null;
}

function EntryView({ entry, now }: { entry: TimelineEntry; now: number }) {
  switch (entry.kind) {
    case "started":
      return (
        <>
          <div className="tl-head">
            <span className="tl-title">{entry.continuedFrom || entry.reset ? `Run ${entry.runId} started` : "Workflow started"}</span>
            <span className="tl-meta">
              {entry.reset && <span className="tl-reset">{resetText(entry.reset)}</span>}
              {entry.reset && (entry.continuedFrom || entry.parent) && " · "}
              {entry.continuedFrom && <>continues run {entry.continuedFrom}</>}
              {entry.continuedFrom && entry.parent && " · "}
              {entry.parent && (
                <>
                  child of <WorkflowLink workflowId={entry.parent.workflowId} />
                </>
              )}
            </span>
            <At ms={entry.at} />
          </div>
          <Value value={entry.args} label="args" />
          <CarriedSignals signals={entry.signals} />
          {entry.reset && (
            <p className="hint">
              Carries {entry.reset.carriedEvents} event{entry.reset.carriedEvents === 1 ? "" : "s"} of run {entry.reset.fromRunId} (up to event{" "}
              {entry.reset.toSeq}), replayed as this run's own: its code goes on from there.
            </p>
          )}
        </>
      );
    case "activity":
      return <ActivityView entry={entry} now={now} />;
    case "timer":
      return (
        <div className="tl-head">
          <span className="tl-title">
            Timer #{entry.timerId} {entry.firedAt ? "fired" : entry.canceledAt ? "canceled" : "waiting"}
          </span>
          <span className="tl-meta">
            {entry.fireAt !== undefined && entry.at !== undefined && <>sleeps {formatDuration(entry.fireAt - entry.at)} · </>}
            {entry.firedAt ? (
              <>fired at {formatClock(entry.firedAt)}</>
            ) : entry.canceledAt ? (
              <>canceled at {formatClock(entry.canceledAt)}</>
            ) : (
              <>due {formatClock(entry.fireAt)}</>
            )}
          </span>
          <At ms={entry.at} />
        </div>
      );
    case "child":
      return <ChildView entry={entry} now={now} />;
    case "update":
      return <UpdateView entry={entry} now={now} />;
    case "child-signal":
      return (
        <>
          <div className="tl-head">
            <span className="tl-title">
              Signal <code>{entry.name}</code> sent to child <WorkflowLink workflowId={entry.childWorkflowId} />
            </span>
            <span className="tl-meta">step #{entry.stepId}</span>
            <At ms={entry.at} />
          </div>
          <Value value={entry.payload} label="payload" />
        </>
      );
    case "step-canceled":
      return (
        <div className="tl-head">
          <span className="tl-title">
            {entry.childWorkflowId ? (
              <>
                Asked child <WorkflowLink workflowId={entry.childWorkflowId} /> to cancel
              </>
            ) : (
              <>Canceled {entry.what}</>
            )}
          </span>
          <span className="tl-meta">step #{entry.stepId}</span>
          <At ms={entry.at} />
        </div>
      );
    case "continued":
      return (
        <>
          <div className="tl-head">
            <span className="tl-title">Continued as new</span>
            <span className="tl-meta">the next run, of {entry.workflowType}, starts with a fresh history</span>
            <At ms={entry.at} />
          </div>
          <Value value={entry.args} label="next args" />
          <CarriedSignals signals={entry.signals} />
          <OpenChildrenNote open={entry.openChildren} />
        </>
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
          <OpenChildrenNote open={entry.openChildren} />
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
          <OpenChildrenNote open={entry.openChildren} />
        </>
      );
    case "canceled":
      return (
        <>
          <div className="tl-head">
            <span className="tl-title">Workflow canceled{entry.reason ? `: ${entry.reason}` : ""}</span>
            <At ms={entry.at} />
          </div>
          <OpenChildrenNote open={entry.openChildren} />
        </>
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
  canceled: "Canceled",
};

const CHILD_STATE: Record<ChildEntry["state"], string> = {
  scheduled: "Starting",
  running: "Running",
  canceling: "Canceling",
  "start-failed": "Not started",
  completed: "Completed",
  failed: "Failed",
  canceled: "Canceled",
  terminated: "Terminated",
  closed: "Closed",
};

const UPDATE_STATE: Record<UpdateEntry["state"], string> = {
  running: "Running",
  completed: "Completed",
  failed: "Failed",
};

/** An update: its name and arguments, then its result or what its handler failed with. */
function UpdateView({ entry, now }: { entry: UpdateEntry; now: number }) {
  const total = entry.acceptedAt === undefined ? undefined : (entry.closedAt ?? now) - entry.acceptedAt;
  return (
    <div className="update" data-update-name={entry.name} data-update-id={entry.updateId}>
      <div className="tl-head">
        <span className="tl-title">Update {entry.name ? <code>{entry.name}</code> : "(accepted earlier)"}</span>
        <span className={`pill pill-${entry.state}`}>{UPDATE_STATE[entry.state]}</span>
        <span className="tl-meta">
          id {entry.updateId} · {formatDuration(total)}
        </span>
        <At ms={entry.acceptedAt ?? entry.closedAt} />
      </div>
      {entry.name && <Value value={entry.args} label="args" />}
      {entry.state === "running" && <p className="hint">Accepted: its handler runs as workflow code.</p>}
      {entry.state === "completed" && <Value value={entry.result ?? null} label="result" />}
      {entry.error && <ErrorBox error={entry.error} />}
    </div>
  );
}

/** A child workflow: its start and close here, and a link to its own page for the rest. */
function ChildView({ entry, now }: { entry: ChildEntry; now: number }) {
  const total = entry.scheduledAt === undefined ? undefined : (entry.closedAt ?? now) - entry.scheduledAt;
  return (
    <div className="child" data-child-workflow-id={entry.childWorkflowId}>
      <div className="tl-head">
        <span className="tl-title">
          Child workflow <WorkflowLink workflowId={entry.childWorkflowId} /> <span className="muted">#{entry.stepId}</span>
        </span>
        <span className={`pill pill-${entry.state}`}>{CHILD_STATE[entry.state]}</span>
        <span className="tl-meta">
          {entry.workflowType}
          {entry.childRunId && <> · run {entry.childRunId}</>} · {formatDuration(total)}
        </span>
        <At ms={entry.scheduledAt} />
      </div>
      <Value value={entry.args} label="args" />
      {entry.state === "scheduled" && <p className="hint">Waiting for dfut server to start it.</p>}
      {entry.state === "completed" && <Value value={entry.result ?? null} label="result" />}
      {entry.error && <ErrorBox error={entry.error} />}
      {entry.parentClosePolicy && entry.parentClosePolicy !== "terminate" && (
        <p className="hint">If this workflow closes first: {entry.parentClosePolicy === "abandon" ? "the child goes on" : "the child is asked to cancel"}.</p>
      )}
    </div>
  );
}

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
          <span className="phase-gap">
            {entry.attempts.length === 0 &&
              (entry.state === "canceled" ? <>canceled before it started</> : <>waiting for a worker · {formatDuration(total)}</>)}
          </span>
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

import { useEffect, useMemo, useState, type ReactNode } from "react";
import type { JsonValue } from "@bufbuild/protobuf";
import { WorkflowStatus } from "../../api/gen/dfut/v1/workflow_pb.ts";
import { unhandled } from "../../common/events.ts";
import { Actions } from "../components/Actions.tsx";
import { ErrorBox } from "../components/ErrorBox.tsx";
import { EventTable } from "../components/EventTable.tsx";
import { JsonBlock } from "../components/JsonBlock.tsx";
import { LiveDot } from "../components/LiveDot.tsx";
import { Notice } from "../components/Notice.tsx";
import { QueryBox } from "../components/QueryBox.tsx";
import { StatusBadge } from "../components/StatusBadge.tsx";
import { Timeline } from "../components/Timeline.tsx";
import { formatDuration, formatTime, jsonOf, statusName, toMillis, type StatusName } from "../format.ts";
import { useHistory } from "../hooks/useHistory.ts";
import { useNow } from "../hooks/useNow.ts";
import { useWorkflows } from "../hooks/useWorkflows.ts";
import { useWorkflowTypes } from "../hooks/useWorkflowTypes.ts";
import { hrefOf } from "../route.ts";
import { buildTimeline, currentRun, errorOf, isClosing, resetPoints, type ErrorView } from "../timeline.ts";

/** One workflow: its header from the index, its timeline from the history, both live. */
export function WorkflowPage({ workflowId }: { workflowId: string }) {
  // Unset: from the current run. Set once a later run began than the one the stream followed to its close.
  const [followedRun, setFollowedRun] = useState<string>();
  const history = useHistory(workflowId, followedRun);
  const index = useWorkflows({ idPrefix: workflowId });
  const record = index.workflows.get(workflowId);
  const { types } = useWorkflowTypes();
  const entries = useMemo(() => buildTimeline(history.events), [history.events]);
  const points = useMemo(() => resetPoints(history.events), [history.events]);

  // The index may lag the history by a moment; the history's own ends settle the header. With
  // several runs (continue-as-new), the header is the last run's.
  const run = currentRun(entries);
  const started = run.find((e) => e.kind === "started");
  const closing = run.find(isClosing);
  const status: StatusName = closing
    ? closing.kind
    : record
      ? statusName(record.status)
      : started
        ? "running"
        : "unknown";
  const running = status === "running";
  const now = useNow(running);
  const workflowType = record?.workflowType || (started?.kind === "started" ? started.workflowType : "");
  const queue = record?.queue || (started?.kind === "started" ? started.queue : "");
  const startedAt = toMillis(record?.startedAt) ?? started?.at;
  const closedAt = toMillis(record?.closedAt) ?? closing?.at;
  const args: JsonValue[] = record ? record.args.map(jsonOf) : started?.kind === "started" ? started.args : [];
  const parameters = types.find((t) => t.name === workflowType)?.parameters ?? [];
  const result: JsonValue | undefined =
    closing?.kind === "completed" ? closing.result : record?.status === WorkflowStatus.COMPLETED ? jsonOf(record.result) : undefined;
  const error: ErrorView | undefined = closing?.kind === "failed" ? closing.error : record?.error && errorOf(record.error);
  const reason = closing?.kind === "canceled" || closing?.kind === "terminated" ? closing.reason : record?.error?.message;
  const historyRun = started?.kind === "started" ? started : undefined;
  const runId = historyRun?.runId || record?.runId;
  const continuedFrom = historyRun ? historyRun.continuedFrom : record?.continuedFrom || undefined;
  const parent = historyRun ? historyRun.parent : record?.parent;
  // The runs before this one, oldest first: the record lists the last 50, the history those it holds.
  const earlierRuns = [...new Set([...(record?.runs ?? []), ...entries.flatMap((e) => (e.kind === "started" ? [e.runId] : []))])]
    .filter((id) => runId === undefined || Number(id) < Number(runId))
    .sort((a, b) => Number(a) - Number(b));
  const reset = historyRun?.reset;

  // The stream ends with a run's close; a run begun after it (a reset, a start again) is followed
  // once the index names it.
  const newerRun = history.complete && record?.runId && runId && Number(record.runId) > Number(runId) ? record.runId : undefined;
  useEffect(() => {
    if (newerRun) setFollowedRun(newerRun);
  }, [newerRun]);

  if (history.fatal) {
    return (
      <section className="page">
        <h1 className="wf-id">{workflowId}</h1>
        <Notice kind="error">{history.error}</Notice>
      </section>
    );
  }

  return (
    <section className="page">
      <div className="wf-header card">
        <div className="wf-title">
          <div className="wf-title-main">
            <span className="muted small">{workflowType || "Workflow"}</span>
            <h1 className="wf-id">{workflowId}</h1>
            {parent && (
              <span className="wf-parent small">
                child of <a href={hrefOf({ page: "workflow", workflowId: parent.workflowId })}>{parent.workflowId}</a>
                {parent.runId && <span className="muted"> (run {parent.runId})</span>}
              </span>
            )}
          </div>
          <StatusBadge status={status} />
          {/* A closed workflow's history is complete: nothing more will arrive. */}
          {!history.complete && <LiveDot live={history.live} error={history.error} />}
        </div>
        <dl className="facts">
          <div>
            <dt>Type</dt>
            <dd>{workflowType || "—"}</dd>
          </div>
          <div>
            <dt>Queue</dt>
            <dd>{queue || "—"}</dd>
          </div>
          <div>
            <dt>Started</dt>
            <dd>{formatTime(startedAt)}</dd>
          </div>
          <div>
            <dt>Closed</dt>
            <dd>{running ? "—" : formatTime(closedAt)}</dd>
          </div>
          <div>
            <dt>Duration</dt>
            <dd>{startedAt === undefined ? "—" : formatDuration((closedAt ?? now) - startedAt)}</dd>
          </div>
          <div>
            <dt>Events</dt>
            <dd>{history.events.length}</dd>
          </div>
          {runId && (
            <div>
              <dt>Run</dt>
              <dd>
                {runId}
                {continuedFrom && <span className="muted"> · continues {continuedFrom}</span>}
                {reset && <span className="muted"> · reset from {reset.fromRunId}</span>}
              </dd>
            </div>
          )}
          {earlierRuns.length > 0 && (
            <div>
              <dt>Earlier runs</dt>
              <dd className="wf-runs">{earlierRuns.join(", ")}</dd>
            </div>
          )}
        </dl>
        {record?.problem && running && <Notice kind="warn">{record.problem}</Notice>}
        <div className="io">
          <div className="io-block">
            <h2>Input</h2>
            {args.length === 0 ? (
              <p className="muted">No arguments</p>
            ) : (
              <dl className="args">
                {args.map((a, i) => (
                  <div key={i}>
                    <dt>{parameters[i] ?? `arg ${i + 1}`}</dt>
                    <dd>
                      <code>{JSON.stringify(a)}</code>
                    </dd>
                  </div>
                ))}
              </dl>
            )}
          </div>
          <Outcome status={status} result={result} error={error} reason={reason} />
        </div>
        <Actions workflowId={workflowId} running={running} resetPoints={status === "unknown" ? [] : points} onReset={setFollowedRun} />
      </div>

      <h2 className="section-title">Query</h2>
      {/* Keyed: another workflow's page starts with an empty box. */}
      <QueryBox key={workflowId} workflowId={workflowId} />

      <h2 className="section-title">Timeline</h2>
      {!history.caughtUp && history.events.length === 0 ? <p className="muted">Loading…</p> : <Timeline entries={entries} now={now} />}

      <details className="raw-events">
        <summary>All events ({history.events.length})</summary>
        <EventTable events={history.events} />
      </details>
    </section>
  );
}

function OutcomeBlock({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="io-block">
      <h2>{title}</h2>
      {children}
    </div>
  );
}

/** What the workflow came to; a new status does not compile until it is shown here. */
function Outcome({ status, result, error, reason }: { status: StatusName; result?: JsonValue; error?: ErrorView; reason?: string }) {
  switch (status) {
    case "running":
      return (
        <OutcomeBlock title="Result">
          <p className="muted">Still running…</p>
        </OutcomeBlock>
      );
    case "completed":
      return (
        <OutcomeBlock title="Result">
          <JsonBlock value={result ?? null} label="result" />
        </OutcomeBlock>
      );
    case "failed":
      return <OutcomeBlock title="Error">{error && <ErrorBox error={error} />}</OutcomeBlock>;
    case "canceled":
      return (
        <OutcomeBlock title="Canceled">
          <p>{reason || "Canceled without a reason"}</p>
        </OutcomeBlock>
      );
    case "terminated":
      return (
        <OutcomeBlock title="Terminated">
          <p>{reason || "Terminated without a reason"}</p>
          <p className="hint">Ended from outside: no workflow code ran to close it.</p>
        </OutcomeBlock>
      );
    case "continued":
      return (
        <OutcomeBlock title="Continued as new">
          <p>This run ended by asking for a new run with a fresh history.</p>
          <p className="hint">dfut server starts the next run; it shows here once it has.</p>
        </OutcomeBlock>
      );
    case "unknown":
      return <OutcomeBlock title="Result" />;
    default:
      return unhandled(status);
  }
}

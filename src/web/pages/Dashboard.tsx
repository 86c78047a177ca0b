import { useDeferredValue, useMemo, useState } from "react";
import { WorkflowStatus, type Workflow } from "../../api/gen/dfut/v1/workflow_pb.ts";
import { LiveDot } from "../components/LiveDot.tsx";
import { Notice } from "../components/Notice.tsx";
import { StatusBadge } from "../components/StatusBadge.tsx";
import { formatDuration, formatTime, STATUS_FILTERS, statusName, toMillis } from "../format.ts";
import { useNow } from "../hooks/useNow.ts";
import { useWorkflows } from "../hooks/useWorkflows.ts";
import { hrefOf } from "../route.ts";

const MAX_ROWS = 500;

function newestFirst(a: Workflow, b: Workflow): number {
  return (toMillis(b.startedAt) ?? 0) - (toMillis(a.startedAt) ?? 0) || a.workflowId.localeCompare(b.workflowId);
}

/** Every execution in the index, live; filtered by status and type, searched by id. */
export function Dashboard() {
  // One watch over the whole index: the counts per status need every row anyway.
  const feed = useWorkflows();
  const [status, setStatus] = useState<WorkflowStatus>(WorkflowStatus.UNSPECIFIED);
  const [type, setType] = useState("");
  const [search, setSearch] = useState("");
  const query = useDeferredValue(search.trim().toLowerCase());
  const all = useMemo(() => [...feed.workflows.values()].sort(newestFirst), [feed.workflows]);
  const types = useMemo(() => [...new Set(all.map((w) => w.workflowType).filter(Boolean))].sort(), [all]);
  const byType = useMemo(() => (type ? all.filter((w) => w.workflowType === type) : all), [all, type]);
  const counts = useMemo(() => {
    const c = new Map<WorkflowStatus, number>([[WorkflowStatus.UNSPECIFIED, byType.length]]);
    for (const w of byType) c.set(w.status, (c.get(w.status) ?? 0) + 1);
    return c;
  }, [byType]);
  const rows = useMemo(
    () =>
      byType.filter(
        (w) => (status === WorkflowStatus.UNSPECIFIED || w.status === status) && (!query || w.workflowId.toLowerCase().includes(query)),
      ),
    [byType, status, query],
  );
  const anyRunning = rows.some((w) => w.status === WorkflowStatus.RUNNING);
  const now = useNow(anyRunning);

  return (
    <section className="page">
      <div className="page-head">
        <h1>Workflows</h1>
        <LiveDot live={feed.live} error={feed.error} />
        <a className="btn btn-primary page-head-action" href={hrefOf({ page: "start" })}>
          Start workflow
        </a>
      </div>

      <div className="filters">
        <div className="chips" role="group" aria-label="Filter by status">
          {STATUS_FILTERS.map((f) => (
            <button
              key={f.status}
              type="button"
              className={`chip${status === f.status ? " chip-on" : ""}`}
              aria-pressed={status === f.status}
              onClick={() => setStatus(f.status)}
            >
              {f.label} <span className="chip-count">{counts.get(f.status) ?? 0}</span>
            </button>
          ))}
        </div>
        <div className="filter-fields">
          <select aria-label="Filter by type" value={type} onChange={(e) => setType(e.target.value)}>
            <option value="">All types</option>
            {types.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
          <input type="search" aria-label="Search by id" placeholder="Search by id…" value={search} onChange={(e) => setSearch(e.target.value)} />
        </div>
      </div>

      {feed.error && !feed.live && <Notice kind="warn">Connection to the server lost ({feed.error}); retrying…</Notice>}

      {!feed.loaded ? (
        <p className="muted">Loading…</p>
      ) : rows.length === 0 ? (
        <div className="empty">
          {all.length === 0 ? (
            <>
              <p>No workflows yet.</p>
              <a className="btn" href={hrefOf({ page: "start" })}>
                Start one
              </a>
            </>
          ) : (
            <p>No workflow matches these filters.</p>
          )}
        </div>
      ) : (
        <table className="runs">
          <thead>
            <tr>
              <th>Status</th>
              <th>Workflow ID</th>
              <th>Type</th>
              <th>Started</th>
              <th className="num">Duration</th>
            </tr>
          </thead>
          <tbody>
            {rows.slice(0, MAX_ROWS).map((w) => (
              <Row key={w.workflowId} workflow={w} now={now} />
            ))}
          </tbody>
        </table>
      )}
      {rows.length > MAX_ROWS && <p className="muted">Showing the newest {MAX_ROWS} of {rows.length}; narrow the filters to see others.</p>}
    </section>
  );
}

function Row({ workflow: w, now }: { workflow: Workflow; now: number }) {
  const started = toMillis(w.startedAt);
  const closed = toMillis(w.closedAt);
  const running = w.status === WorkflowStatus.RUNNING;
  const duration = started === undefined ? undefined : (closed ?? (running ? now : undefined) ?? started) - started;
  const href = hrefOf({ page: "workflow", workflowId: w.workflowId });
  return (
    <tr data-workflow-id={w.workflowId} className={w.problem ? "has-problem" : undefined}>
      <td data-label="Status">
        <StatusBadge status={statusName(w.status)} />
      </td>
      <td data-label="ID" className="id-cell">
        <a href={href}>{w.workflowId}</a>
        {w.problem && (
          <div className="problem" title={w.problem}>
            ⚠ {w.problem}
          </div>
        )}
      </td>
      <td data-label="Type">{w.workflowType || "—"}</td>
      <td data-label="Started">{formatTime(started)}</td>
      <td data-label="Duration" className="num">
        {formatDuration(duration)}
        {running && <span className="muted"> …</span>}
      </td>
    </tr>
  );
}

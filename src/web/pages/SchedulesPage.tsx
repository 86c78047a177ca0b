import type { ScheduleSummary } from "../../api/gen/dfut/v1/workflow_pb.ts";
import { api } from "../api.ts";
import { Notice } from "../components/Notice.tsx";
import { SchedulePill } from "../components/SchedulePill.tsx";
import { formatTime, formatUntil, refreshDelay, toMillis } from "../format.ts";
import { useNow } from "../hooks/useNow.ts";
import { usePolled } from "../hooks/usePolled.ts";
import { hrefOf } from "../route.ts";

/** How often at most the list is read again; sooner once a schedule's next run is due. */
const REFRESH_MS = 5000;

/** Every schedule dfut server fires, by id, with its next run. */
export function SchedulesPage() {
  const list = usePolled(
    (signal) => api.listSchedules({}, { signal }),
    (answer) => refreshDelay(answer.schedules.map((s) => toMillis(s.nextFire)), REFRESH_MS),
    [],
  );
  const schedules = list.data?.schedules;
  const now = useNow(true);

  return (
    <section className="page">
      <div className="page-head">
        <h1>Schedules</h1>
      </div>
      {list.error && <Notice kind={schedules ? "warn" : "error"}>{schedules ? `Could not refresh: ${list.error}` : list.error}</Notice>}
      {!schedules ? (
        !list.error && <p className="muted">Loading…</p>
      ) : schedules.length === 0 ? (
        <div className="empty">
          <p>No schedules yet.</p>
          <p className="small">
            Create one with <code>dfut schedule create</code>, the SDK's <code>client.schedules.create</code> or the API's CreateSchedule.
          </p>
        </div>
      ) : (
        <table className="runs schedules">
          <thead>
            <tr>
              <th>Schedule ID</th>
              <th>Spec</th>
              <th>Workflow type</th>
              <th>Next run</th>
              <th>State</th>
            </tr>
          </thead>
          <tbody>
            {schedules.map((s) => (
              <Row key={s.scheduleId} schedule={s} now={now} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Row({ schedule: s, now }: { schedule: ScheduleSummary; now: number }) {
  const next = toMillis(s.nextFire);
  return (
    <tr data-schedule-id={s.scheduleId} className={s.problem ? "has-problem" : undefined}>
      <td data-label="ID" className="id-cell">
        <a href={hrefOf({ page: "schedule", scheduleId: s.scheduleId })}>{s.scheduleId}</a>
        {s.problem && (
          <div className="problem" title={s.problem}>
            ⚠ {s.problem}
          </div>
        )}
      </td>
      <td data-label="Spec">{s.specText || "—"}</td>
      <td data-label="Type">{s.workflowType || "—"}</td>
      <td data-label="Next run" className="next-run">
        {next === undefined ? (
          "—"
        ) : (
          <>
            {formatTime(next, now)} <span className="muted">{formatUntil(next, now)}</span>
          </>
        )}
      </td>
      <td data-label="State">{!s.problem && <SchedulePill paused={s.paused} />}</td>
    </tr>
  );
}

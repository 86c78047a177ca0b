import type { HistoryEvent } from "../../api/gen/dfut/v1/workflow_pb.ts";
import { eventFields, formatClock, previewJson, toMillis } from "../format.ts";

/** Every recorded event as stored, for when the timeline's summary is not enough. */
export function EventTable({ events }: { events: HistoryEvent[] }) {
  return (
    <div className="table-wrap">
      <table className="events">
        <thead>
          <tr>
            <th className="num">Seq</th>
            <th>Time</th>
            <th>Event</th>
            <th>Details</th>
          </tr>
        </thead>
        <tbody>
          {events.map((e) => (
            <tr key={String(e.seq)} className={e.event.case === "undecodable" ? "event-undecodable" : undefined}>
              <td className="num mono">{String(e.seq)}</td>
              <td className="mono">{formatClock(toMillis(e.time))}</td>
              <td>{e.type}</td>
              <td className="mono details-cell">{previewJson(eventFields(e), 160)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

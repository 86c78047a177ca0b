/** The event log as people read it: seq, time, event, details. */
import { EVENT_KINDS, type HistoryEvent } from "../common/events.ts";
import { eventDetails, formatTime, noteActivityName, shorten } from "../tui/format.ts";
import { remainingWidth, streamingRow, table } from "./output.ts";

const SEQ = 7;
const TIME = 14;
const EVENT = 20;
/** Wide enough for every kind's name: for --follow, which cannot know the names to come. */
const WIDEST_EVENT = Math.max(...Object.keys(EVENT_KINDS).map((k) => k.length)) + 2;

export class HistoryView {
  readonly #names = new Map<number, string>();

  #row(event: HistoryEvent, detailWidth: number): string[] {
    noteActivityName(this.#names, event);
    // One line per event: values are shortened here, in full with -o json.
    return [String(event.seq), formatTime(event.time), event.type, shorten(eventDetails(event, this.#names, detailWidth), detailWidth)];
  }

  /** A bordered table of all events. */
  table(events: HistoryEvent[]): string {
    const widths = this.#widths(Math.max(EVENT, ...events.map((e) => e.type.length + 2)));
    const t = table(["seq", "time", "event", "details"], widths);
    for (const event of events) t.push(this.#row(event, widths[3] - 2));
    return t.toString();
  }

  /** One aligned line per event, for --follow. */
  header(): string {
    return streamingRow(["seq", "time", "event", "details"], this.#widths());
  }

  line(event: HistoryEvent): string {
    const widths = this.#widths();
    return streamingRow(this.#row(event, widths[3]), widths);
  }

  #widths(event = WIDEST_EVENT): number[] {
    return [SEQ, TIME, event, remainingWidth([SEQ, TIME, event])];
  }
}

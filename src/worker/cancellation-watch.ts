import type { Subscription } from "@nats-io/nats-core";
import type { DfutConnection } from "../common/connection.ts";
import { decodeEvent } from "../common/event-codec.ts";
import { isTerminal } from "../common/events.ts";
import { readHistory } from "../common/history.ts";
import { layoutOf } from "../common/layout.ts";
import type { HistoryEvent } from "../common/events.ts";
import type { CancellationSource, Ending } from "./attempt.ts";

interface Watcher {
  afterSeq: number;
  stepId: number | undefined;
  onEnded: (what: Ending) => void;
}

function endingOf(event: HistoryEvent, watcher: Watcher): Ending | undefined {
  if (event.seq <= watcher.afterSeq) return undefined;
  if (event.type === "CancelRequested") return "canceled";
  if (event.type === "StepCanceled" && event.stepId === watcher.stepId) return "step-canceled";
  return isTerminal(event) ? "closed" : undefined;
}

/**
 * Tells running attempts when their workflow is canceled or closed: one core subscription per
 * workflow, shared by all of its running attempts (a wide fan-out would otherwise receive every
 * event once per attempt). The subject also carries publishes the stream refused, so the stored
 * history confirms what the subscription saw.
 */
export class CancellationWatch {
  readonly #connection: DfutConnection;
  readonly #watches = new Map<string, { subscription: Subscription; watchers: Set<Watcher> }>();

  constructor(connection: DfutConnection) {
    this.#connection = connection;
  }

  readonly watch: CancellationSource = (workflowId, afterSeq, onEnded, stepId) => {
    const watcher: Watcher = { afterSeq, onEnded, stepId };
    let entry = this.#watches.get(workflowId);
    if (!entry) {
      const watchers = new Set<Watcher>();
      const subscription = this.#connection.nc.subscribe(layoutOf(this.#connection).subject(workflowId), {
        callback: (err, msg) => {
          if (err) return;
          const { type } = decodeEvent({ seq: 0, data: msg.data });
          if (type === "CancelRequested" || type === "StepCanceled" || isTerminal({ type })) void this.#confirm(workflowId, watchers);
        },
      });
      entry = { subscription, watchers };
      this.#watches.set(workflowId, entry);
    }
    entry.watchers.add(watcher);
    const current = entry;
    return () => {
      current.watchers.delete(watcher);
      if (current.watchers.size === 0 && this.#watches.get(workflowId) === current) {
        this.#watches.delete(workflowId);
        current.subscription.unsubscribe();
      }
    };
  };

  /**
   * Looks at what the history already holds for a workflow's running attempts: for an attempt
   * whose start could not be fenced on its scheduling (something was appended in between, which
   * may be its cancellation, recorded before the subscription began).
   */
  recheck(workflowId: string): void {
    const entry = this.#watches.get(workflowId);
    if (entry) void this.#confirm(workflowId, entry.watchers);
  }

  async #confirm(workflowId: string, watchers: ReadonlySet<Watcher>): Promise<void> {
    if (watchers.size === 0) return;
    const from = Math.min(...[...watchers].map((w) => w.afterSeq));
    const events = await readHistory(this.#connection, workflowId, from).catch(() => []);
    for (const watcher of [...watchers]) {
      for (const event of events) {
        const ending = endingOf(event, watcher);
        if (!ending) continue;
        watcher.onEnded(ending);
        break;
      }
    }
  }
}

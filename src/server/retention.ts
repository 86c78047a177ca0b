/**
 * Removes the histories and index records of workflows closed longer ago than the retention
 * period. Only closed workflows are looked at (the index says so, and a close is the last event
 * a workflow's code causes), so a running workflow never loses an event, however old it is.
 * Each sweep lists the index with a stream request (no consumer) and purges by subject: the
 * history first, then the record, so a sweep cut short is finished by the next one. A workflow
 * that goes on in runs (continue-as-new, or a new start of its id) loses the runs before its
 * current one once that began before the cutoff: its history stays bounded while it lives.
 */
import type { KV } from "@nats-io/kv";
import type { DfutConnection } from "../common/connection.ts";
import { durationMs } from "../common/duration.ts";
import { DfutError } from "../common/errors.ts";
import { listExecutions, updateExecution, type ExecutionRecord } from "../common/executions.ts";
import { layoutOf } from "../common/layout.ts";
import type { Logger } from "../common/logger.ts";

export const DEFAULT_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;
const MIN_SWEEP_MS = 1000;
const MAX_SWEEP_MS = 60_000;

export class RetentionSweeper {
  readonly #connection: DfutConnection;
  readonly #executions: KV;
  readonly #retentionMs: number;
  readonly #logger: Logger;
  #timer: NodeJS.Timeout | undefined;
  #sweeping: Promise<number> | undefined;

  constructor(connection: DfutConnection, executions: KV, options: { retentionMs: number; logger: Logger }) {
    this.#connection = connection;
    this.#executions = executions;
    this.#retentionMs = options.retentionMs;
    this.#logger = options.logger;
  }

  /** Sweeps now and then every twentieth of the retention period (1 s to 1 min). */
  start(): void {
    if (this.#retentionMs <= 0) return;
    const every = Math.min(MAX_SWEEP_MS, Math.max(MIN_SWEEP_MS, Math.floor(this.#retentionMs / 20)));
    const tick = () => {
      void this.sweep()
        .catch((err: unknown) => this.#logger.warn(`retention sweep failed, will try again: ${(err as Error)?.message ?? err}`))
        .finally(() => {
          if (this.#timer) this.#timer = setTimeout(tick, every);
        });
    };
    this.#timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#sweeping?.catch(() => undefined);
  }

  /** One pass; returns how many workflows it removed. */
  sweep(): Promise<number> {
    this.#sweeping ??= this.#sweepOnce().finally(() => (this.#sweeping = undefined));
    return this.#sweeping;
  }

  async #sweepOnce(): Promise<number> {
    const cutoff = Date.now() - this.#retentionMs;
    const layout = layoutOf(this.#connection);
    const records = await listExecutions(this.#connection.jsm);
    const expired = records.filter(
      (record) => record.status !== "running" && record.closedAt !== undefined && Date.parse(record.closedAt) < cutoff,
    );
    for (const record of expired) {
      await this.#connection.jsm.streams.purge(layout.stream(record.workflowId), { filter: layout.subject(record.workflowId) });
      await this.#executions.purge(record.workflowId);
    }
    if (expired.length > 0) this.#logger.info(`retention: removed ${expired.length} workflow(s) closed before ${new Date(cutoff).toISOString()}`);
    for (const record of records.filter((r) => !expired.includes(r) && earlierRunsExpired(r, cutoff))) await this.#purgeEarlierRuns(record);
    return expired.length;
  }

  /** Removes the runs before the current one, then forgets them in the record. */
  async #purgeEarlierRuns(record: ExecutionRecord): Promise<void> {
    const layout = layoutOf(this.#connection);
    const current = Number(record.runId);
    await this.#connection.jsm.streams.purge(layout.stream(record.workflowId), { filter: layout.subject(record.workflowId), seq: current });
    await updateExecution(this.#executions, record.workflowId, (r) =>
      r && r.runId === record.runId ? { ...r, runs: (r.runs ?? []).filter((run) => Number(run) >= current) } : undefined,
    );
  }
}

/** Whether the record lists runs before its current one that began, and so ended, before the cutoff. */
function earlierRunsExpired(record: ExecutionRecord, cutoff: number): boolean {
  if (!record.runId || !record.startedAt || record.status === "continued") return false;
  const current = Number(record.runId);
  return (record.runs ?? []).some((run) => Number(run) < current) && Date.parse(record.startedAt) < cutoff;
}

/** "7d", "12h", "30m", "45s", "500ms" or "0" (keep forever) as milliseconds. */
export function parseRetention(text: string): number {
  const ms = durationMs(text);
  if (ms === undefined) {
    throw new DfutError("invalid_argument", `--retention must be a duration such as 7d, 12h, 30m or 45s, or 0 to keep every history; not ${JSON.stringify(text)}`);
  }
  return ms;
}

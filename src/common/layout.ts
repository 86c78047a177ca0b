/**
 * Where a workflow's history lives. One stream has one raft leader, so with one history stream
 * every history write of the system goes through one node. Partitioning spreads them: the
 * history is split over N streams, and a workflow's partition is fixed by its id.
 *
 * With one partition (the default) the history is the stream DFUT_HISTORY on the subjects
 * `dfut.history.<workflowId>`, as dfut always had it; with N > 1 it is DFUT_HISTORY_0_OF_N …
 * DFUT_HISTORY_<N-1>_OF_N on `dfut.history.<p>.<workflowId>`. The count is read back from the
 * stream names, so every process agrees on it without configuration, and a layout whose streams
 * are not all there yet is seen as still being provisioned; changing it later is refused.
 */
import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import { DfutError } from "./errors.ts";
import { HISTORY_PREFIX, HISTORY_STREAM } from "./names.ts";

export const MAX_PARTITIONS = 64;

export class HistoryLayout {
  readonly partitions: number;
  /**
   * The history streams have replicas. Direct gets may then be answered by a follower that has
   * not stored the latest events yet, so reads go to the stream leader instead (read your own
   * writes); a single replica keeps the cheaper direct gets.
   */
  replicated = false;

  constructor(partitions: number) {
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > MAX_PARTITIONS) {
      throw new DfutError("invalid_argument", `the number of history partitions must be a whole number from 1 to ${MAX_PARTITIONS}, not ${partitions}`);
    }
    this.partitions = partitions;
  }

  /** The partition of a workflow: FNV-1a of its id, so every process computes the same. */
  partitionOf(workflowId: string): number {
    if (this.partitions === 1) return 0;
    let hash = 0x811c9dc5;
    for (let i = 0; i < workflowId.length; i++) {
      hash ^= workflowId.charCodeAt(i);
      hash = Math.imul(hash, 0x01000193);
    }
    return (hash >>> 0) % this.partitions;
  }

  /** The stream of a partition. */
  streamOf(partition: number): string {
    return this.partitions === 1 ? HISTORY_STREAM : `${HISTORY_STREAM}_${partition}_OF_${this.partitions}`;
  }

  /** The subjects a partition's stream holds. */
  subjectsOf(partition: number): string {
    return this.partitions === 1 ? `${HISTORY_PREFIX}.>` : `${HISTORY_PREFIX}.${partition}.>`;
  }

  stream(workflowId: string): string {
    return this.streamOf(this.partitionOf(workflowId));
  }

  subject(workflowId: string): string {
    return this.partitions === 1 ? `${HISTORY_PREFIX}.${workflowId}` : `${HISTORY_PREFIX}.${this.partitionOf(workflowId)}.${workflowId}`;
  }

  /** Every partition's stream, in partition order. */
  streams(): string[] {
    return Array.from({ length: this.partitions }, (_, p) => this.streamOf(p));
  }

  /** The workflow a history subject belongs to (its last token). */
  workflowIdOf(subject: string): string {
    return subject.slice(subject.lastIndexOf(".") + 1);
  }
}

/** What the history streams on this NATS say about the layout. */
export type Discovered =
  | { state: "ready"; layout: HistoryLayout }
  /** No history stream: dfut is not provisioned. */
  | { state: "none" }
  /** Some of a layout's streams exist but not all: a provisioning is under way (or failed). */
  | { state: "partial"; layout: HistoryLayout; missing: string[] };

const PARTITION_STREAM = new RegExp(`^${HISTORY_STREAM}_(\\d+)_OF_(\\d+)$`);

export async function discoverLayout(jsm: JetStreamManager): Promise<Discovered> {
  return layoutOfStreams(await streamNames(jsm));
}

export async function streamNames(jsm: JetStreamManager): Promise<string[]> {
  const names: string[] = [];
  for await (const name of jsm.streams.names()) names.push(name);
  return names;
}

/** The layout the history streams among these stream names form. */
export function layoutOfStreams(streams: readonly string[]): Discovered {
  const names = streams.filter((name) => name === HISTORY_STREAM || PARTITION_STREAM.test(name));
  if (names.length === 0) return { state: "none" };
  const counts = new Set(names.map((n) => (n === HISTORY_STREAM ? 1 : Number(PARTITION_STREAM.exec(n)![2]))));
  if (counts.size > 1) {
    throw new DfutError(
      "failed_precondition",
      `the history streams on this NATS are of different partition counts (${names.sort().join(", ")}); remove the ones of the count not in use`,
    );
  }
  const layout = new HistoryLayout([...counts][0]);
  const missing = layout.streams().filter((stream) => !names.includes(stream));
  return missing.length === 0 ? { state: "ready", layout } : { state: "partial", layout, missing };
}

/** What reading and writing histories needs: a connection's JetStream handles and its layout. */
export interface HistoryAccess {
  js: JetStreamClient;
  jsm: JetStreamManager;
  /** Known once dfut is provisioned on the NATS (see awaitLayout). */
  layout?: HistoryLayout;
}

export function layoutOf(access: HistoryAccess): HistoryLayout {
  if (!access.layout) {
    throw new DfutError("failed_precondition", "dfut is not set up on this NATS server yet; start 'dfut server' once against it");
  }
  return access.layout;
}

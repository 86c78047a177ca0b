import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type JetStreamManager,
  type StreamConfig,
} from "@nats-io/jetstream";
import { Kvm, type KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/nats-core";
import {
  DISPATCHER_CONSUMER,
  EXECUTIONS_BUCKET,
  REGISTRY_BUCKET,
  SCHEDULES_BUCKET,
  TASK_STREAM,
  TIMER_CONSUMER,
  TIMER_STREAM,
  consumerNames,
  subjects,
} from "./names.ts";
import { DfutError } from "./errors.ts";
import { isAlreadyExists, isInsufficientResources, isNotFound, isTransient } from "./jetstream-errors.ts";
import { retryTransient } from "./retry.ts";
import type { DfutConnection } from "./connection.ts";
import { discoverLayout, HistoryLayout, layoutOfStreams, streamNames } from "./layout.ts";

export interface ProvisionOptions {
  /** Stream and KV replicas (1 on a single server). */
  replicas?: number;
  /**
   * History partitions (see layout.ts). Undefined: keep what is provisioned, or 1 on a fresh
   * NATS. A number other than the provisioned one is refused.
   */
  partitions?: number;
}

const nanos = (ms: number) => ms * 1_000_000;
const DUPLICATE_WINDOW_MS = 2 * 60_000;

function streamConfigs(replicas: number, layout: HistoryLayout): (Partial<StreamConfig> & { name: string })[] {
  const common = { storage: StorageType.File, num_replicas: replicas, duplicate_window: nanos(DUPLICATE_WINDOW_MS) };
  return [
    ...Array.from({ length: layout.partitions }, (_, p) => ({
      ...common,
      name: layout.streamOf(p),
      subjects: [layout.subjectsOf(p)],
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.New,
      allow_direct: true,
    })),
    { ...common, name: TASK_STREAM, subjects: [subjects.allTasks], retention: RetentionPolicy.Workqueue },
    { ...common, name: TIMER_STREAM, subjects: [subjects.allTimers], retention: RetentionPolicy.Workqueue },
  ];
}

/**
 * Creates dfut's streams, KV buckets and server consumers; safe to call again, and by several
 * servers at once. Returns the history layout in force.
 */
export async function provision(nc: NatsConnection, jsm: JetStreamManager, options: ProvisionOptions = {}): Promise<HistoryLayout> {
  const replicas = options.replicas ?? 1;
  const found = await discoverLayout(jsm);
  const layout = found.state === "none" ? new HistoryLayout(options.partitions ?? 1) : found.layout;
  if (options.partitions !== undefined && options.partitions !== layout.partitions) {
    throw new DfutError(
      "failed_precondition",
      `dfut on this NATS has ${layout.partitions} history partition(s); --partitions ${options.partitions} would put existing workflows in other streams. ` +
        `Leave --partitions out to use what is there (changing it needs a new NATS or a migration of the history streams)`,
    );
  }
  for (const config of streamConfigs(replicas, layout)) {
    await provisioningStep(`creating stream ${config.name}`, () => ensureStream(jsm, config, { rescale: options.replicas !== undefined }));
  }
  const kvm = new Kvm(nc);
  await provisioningStep(`creating KV ${EXECUTIONS_BUCKET}`, () => kvm.create(EXECUTIONS_BUCKET, { history: 1, replicas, storage: StorageType.File }));
  await provisioningStep(`creating KV ${REGISTRY_BUCKET}`, () =>
    kvm.create(REGISTRY_BUCKET, { history: 1, replicas, storage: StorageType.File, ttl: 60_000 }),
  );
  await provisioningStep(`creating KV ${SCHEDULES_BUCKET}`, () => kvm.create(SCHEDULES_BUCKET, { history: 1, replicas, storage: StorageType.File }));
  for (let p = 0; p < layout.partitions; p++) {
    const stream = layout.streamOf(p);
    const dispatcher: Partial<ConsumerConfig> = {
      durable_name: DISPATCHER_CONSUMER,
      filter_subject: layout.subjectsOf(p),
      // Each event acked on its own: with AckPolicy.All one server's ack would also ack the
      // events another server (or one killed a moment ago) holds unhandled, and those would be lost.
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(30_000),
      max_ack_pending: 20_000,
      max_deliver: -1,
    };
    await provisioningStep(`moving ${DISPATCHER_CONSUMER} on ${stream} to explicit acks`, () => migrateCumulativeConsumer(jsm, stream, dispatcher));
    await ensureConsumer(jsm, stream, dispatcher);
  }
  await ensureConsumer(jsm, TIMER_STREAM, {
    durable_name: TIMER_CONSUMER,
    filter_subject: subjects.allTimers,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(30_000),
    // Sleeping timers wait in ack-pending (nak with delay): a limit would stall new ones.
    max_ack_pending: -1,
    max_deliver: -1,
  });
  if (layout.partitions > 1 && replicas > 1) await spreadLeaders(nc, jsm, layout.streams()).catch(() => undefined);
  await noteReplication(jsm, layout);
  return layout;
}

const SPREAD_TRIES = 12;

/**
 * Asks partitions that share a leader to elect another one until, as far as the cluster's
 * size allows, each partition has its leader on its own node: writes then spread over the
 * cluster. JetStream 2.9 cannot be told where a leader goes, so a step-down lets the raft group
 * elect again at random; a few rounds settle it. Best effort: leaders move again on failures.
 */
async function spreadLeaders(nc: NatsConnection, jsm: JetStreamManager, streams: string[]): Promise<void> {
  for (let round = 0; round < SPREAD_TRIES; round++) {
    if (round > 0) await new Promise((resolve) => setTimeout(resolve, 500));
    // A stream that just stepped down may not answer until its new leader is elected.
    const infos = await Promise.all(streams.map((name) => jsm.streams.info(name))).catch(() => undefined);
    if (!infos) continue;
    const nodes = new Set(infos.flatMap((info) => [info.cluster?.leader, ...(info.cluster?.replicas ?? []).map((r) => r.name)]).filter(Boolean));
    const byLeader = new Map<string, string[]>();
    for (const info of infos) {
      const leader = info.cluster?.leader;
      if (leader) byLeader.set(leader, [...(byLeader.get(leader) ?? []), info.config.name]);
    }
    const crowded = [...byLeader.values()].find((names) => names.length > 1);
    if (!crowded || byLeader.size >= Math.min(nodes.size, streams.length)) return;
    await nc.request(`$JS.API.STREAM.LEADER.STEPDOWN.${crowded[1]}`, undefined, { timeout: 5000 }).catch(() => undefined);
  }
}

/**
 * Creates the stream unless it exists. With `rescale`, an existing stream of another replica
 * count is changed to the one asked for (JetStream moves the data), so --replicas also scales.
 */
async function ensureStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }, options: { rescale: boolean }): Promise<void> {
  let existing: StreamConfig | undefined;
  try {
    existing = (await jsm.streams.info(config.name)).config;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  try {
    if (!existing) await jsm.streams.add(config);
    else if (options.rescale && existing.num_replicas !== config.num_replicas) {
      // A single server takes any replica count in an update (2.9): try a placement first.
      await probePlacement(jsm, config.num_replicas ?? 1);
      await jsm.streams.update(config.name, { ...existing, num_replicas: config.num_replicas });
    }
  } catch (err) {
    // Another server provisioning at the same time created it first.
    if (isAlreadyExists(err)) return;
    if (isInsufficientResources(err)) {
      throw new DfutError(
        "invalid_argument",
        `NATS cannot place ${config.num_replicas} replicas of stream ${config.name} (${(err as Error).message}); ` +
          "--replicas can be at most the number of JetStream servers in the cluster (1 on a single server)",
        { cause: err },
      );
    }
    throw err;
  }
}

/** Creates and removes an empty stream of that many replicas: fails where they cannot be placed. */
async function probePlacement(jsm: JetStreamManager, replicas: number): Promise<void> {
  const name = `DFUT_PLACEMENT_PROBE_${crypto.randomUUID().slice(0, 8)}`;
  await jsm.streams.add({ name, subjects: [`dfut.probe.${name}`], num_replicas: replicas, storage: StorageType.Memory });
  await jsm.streams.delete(name).catch(() => undefined);
}

export interface TaskConsumerOptions {
  /** How long a delivered task may go without an ack or heartbeat before another worker gets it. */
  ackWaitMs: number;
}

/**
 * Durable consumers that all workers of a queue share. Returns the ack wait the queue really
 * has, in ms: the first worker sets it, and later ones must heartbeat by it, not by their own.
 */
export async function ensureTaskConsumers(jsm: JetStreamManager, queue: string, options: TaskConsumerOptions): Promise<number> {
  const base: Partial<ConsumerConfig> = {
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(options.ackWaitMs),
    // Retries waiting for their backoff wait in ack-pending: a limit would stall the queue.
    max_ack_pending: -1,
    max_deliver: -1,
  };
  const workflowAckWait = await ensureConsumer(jsm, TASK_STREAM, {
    ...base,
    durable_name: consumerNames.workflowTasks(queue),
    filter_subject: subjects.workflowTask(queue),
  });
  const activityAckWait = await ensureConsumer(jsm, TASK_STREAM, {
    ...base,
    durable_name: consumerNames.activityTasks(queue),
    filter_subject: subjects.activityTask(queue),
  });
  return Math.min(workflowAckWait, activityAckWait) / 1_000_000;
}

/**
 * Creating replicated streams and consumers takes a round of raft per resource, seconds on a
 * busy cluster and more during an election: each step is retried (it is idempotent) for a
 * while before provisioning gives up.
 */
function provisioningStep<T>(what: string, step: () => Promise<T>): Promise<T> {
  return retryTransient(what, step, { deadlineMs: PROVISIONING_DEADLINE_MS });
}

const PROVISIONING_DEADLINE_MS = 60_000;

/** Creates the consumer unless it exists; returns its ack wait in nanoseconds. */
function ensureConsumer(jsm: JetStreamManager, stream: string, config: Partial<ConsumerConfig>): Promise<number> {
  return provisioningStep(`creating consumer ${config.durable_name} on ${stream}`, () => ensureConsumerOnce(jsm, stream, config));
}

async function ensureConsumerOnce(jsm: JetStreamManager, stream: string, config: Partial<ConsumerConfig>): Promise<number> {
  const name = config.durable_name!;
  try {
    return ackWaitOf(await jsm.consumers.info(stream, name));
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  try {
    return ackWaitOf(await jsm.consumers.add(stream, config));
  } catch (addErr) {
    // Another process created it first; that is the same consumer.
    if (!isAlreadyExists(addErr)) throw addErr;
    return ackWaitOf(await jsm.consumers.info(stream, name));
  }
}

/**
 * Earlier versions made the dispatcher's consumer ack cumulatively (AckPolicy.All), which an
 * existing consumer cannot change: it is replaced by one with explicit acks that starts after
 * the old one's ack floor (what it had not acked is delivered again: dispatching is idempotent).
 */
async function migrateCumulativeConsumer(jsm: JetStreamManager, stream: string, config: Partial<ConsumerConfig>): Promise<void> {
  const info = await jsm.consumers.info(stream, config.durable_name!).catch((err: unknown) => {
    if (isNotFound(err)) return undefined;
    throw err;
  });
  if (!info || info.config.ack_policy !== AckPolicy.All) return;
  const from = info.ack_floor.stream_seq + 1;
  await jsm.consumers.delete(stream, config.durable_name!).catch((err: unknown) => {
    if (!isNotFound(err)) throw err;
  });
  await jsm.consumers
    .add(stream, { ...config, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: from })
    .catch((err: unknown) => {
      // Another server moved it first.
      if (!isAlreadyExists(err)) throw err;
    });
}

const DEFAULT_ACK_WAIT_NS = nanos(30_000);
const ackWaitOf = (info: { config: { ack_wait?: number } }) => info.config.ack_wait ?? DEFAULT_ACK_WAIT_NS;


export async function openKv(nc: NatsConnection, bucket: string): Promise<KV> {
  try {
    return await retryTransient(`opening KV ${bucket}`, () => new Kvm(nc).open(bucket));
  } catch (err) {
    throw notProvisioned(err);
  }
}

export function notProvisioned(err: unknown): Error {
  if (isNotFound(err)) {
    return new DfutError("failed_precondition", "dfut is not set up on this NATS server yet; start 'dfut server' once against it");
  }
  return err as Error;
}

const PROVISIONING_POLL_MS = 500;

export interface AwaitProvisionedOptions {
  /** Give up after this long (then the "not set up" error); default: wait as long as it takes. */
  timeoutMs?: number;
  /** Told once, when the first look finds dfut not (fully) provisioned yet. */
  onWait?: (message: string) => void;
}

/**
 * Waits until every resource dfut needs exists on this NATS (a server may be provisioning it
 * right now, or a cluster may still be electing leaders) and sets the connection's layout.
 */
export async function awaitProvisioned(connection: DfutConnection, options: AwaitProvisionedOptions = {}): Promise<HistoryLayout> {
  const deadline = options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.timeoutMs;
  let told = false;
  for (;;) {
    let missing: string[];
    try {
      const found = await missingResources(connection.jsm);
      if (found instanceof HistoryLayout) {
        connection.layout = found;
        return found;
      }
      missing = found;
    } catch (err) {
      if (!isTransient(err)) throw err;
      missing = ["an answer from JetStream"];
    }
    if (Date.now() + PROVISIONING_POLL_MS > deadline) {
      throw new DfutError("failed_precondition", `dfut is not set up on this NATS server yet (missing: ${missing.join(", ")}); start 'dfut server' once against it`);
    }
    if (!told) {
      told = true;
      options.onWait?.(`waiting for dfut to be provisioned on NATS (missing: ${missing.join(", ")}); start 'dfut server' against it`);
    }
    await new Promise((resolve) => setTimeout(resolve, PROVISIONING_POLL_MS));
  }
}

async function noteReplication(jsm: JetStreamManager, layout: HistoryLayout): Promise<void> {
  const info = await retryTransient("reading the history stream", () => jsm.streams.info(layout.streamOf(0)));
  layout.replicated = (info.config.num_replicas ?? 1) > 1;
}

/** The layout when everything is there, else the names of what is missing. */
async function missingResources(jsm: JetStreamManager): Promise<HistoryLayout | string[]> {
  const names = new Set(await streamNames(jsm));
  const found = layoutOfStreams([...names]);
  if (found.state === "none") return ["history streams"];
  const missing = [
    ...(found.state === "partial" ? found.missing : []),
    ...[TASK_STREAM, TIMER_STREAM, `KV_${EXECUTIONS_BUCKET}`, `KV_${REGISTRY_BUCKET}`].filter((name) => !names.has(name)),
  ];
  if (missing.length > 0) return missing;
  await noteReplication(jsm, found.layout);
  return found.layout;
}

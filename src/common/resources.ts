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
  HISTORY_STREAM,
  REGISTRY_BUCKET,
  TASK_STREAM,
  TIMER_CONSUMER,
  TIMER_STREAM,
  consumerNames,
  subjects,
} from "./names.ts";
import { DfutError } from "./errors.ts";
import { isAlreadyExists, isNotFound } from "./jetstream-errors.ts";

export interface ProvisionOptions {
  /** Stream and KV replicas (1 on a single server). */
  replicas?: number;
}

const nanos = (ms: number) => ms * 1_000_000;
const DUPLICATE_WINDOW_MS = 2 * 60_000;

function streamConfigs(replicas: number): (Partial<StreamConfig> & { name: string })[] {
  const common = { storage: StorageType.File, num_replicas: replicas, duplicate_window: nanos(DUPLICATE_WINDOW_MS) };
  return [
    {
      ...common,
      name: HISTORY_STREAM,
      subjects: [subjects.allHistory],
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.New,
      allow_direct: true,
    },
    { ...common, name: TASK_STREAM, subjects: [subjects.allTasks], retention: RetentionPolicy.Workqueue },
    { ...common, name: TIMER_STREAM, subjects: [subjects.allTimers], retention: RetentionPolicy.Workqueue },
  ];
}

/** Creates dfut's streams, KV buckets and server consumers; safe to call again. */
export async function provision(nc: NatsConnection, jsm: JetStreamManager, options: ProvisionOptions = {}): Promise<void> {
  const replicas = options.replicas ?? 1;
  for (const config of streamConfigs(replicas)) {
    await ensureStream(jsm, config);
  }
  const kvm = new Kvm(nc);
  await kvm.create(EXECUTIONS_BUCKET, { history: 1, replicas, storage: StorageType.File });
  await kvm.create(REGISTRY_BUCKET, { history: 1, replicas, storage: StorageType.File, ttl: 60_000 });
  await ensureConsumer(jsm, HISTORY_STREAM, {
    durable_name: DISPATCHER_CONSUMER,
    filter_subject: subjects.allHistory,
    // One ack covers many events: the dispatcher sees every event but acts on few.
    ack_policy: AckPolicy.All,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(30_000),
    max_ack_pending: 20_000,
    max_deliver: -1,
  });
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
}

async function ensureStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }): Promise<void> {
  try {
    await jsm.streams.info(config.name);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await jsm.streams.add(config);
  }
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

/** Creates the consumer unless it exists; returns its ack wait in nanoseconds. */
async function ensureConsumer(jsm: JetStreamManager, stream: string, config: Partial<ConsumerConfig>): Promise<number> {
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

const DEFAULT_ACK_WAIT_NS = nanos(30_000);
const ackWaitOf = (info: { config: { ack_wait?: number } }) => info.config.ack_wait ?? DEFAULT_ACK_WAIT_NS;


export async function openKv(nc: NatsConnection, bucket: string): Promise<KV> {
  try {
    return await new Kvm(nc).open(bucket);
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

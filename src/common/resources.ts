import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type JetStreamManager,
  type StreamConfig,
  JetStreamApiError,
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
    ack_policy: AckPolicy.Explicit,
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
    max_ack_pending: 100_000,
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

/** Durable consumers that all workers of a queue share. */
export async function ensureTaskConsumers(jsm: JetStreamManager, queue: string, options: TaskConsumerOptions): Promise<void> {
  const base: Partial<ConsumerConfig> = {
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(options.ackWaitMs),
    max_ack_pending: 20_000,
    max_deliver: -1,
  };
  await ensureConsumer(jsm, TASK_STREAM, {
    ...base,
    durable_name: consumerNames.workflowTasks(queue),
    filter_subject: subjects.workflowTask(queue),
  });
  await ensureConsumer(jsm, TASK_STREAM, {
    ...base,
    durable_name: consumerNames.activityTasks(queue),
    filter_subject: subjects.activityTask(queue),
  });
}

async function ensureConsumer(jsm: JetStreamManager, stream: string, config: Partial<ConsumerConfig>): Promise<void> {
  const name = config.durable_name!;
  try {
    const info = await jsm.consumers.info(stream, name);
    if (config.ack_wait !== undefined && info.config.ack_wait !== config.ack_wait) {
      await jsm.consumers.update(stream, name, { ack_wait: config.ack_wait });
    }
  } catch (err) {
    if (!isNotFound(err)) throw err;
    try {
      await jsm.consumers.add(stream, config);
    } catch (addErr) {
      // Another process created it first; that is the same consumer.
      if (!/already (exists|in use)/i.test(String((addErr as Error).message))) throw addErr;
    }
  }
}

export function isNotFound(err: unknown): boolean {
  if (err instanceof JetStreamApiError) return err.status === 404 || err.code === 10059 || err.code === 10014;
  return /not found/i.test(String((err as Error)?.message));
}

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

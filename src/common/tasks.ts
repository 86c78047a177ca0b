import type { JetStreamClient } from "@nats-io/jetstream";
import { headers as createHeaders, type MsgHdrs } from "@nats-io/nats-core";
import type { ActivityOptions, ActivityScheduled, HistoryEvent, TimerStarted } from "./events.ts";
import { taskMsgIds } from "./msg-ids.ts";
import { subjects } from "./names.ts";
import { encodeJson } from "./payload.ts";
import { decodeShaped, type Decoded, type Shape } from "./shape.ts";
import { eventProblem } from "./event-codec.ts";

/** A workflow task: "workflow X has new events up to seq". */
export interface WorkflowTask {
  workflowId: string;
  seq: number;
  /** The event at `seq`, when small: saves the worker a read. */
  event?: HistoryEvent;
}

/** One attempt of one activity. */
export interface ActivityTask {
  workflowId: string;
  activityId: number;
  activityType: string;
  args: unknown[];
  options: ActivityOptions;
  attempt: number;
  /** When the activity was first scheduled (for scheduleToCloseTimeout). */
  scheduledAt: string;
  /** History sequence of the ActivityScheduled event. */
  scheduledSeq?: number;
  /** Do not start before this time (retry backoff). */
  notBefore?: string;
  /** Queue of the workflow's own tasks, for the task that reports the outcome. */
  workflowQueue: string;
  /** Look at history before running: this task may duplicate one already run. */
  verify?: boolean;
  /**
   * Another event of the same batch was appended right after its ActivityScheduled, so its
   * start cannot be fenced on that (see Contiguity): it is appended unfenced at once.
   */
  followed?: boolean;
}

/** A durable timer waiting to fire. */
export interface TimerTask {
  workflowId: string;
  timerId: number;
  fireAt: string;
  /** Queue of the workflow's tasks, for the task that reports the firing. */
  queue: string;
}

const WORKFLOW_TASK: Shape = { workflowId: "string", seq: "int", event: "object?" };
const ACTIVITY_TASK: Shape = {
  workflowId: "string",
  activityId: "int",
  activityType: "string",
  args: "array",
  options: "object",
  attempt: "int",
  scheduledAt: "string",
  scheduledSeq: "int?",
  notBefore: "string?",
  workflowQueue: "string",
  verify: "boolean?",
  followed: "boolean?",
};
const ACTIVITY_OPTIONS: Shape = {
  startToCloseTimeout: "int",
  scheduleToCloseTimeout: "int",
  heartbeatTimeout: "int",
  queue: "string",
  retry: "object",
};
const RETRY_POLICY: Shape = {
  initialInterval: "int",
  backoffCoefficient: "json",
  maximumInterval: "int",
  maximumAttempts: "int",
  nonRetryableErrorTypes: "array",
};
const TIMER_TASK: Shape = { workflowId: "string", timerId: "int", fireAt: "string", queue: "string" };

export function decodeWorkflowTask(data: Uint8Array): Decoded<WorkflowTask> {
  const decoded = decodeShaped<WorkflowTask>(data, WORKFLOW_TASK);
  // An inline event that is not one is only a lost shortcut: the worker reads the history instead.
  if (decoded.ok && decoded.value.event && eventProblem(decoded.value.event)) delete decoded.value.event;
  else if (decoded.ok && decoded.value.event) decoded.value.event.seq = decoded.value.seq;
  return decoded;
}

export function decodeActivityTask(data: Uint8Array): Decoded<ActivityTask> {
  return decodeShaped<ActivityTask>(data, ACTIVITY_TASK, { options: ACTIVITY_OPTIONS, "options.retry": RETRY_POLICY });
}

export function decodeTimerTask(data: Uint8Array): Decoded<TimerTask> {
  return decodeShaped<TimerTask>(data, TIMER_TASK);
}

const MAX_INLINE_EVENT_BYTES = 32 * 1024;

export async function publishWorkflowTask(js: JetStreamClient, queue: string, workflowId: string, event: HistoryEvent): Promise<void> {
  const withEvent = encodeJson({ workflowId, seq: event.seq, event } satisfies WorkflowTask);
  const data = withEvent.length <= MAX_INLINE_EVENT_BYTES ? withEvent : encodeJson({ workflowId, seq: event.seq } satisfies WorkflowTask);
  await js.publish(subjects.workflowTask(queue), data, { msgID: taskMsgIds.workflow(workflowId, event) });
}

/**
 * Publishes the task a recorded step needs: the first attempt of an activity, or a timer. The
 * workflow worker that appended the step does this before it acks its own task; `verify` marks
 * a republication after a redelivery, which may duplicate a task already taken.
 */
export async function publishStepTask(
  js: JetStreamClient,
  workflowId: string,
  workflowQueue: string,
  step: ActivityScheduled | TimerStarted,
  options: { verify?: boolean; followed?: boolean; headers?: Readonly<Record<string, string>> } = {},
): Promise<void> {
  if (step.type === "TimerStarted") {
    const timer: TimerTask = { workflowId, timerId: step.timerId, fireAt: step.fireAt, queue: workflowQueue };
    await js.publish(subjects.timer(workflowId, step.timerId), encodeJson(timer), { msgID: taskMsgIds.timer(workflowId, step.timerId) });
    return;
  }
  const task = activityTaskFor(workflowId, workflowQueue, step);
  if (options.verify) task.verify = true;
  if (options.followed) task.followed = true;
  await publishActivityTask(js, task, options.headers);
}

/** The first attempt's task of a recorded ActivityScheduled. */
export function activityTaskFor(workflowId: string, workflowQueue: string, step: ActivityScheduled): ActivityTask {
  return {
    workflowId,
    activityId: step.activityId,
    activityType: step.activityType,
    args: step.args,
    options: step.options,
    attempt: 1,
    scheduledAt: step.time,
    scheduledSeq: step.seq,
    workflowQueue,
  };
}

/** An activity attempt's task; `headers` (a trace context) go as JetStream message headers. */
export async function publishActivityTask(js: JetStreamClient, task: ActivityTask, headers?: Readonly<Record<string, string>>): Promise<void> {
  await js.publish(subjects.activityTask(task.options.queue), encodeJson(task), {
    msgID: taskMsgIds.activity(task.workflowId, task.activityId, task.attempt),
    ...(headers && Object.keys(headers).length > 0 ? { headers: natsHeaders(headers) } : {}),
  });
}

function natsHeaders(values: Readonly<Record<string, string>>): MsgHdrs {
  const h = createHeaders();
  for (const [name, value] of Object.entries(values)) h.set(name, value);
  return h;
}

/** The string headers of a task message (without NATS's own, such as the message id). */
export function headersOf(msg: { headers?: MsgHdrs }): Record<string, string> {
  const out: Record<string, string> = {};
  if (!msg.headers) return out;
  for (const [name, values] of msg.headers) if (!name.startsWith("Nats-") && values.length > 0) out[name] = values[0];
  return out;
}

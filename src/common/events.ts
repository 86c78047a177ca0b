/**
 * The event model: every fact dfut records about a workflow, and what dfut needs to know of
 * each kind (EVENT_KINDS). Everyone imports these; nobody re-defines them. Resource and subject
 * names are in names.ts, the shape checks of stored events in event-codec.ts.
 */

export interface ErrorInfo {
  name: string;
  message: string;
  stack?: string;
  /** True when the error must not be retried (set by ApplicationFailure.nonRetryable). */
  nonRetryable?: boolean;
  /** Which budget ran out, for an activity timeout. */
  timeoutType?: "startToClose" | "scheduleToClose" | "heartbeat";
}

export interface RetryPolicy {
  /** Delay before the first retry, ms. Default 1000. */
  initialInterval: number;
  /** Each retry waits this many times longer than the previous one. Default 2. */
  backoffCoefficient: number;
  /** Upper bound for one retry delay, ms. Default 100 × initialInterval. */
  maximumInterval: number;
  /** Attempts in all, the first included; 0 means unlimited. Default 0. */
  maximumAttempts: number;
  /** Error names (error.name) that fail the activity at once. */
  nonRetryableErrorTypes: string[];
}

export interface ActivityOptions {
  /** Time one attempt may take, ms. Default 60 000. */
  startToCloseTimeout: number;
  /** Time all attempts together may take, counted from scheduling, ms. 0 = unlimited. */
  scheduleToCloseTimeout: number;
  /** The activity must call heartbeat() at least this often, ms. 0 = not required. */
  heartbeatTimeout: number;
  /** Task queue of the activity; defaults to the workflow's queue. */
  queue: string;
  retry: RetryPolicy;
}

export interface WorkflowStartOptions {
  /** Task queue the workflow's tasks go to. */
  queue: string;
}

interface EventBase {
  /** Stream sequence of the event in the history stream (set when read back). */
  seq: number;
  /** ISO-8601 time the event was recorded by the writer. */
  time: string;
}

export interface WorkflowStarted extends EventBase {
  type: "WorkflowStarted";
  workflowType: string;
  args: unknown[];
  queue: string;
  options: Partial<WorkflowStartOptions>;
}
export interface ActivityScheduled extends EventBase {
  type: "ActivityScheduled";
  activityId: number;
  activityType: string;
  args: unknown[];
  options: ActivityOptions;
}
export interface ActivityStarted extends EventBase {
  type: "ActivityStarted";
  activityId: number;
  attempt: number;
  worker: string;
  /** Run by the workflow worker that scheduled it, with no task message of its own. */
  eager?: boolean;
}
/**
 * Set on an outcome when the writer proved, by fencing its appends, that the only event between
 * the ActivityScheduled at this sequence and the outcome is the attempt's ActivityStarted: a
 * worker whose cached execution ends at that ActivityScheduled can apply the outcome unread.
 */
interface Contiguity {
  contiguousSince?: number;
}
export interface ActivityCompleted extends EventBase, Contiguity {
  type: "ActivityCompleted";
  activityId: number;
  attempt: number;
  result: unknown;
}
export interface ActivityFailed extends EventBase, Contiguity {
  type: "ActivityFailed";
  activityId: number;
  attempt: number;
  error: ErrorInfo;
  willRetry: boolean;
  nextAttemptAt?: string;
}
export interface TimerStarted extends EventBase {
  type: "TimerStarted";
  timerId: number;
  fireAt: string;
}
export interface TimerFired extends EventBase {
  type: "TimerFired";
  timerId: number;
}
export interface SignalReceived extends EventBase {
  type: "SignalReceived";
  name: string;
  payload: unknown;
}
export interface CancelRequested extends EventBase {
  type: "CancelRequested";
  reason: string;
}
export interface WorkflowCompleted extends EventBase {
  type: "WorkflowCompleted";
  result: unknown;
}
export interface WorkflowFailed extends EventBase {
  type: "WorkflowFailed";
  error: ErrorInfo;
}
export interface WorkflowCanceled extends EventBase {
  type: "WorkflowCanceled";
  reason: string;
}
export interface WorkflowTaskFailed extends EventBase {
  type: "WorkflowTaskFailed";
  error: ErrorInfo;
  worker: string;
}
/**
 * The code took the new branch of a change (`ctx.patched(patchId)`) at this point: replays of
 * this history take it too, replays of histories without it the old one.
 */
export interface PatchMarked extends EventBase {
  type: "PatchMarked";
  patchId: string;
  /** Recorded by `ctx.deprecatePatch`: the old branch is gone from the code. */
  deprecated?: boolean;
}
/** Ended from outside (`dfut terminate`): no workflow code ran for it, nothing more will. */
export interface WorkflowTerminated extends EventBase {
  type: "WorkflowTerminated";
  reason: string;
}
/**
 * A message on a history subject that is not an event dfut knows: not JSON, or not of the
 * event model. Never written by dfut; it stands in the history where the message is stored, so
 * readers can show it, and the workflow stops at it (its code cannot be replayed past it).
 */
export interface UndecodableEvent extends EventBase {
  type: "Undecodable";
  /** Why the message is not an event. */
  reason: string;
  /** The start of the stored bytes, as text. */
  raw: string;
}

export type HistoryEvent =
  | WorkflowStarted
  | ActivityScheduled
  | ActivityStarted
  | ActivityCompleted
  | ActivityFailed
  | TimerStarted
  | TimerFired
  | SignalReceived
  | CancelRequested
  | WorkflowCompleted
  | WorkflowFailed
  | WorkflowCanceled
  | WorkflowTaskFailed
  | WorkflowTerminated
  | PatchMarked
  | UndecodableEvent;

export type EventType = HistoryEvent["type"];

/** Events dfut writes. */
export type RecordedEvent = Exclude<HistoryEvent, UndecodableEvent>;
export type RecordedEventType = RecordedEvent["type"];

/** An event as written, before the stream gives it a sequence number. */
export type NewEvent = RecordedEvent extends infer E ? (E extends RecordedEvent ? Omit<E, "seq"> : never) : never;

export type WorkflowStatus = "running" | "completed" | "failed" | "canceled" | "terminated";

/** What dfut needs to know of every event kind; a new kind does not compile until it is here. */
interface EventKind<E extends HistoryEvent> {
  /**
   * Who writes it. The client's events that wake the workflow have no task to redeliver them, so
   * the dispatcher publishes their workflow task (a transactional outbox); every other writer
   * holds a task while it writes and publishes what its event causes before acking that task.
   */
  writer: "client" | "worker" | "timers" | "nobody";
  /** The status the workflow closes with. */
  closes?: Exclude<WorkflowStatus, "running">;
  /** Whether it gives the workflow code something new to react to (it becomes a workflow task). */
  wakes: (event: E) => boolean;
}

const always = () => true;
const never = () => false;

export const EVENT_KINDS: { readonly [K in EventType]: EventKind<Extract<HistoryEvent, { type: K }>> } = {
  WorkflowStarted: { writer: "client", wakes: always },
  ActivityScheduled: { writer: "worker", wakes: never },
  ActivityStarted: { writer: "worker", wakes: never },
  ActivityCompleted: { writer: "worker", wakes: always },
  // A retry changes nothing for the workflow.
  ActivityFailed: { writer: "worker", wakes: (event) => !event.willRetry },
  TimerStarted: { writer: "worker", wakes: never },
  TimerFired: { writer: "timers", wakes: always },
  SignalReceived: { writer: "client", wakes: always },
  CancelRequested: { writer: "client", wakes: always },
  WorkflowCompleted: { writer: "worker", closes: "completed", wakes: never },
  WorkflowFailed: { writer: "worker", closes: "failed", wakes: never },
  WorkflowCanceled: { writer: "worker", closes: "canceled", wakes: never },
  WorkflowTerminated: { writer: "client", closes: "terminated", wakes: never },
  PatchMarked: { writer: "worker", wakes: never },
  WorkflowTaskFailed: { writer: "worker", wakes: never },
  Undecodable: { writer: "nobody", wakes: never },
};

function kindOf<E extends HistoryEvent>(event: E): EventKind<E> {
  return EVENT_KINDS[event.type] as unknown as EventKind<E>;
}

/** The events that close a workflow. */
export type CloseEvent = WorkflowCompleted | WorkflowFailed | WorkflowCanceled | WorkflowTerminated;

export function isTerminal<E extends { type: EventType }>(event: E): event is E & CloseEvent {
  return EVENT_KINDS[event.type].closes !== undefined;
}

/** The status a terminal event closes the workflow with; undefined for every other event. */
export function statusOf(event: HistoryEvent): WorkflowStatus | undefined {
  return kindOf(event).closes;
}

/** Events that give the workflow code something new to react to. Each becomes a workflow task. */
export function wakesWorkflow(event: HistoryEvent): boolean {
  return kindOf(event).wakes(event);
}

/** Events clients write (start, signal, cancel, terminate): a workflow with only these never ran. */
export function writtenByClient(event: HistoryEvent): boolean {
  return kindOf(event).writer === "client";
}

/** Events whose workflow task the dispatcher publishes: the client's, which nothing redelivers. */
export function needsDispatch(event: HistoryEvent): boolean {
  return writtenByClient(event) && wakesWorkflow(event);
}

/** For an exhaustive `switch`: the compiler names every event kind a case is missing for. */
export function unhandled(value: never): never {
  throw new Error(`unhandled case ${JSON.stringify(value)}`);
}

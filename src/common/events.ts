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

/** The workflow that started a child, and the step of its code that did. */
export interface ParentRef {
  workflowId: string;
  /** The parent's run (the sequence of its WorkflowStarted). */
  runId: string;
  stepId: number;
  /** The parent's task queue, for the task that tells it of the child's close. */
  queue: string;
}

/** Whether a workflow id whose last run is closed may start again. */
export type IdReusePolicy = "allow" | "failed-only" | "reject";

/** What happens to a child that is still open when its parent's run closes. */
export type ParentClosePolicy = "terminate" | "request-cancel" | "abandon";

/** A signal a run received but its code had not taken yet when it continued as new. */
export interface CarriedSignal {
  name: string;
  payload: unknown;
}

/**
 * The start of a run. A workflow id's history is a chain of runs on one subject; each begins
 * with its WorkflowStarted, and its run id is that event's sequence.
 */
export interface WorkflowStarted extends EventBase {
  type: "WorkflowStarted";
  workflowType: string;
  args: unknown[];
  queue: string;
  options: Partial<WorkflowStartOptions>;
  /**
   * The first step ordinal of this run: past every earlier run's (one past the previous run's
   * last after a continue-as-new; one past the last sequence for a new start of a closed id),
   * so that message ids of steps never repeat for an id, and a late outcome of an older run's
   * step (an activity still running when that run closed) answers nothing here. Absent: 1.
   */
  firstStep?: number;
  /** The run this one continues (continue-as-new). */
  continuedFrom?: string;
  /** Set on a child workflow's runs. */
  parent?: ParentRef;
  /** Signals the previous run received but had not taken yet. */
  signals?: CarriedSignal[];
  /** What the start's interceptors recorded (a trace context): the run's tasks see them. */
  headers?: Record<string, string>;
  /** Set on a run that a reset began: it goes on from an earlier run's history up to a point. */
  reset?: ResetPoint;
}

/**
 * What a reset run starts from: the events of an earlier run up to `toSeq`, carried in its
 * WorkflowStarted (one append: a reset is all or nothing). They replay as this run's own
 * history, their step ordinals moved to this run's (`firstStep` was the earlier run's).
 */
export interface ResetPoint {
  fromRunId: string;
  toSeq: number;
  firstStep: number;
  reason: string;
  /** As recorded, without their sequences (they have none in this run). */
  events: NewEvent[];
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
/** Set on a run's close when children of it were still open: dfut server applies their parent close policy. */
interface OpenChildren {
  openChildren?: boolean;
}
export interface WorkflowCompleted extends EventBase, OpenChildren {
  type: "WorkflowCompleted";
  result: unknown;
}
export interface WorkflowFailed extends EventBase, OpenChildren {
  type: "WorkflowFailed";
  error: ErrorInfo;
}
export interface WorkflowCanceled extends EventBase, OpenChildren {
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
/**
 * The run ended by asking for a new run of the same workflow with fresh history
 * (`ctx.continueAsNew`): the fields are the next run's start, which dfut server appends.
 */
export interface WorkflowContinuedAsNew extends EventBase {
  type: "WorkflowContinuedAsNew";
  /** The run that closes. */
  runId: string;
  workflowType: string;
  args: unknown[];
  queue: string;
  firstStep: number;
  parent?: ParentRef;
  signals?: CarriedSignal[];
  openChildren?: boolean;
}
/** The code started a child workflow as step `stepId`; dfut server starts it. */
export interface ChildWorkflowScheduled extends EventBase {
  type: "ChildWorkflowScheduled";
  /** The parent's run that starts it. */
  runId: string;
  stepId: number;
  childWorkflowId: string;
  workflowType: string;
  args: unknown[];
  queue: string;
  parentClosePolicy: ParentClosePolicy;
}
/** The child's run began. */
export interface ChildWorkflowStarted extends EventBase {
  type: "ChildWorkflowStarted";
  stepId: number;
  childWorkflowId: string;
  childRunId: string;
}
/** The child could not be started (its id is in use). */
export interface ChildWorkflowStartFailed extends EventBase {
  type: "ChildWorkflowStartFailed";
  stepId: number;
  childWorkflowId: string;
  error: ErrorInfo;
}
/** The child closed (its last run, when it continued as new). */
export interface ChildWorkflowClosed extends EventBase {
  type: "ChildWorkflowClosed";
  stepId: number;
  childWorkflowId: string;
  childRunId: string;
  status: Exclude<WorkflowStatus, "running" | "continued">;
  result?: unknown;
  error?: ErrorInfo;
}
/** The code signaled its child (a handle's `signal`); dfut server delivers it. */
export interface ChildWorkflowSignaled extends EventBase {
  type: "ChildWorkflowSignaled";
  stepId: number;
  childWorkflowId: string;
  name: string;
  payload: unknown;
}
/**
 * The code canceled one of its pending steps (`future.cancel()`): a timer that will not fire,
 * an activity whose running attempt is aborted and not retried, or a child asked to cancel.
 */
export interface StepCanceled extends EventBase {
  type: "StepCanceled";
  stepId: number;
  /** Set when the step is a child workflow: dfut server asks it to cancel. */
  childWorkflowId?: string;
}
/**
 * A client's update, validated against the workflow's state and accepted: its handler runs as
 * workflow code from here (and on every replay).
 */
export interface UpdateAccepted extends EventBase {
  type: "UpdateAccepted";
  updateId: string;
  name: string;
  args: unknown[];
}
/** The update's handler finished: its result, or what it failed with. */
export interface UpdateCompleted extends EventBase {
  type: "UpdateCompleted";
  updateId: string;
  result?: unknown;
  error?: ErrorInfo;
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
  | WorkflowContinuedAsNew
  | ChildWorkflowScheduled
  | ChildWorkflowStarted
  | ChildWorkflowStartFailed
  | ChildWorkflowClosed
  | ChildWorkflowSignaled
  | StepCanceled
  | UpdateAccepted
  | UpdateCompleted
  | UndecodableEvent;

export type EventType = HistoryEvent["type"];

/** Events dfut writes. */
export type RecordedEvent = Exclude<HistoryEvent, UndecodableEvent>;
export type RecordedEventType = RecordedEvent["type"];

/** An event as written, before the stream gives it a sequence number. */
export type NewEvent = RecordedEvent extends infer E ? (E extends RecordedEvent ? Omit<E, "seq"> : never) : never;

/** "continued": the run continued as new; the workflow goes on in its next run. */
export type WorkflowStatus = "running" | "completed" | "failed" | "canceled" | "terminated" | "continued";

/** What dfut needs to know of every event kind; a new kind does not compile until it is here. */
interface EventKind<E extends HistoryEvent> {
  /**
   * Who writes it. The client's events that wake the workflow have no task to redeliver them, so
   * the dispatcher publishes their workflow task (a transactional outbox); every other writer
   * holds a task while it writes and publishes what its event causes before acking that task.
   */
  writer: "client" | "worker" | "timers" | "server" | "nobody";
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
  WorkflowContinuedAsNew: { writer: "worker", closes: "continued", wakes: never },
  ChildWorkflowScheduled: { writer: "worker", wakes: never },
  ChildWorkflowStarted: { writer: "server", wakes: always },
  ChildWorkflowStartFailed: { writer: "server", wakes: always },
  ChildWorkflowClosed: { writer: "server", wakes: always },
  ChildWorkflowSignaled: { writer: "worker", wakes: never },
  StepCanceled: { writer: "worker", wakes: never },
  // Written for a client by the worker that validated it, outside any task: nothing would
  // redeliver it, so the dispatcher publishes its workflow task, as for the client's own events.
  UpdateAccepted: { writer: "client", wakes: always },
  UpdateCompleted: { writer: "worker", wakes: never },
  Undecodable: { writer: "nobody", wakes: never },
};

function kindOf<E extends HistoryEvent>(event: E): EventKind<E> {
  return EVENT_KINDS[event.type] as unknown as EventKind<E>;
}

/** The events that close a run. */
export type CloseEvent = WorkflowCompleted | WorkflowFailed | WorkflowCanceled | WorkflowTerminated | WorkflowContinuedAsNew;
/** The events that close a workflow for good: every close but continue-as-new. */
export type FinalCloseEvent = Exclude<CloseEvent, WorkflowContinuedAsNew>;

export function isFinalClose<E extends { type: EventType }>(event: E): event is E & FinalCloseEvent {
  return isTerminal(event) && event.type !== "WorkflowContinuedAsNew";
}

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

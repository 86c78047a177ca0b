import {
  unhandled,
  type ActivityOptions,
  type ActivityScheduled,
  type CarriedSignal,
  type ChildWorkflowScheduled,
  type ChildWorkflowSignaled,
  type ErrorInfo,
  type HistoryEvent,
  type NewEvent,
  type ParentClosePolicy,
  type ParentRef,
  type TimerStarted,
  type WorkflowContinuedAsNew,
  type WorkflowStarted,
} from "../common/events.ts";
import {
  ActivityFailure,
  CanceledError,
  ChildWorkflowFailure,
  NonDeterminismError,
  UndecodableEventError,
  WorkflowAlreadyStartedError,
  toErrorInfo,
} from "../common/errors.ts";
import { validateQueue, validateWorkflowId } from "../common/ids.ts";
import { undecodableProblem } from "../common/event-codec.ts";
import { eventMsgIds } from "../common/msg-ids.ts";
import { outsideWorkflowCode, runAsWorkflowCode, type DeterministicScope } from "./determinism.ts";
import { userLocation } from "../common/stack.ts";
import { assertFits, assertJsonSerializable, encodeJson } from "../common/payload.ts";
import { resolveActivityOptions, type ActivityOptionsInput } from "../common/options.ts";
import type { ActivityRunner, ChildOptions, ChildWorkflowHandle, WorkflowContext } from "./context.ts";
import { activityDefaults, nameOf, type WorkflowFunction } from "./definitions.ts";
import { DurableFuture } from "./future.ts";
import { seededRandom, uuidFrom } from "./random.ts";

/** What the workflow code asked for, to be recorded as events. */
export type Command =
  | { kind: "ScheduleActivity"; activityId: number; activityType: string; args: unknown[]; options: ActivityOptions }
  | { kind: "StartTimer"; timerId: number; fireAt: string }
  | ({ kind: "StartChild" } & Omit<ChildWorkflowScheduled, "type" | "seq" | "time">)
  | { kind: "SignalChild"; stepId: number; childWorkflowId: string; name: string; payload: unknown }
  | { kind: "CancelStep"; stepId: number; childWorkflowId?: string }
  | { kind: "CompleteWorkflow"; result: unknown; openChildren?: boolean }
  | { kind: "FailWorkflow"; error: ErrorInfo; openChildren?: boolean }
  | { kind: "CancelWorkflow"; reason: string; detail?: unknown; openChildren?: boolean }
  | ({
      kind: "ContinueAsNew";
      /** Signals not taken yet, read when the event is written (one may arrive meanwhile). */
      carried: () => CarriedSignal[];
    } & Omit<WorkflowContinuedAsNew, "type" | "seq" | "time" | "signals">)
  | { kind: "MarkPatch"; patchId: string; deprecated: boolean }
  | { kind: "CompleteUpdate"; updateId: string; result?: unknown; error?: ErrorInfo };

type CloseCommand = Extract<Command, { kind: "CompleteWorkflow" | "FailWorkflow" | "CancelWorkflow" | "ContinueAsNew" }>;

type StepKind = "activity" | "timer" | "child" | "signal";
interface Step {
  kind: StepKind;
  /** Activity type, workflow type of a child, signal name, or "timer". */
  label: string;
  /** An activity's arguments as the code passed them. */
  args?: unknown[];
  future: DurableFuture<unknown>;
  /** Where the code took it (with captureLocations). */
  location?: string;
  /** A child: its id, and what startChild waits for. */
  child?: { workflowId: string; started: DurableFuture<string>; policy: ParentClosePolicy; closed: boolean };
}

export interface ExecutionOptions {
  maxPayload?: number;
  onStray?: (error: NonDeterminismError) => void;
  /**
   * An activity replayed with other arguments than its history records: "warn" (default) goes
   * on with the recorded step and tells `onWarning`; "fail" fails the task as non-determinism.
   */
  argumentMismatch?: "warn" | "fail";
  onWarning?: (message: string) => void;
  /**
   * Note where in the workflow code each step was taken (a stack per step), so that a
   * divergence names the line: for replay checks, not for workers' hot path.
   */
  captureLocations?: boolean;
}
interface RecordedStep {
  kind: StepKind;
  label: string;
  seq: number;
  event: ActivityScheduled | TimerStarted | ChildWorkflowScheduled | ChildWorkflowSignaled;
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

interface UpdateHandler {
  handler: (...args: unknown[]) => unknown;
  validate?: (...args: unknown[]) => unknown;
}

/** How an update ended: its result, or the failure its handler threw. */
export type UpdateOutcome = { ok: true; result: unknown } | { ok: false; error: ErrorInfo };

/** A query or an update validator that did something only workflow code may do, or that failed. */
export class ReadOnlyViolation extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReadOnlyViolation";
  }
}

function describe(step: { kind: StepKind; label: string }): string {
  switch (step.kind) {
    case "timer":
      return "a timer";
    case "activity":
      return `activity ${step.label}`;
    case "child":
      return `child workflow ${step.label}`;
    case "signal":
      return `signal ${step.label} to a child`;
  }
}

/** An earlier run's event as a reset run replays it: at the run's start, its step moved by `shift`. */
function movedTo(event: NewEvent, seq: number, shift: number): HistoryEvent {
  const moved = { ...event, seq } as HistoryEvent & { contiguousSince?: number };
  delete moved.contiguousSince;
  if ("activityId" in moved) moved.activityId += shift;
  if ("timerId" in moved) moved.timerId += shift;
  if ("stepId" in moved) moved.stepId += shift;
  return moved;
}

function closedAs(type: "WorkflowCompleted" | "WorkflowFailed" | "WorkflowCanceled" | "WorkflowContinuedAsNew"): string {
  return { WorkflowCompleted: "completed", WorkflowFailed: "failed", WorkflowCanceled: "was canceled", WorkflowContinuedAsNew: "continued as new" }[type];
}

function finishedAs(command: CloseCommand): string {
  switch (command.kind) {
    case "CompleteWorkflow":
      return "completes";
    case "FailWorkflow":
      return `fails (${command.error.name}: ${command.error.message})`;
    case "CancelWorkflow":
      return "ends as canceled";
    case "ContinueAsNew":
      return "continues as new";
  }
}

/** Steps whose command event has a task to be published (the rest are delivered by dfut server). */
export type PendingStep = ActivityScheduled | TimerStarted;

/**
 * One workflow run, driven by its history: events in, commands out. Pure apart from the
 * workflow code it runs; the same events always give the same commands, which is what replay
 * relies on. A worker keeps one per cached workflow and feeds it only new events.
 */
export class WorkflowExecution {
  readonly workflowId: string;
  readonly workflowType: string;
  /** Highest history sequence applied. */
  lastSeq = 0;
  /** Set once a terminal event was applied. */
  closed = false;

  readonly queue: string;
  readonly #fn: WorkflowFunction;
  readonly #maxPayload: number | undefined;
  readonly #onStray: ((error: NonDeterminismError) => void) | undefined;
  readonly #argumentMismatch: "warn" | "fail";
  readonly #onWarning: ((message: string) => void) | undefined;
  readonly #captureLocations: boolean;
  #applying = false;
  readonly #random: () => number;
  #now: Date;
  #started = false;
  #nextStep: number;
  readonly #firstStep: number;
  /** Steps whose cancellation (future.cancel()) the history holds. */
  readonly #cancelsRecorded = new Set<number>();
  readonly #steps = new Map<number, Step>();
  readonly #recorded = new Map<number, RecordedStep>();
  readonly #commands: Command[] = [];
  #terminal: CloseCommand | undefined;
  #terminalRecorded = false;
  #fatal: Error | undefined;
  #cancelReason: string | undefined;
  readonly #signalBuffer = new Map<string, unknown[]>();
  /** Patches the history holds (applied, or later in the batch being applied). */
  readonly #patchesInHistory = new Set<string>();
  readonly #patchesRecorded = new Set<string>();
  /** What ctx.patched answered, per patch: the same for the whole run. */
  readonly #patchDecisions = new Map<string, boolean>();
  #replaying = false;
  #conditions: { predicate: () => boolean; future: DurableFuture<boolean> }[] = [];
  readonly #signalWaiters = new Map<string, DurableFuture<unknown>[]>();
  readonly #signalHandlers = new Map<string, (payload: unknown) => unknown>();
  readonly #queryHandlers = new Map<string, (...args: unknown[]) => unknown>();
  readonly #updateHandlers = new Map<string, UpdateHandler>();
  /** Updates the history accepted, and the outcome of those it completed. */
  readonly #updatesAccepted = new Set<string>();
  readonly #updatesCompleted = new Map<string, UpdateOutcome>();
  /** Set while a query handler or an update validator runs: they may read, never schedule. */
  #readOnly: string | undefined;
  #scope: DeterministicScope | undefined;

  private readonly started: WorkflowStarted;
  constructor(
    workflowId: string,
    fn: WorkflowFunction,
    started: WorkflowStarted,
    options: ExecutionOptions = {},
  ) {
    this.#maxPayload = options.maxPayload;
    this.#onStray = options.onStray;
    this.#argumentMismatch = options.argumentMismatch ?? "warn";
    this.#onWarning = options.onWarning;
    this.#captureLocations = options.captureLocations === true;
    this.started = started;
    this.workflowId = workflowId;
    this.workflowType = started.workflowType;
    this.#fn = fn;
    this.queue = started.queue;
    this.#random = seededRandom(workflowId);
    this.#now = new Date(started.time);
    this.#firstStep = started.firstStep ?? 1;
    this.#nextStep = this.#firstStep;
    for (const signal of started.signals ?? []) this.#buffer(signal.name, signal.payload);
    for (const prior of started.reset?.events ?? []) if (prior.type === "PatchMarked") this.#patchesInHistory.add(prior.patchId);
  }

  /** The run's id: the sequence of its WorkflowStarted. */
  get runId(): string {
    return String(this.started.seq);
  }

  get parent(): ParentRef | undefined {
    return this.started.parent;
  }

  /** What the start's interceptors recorded (a trace context). */
  get headers(): Readonly<Record<string, string>> {
    return this.started.headers ?? {};
  }

  /**
   * Applies new events in history order and returns the commands the code produced that the
   * history does not hold yet. Throws NonDeterminismError when code and history disagree.
   */
  async apply(events: HistoryEvent[]): Promise<Command[]> {
    this.#applying = true;
    const fresh = events.filter((e) => e.seq > this.lastSeq);
    // A patch recorded later in this batch counts for code that asks before reaching it.
    for (const event of fresh) if (event.type === "PatchMarked") this.#patchesInHistory.add(event.patchId);
    try {
      for (const [i, event] of fresh.entries()) {
        this.lastSeq = event.seq;
        if (this.closed) continue;
        // Code that runs for an event with more history after it is replaying what happened.
        this.#replaying = i < fresh.length - 1;
        await this.#applyOne(event);
        if (this.#fatal) throw this.#fatal;
      }
      return this.#takeCommands();
    } finally {
      this.#applying = false;
      this.#replaying = false;
    }
  }

  /**
   * Workflow code that awaited something other than dfut's futures (a real timer, I/O) goes on
   * after its task ended; what it asks for then would never be recorded, and the workflow would
   * wait forever without a word. Say so instead.
   */
  #strayed(what: string): Error {
    const error = new NonDeterminismError(
      `workflow ${this.workflowType} ${what} outside a workflow task: workflow code must await only what ctx gives it ` +
        `(ctx.sleep instead of setTimeout, activities for I/O)`,
    );
    if (this.#fatal) return this.#fatal;
    this.#fatal = error;
    // Reporting does I/O: not as workflow code, whose timers and fetch the guard refuses.
    outsideWorkflowCode(() => this.#onStray?.(error));
    return error;
  }

  /** Command events are matched to the code's steps; input events answer them, one at a time. */
  async #applyOne(event: HistoryEvent): Promise<void> {
    switch (event.type) {
      case "WorkflowStarted":
        // A later run's start: this run is over (readers cut runs, so only a stale read gets here).
        if (event.seq !== this.started.seq) {
          this.closed = true;
          return;
        }
        return this.#startWithPrefix(event);
      case "ActivityScheduled":
        return this.#record(event.activityId, { kind: "activity", label: event.activityType, seq: event.seq, event });
      case "TimerStarted":
        return this.#record(event.timerId, { kind: "timer", label: "timer", seq: event.seq, event });
      case "ChildWorkflowScheduled":
        return this.#record(event.stepId, { kind: "child", label: event.workflowType, seq: event.seq, event });
      case "ChildWorkflowSignaled":
        return this.#record(event.stepId, { kind: "signal", label: event.name, seq: event.seq, event });
      case "StepCanceled":
        this.#cancelsRecorded.add(event.stepId);
        return;
      case "UpdateAccepted":
        if (this.#updatesAccepted.has(event.updateId)) return;
        this.#updatesAccepted.add(event.updateId);
        return this.#input(event, () => this.#runUpdate(event.updateId, event.name, event.args));
      case "UpdateCompleted":
        this.#updatesCompleted.set(event.updateId, event.error ? { ok: false, error: event.error } : { ok: true, result: event.result ?? null });
        return;
      case "ChildWorkflowStarted":
        return this.#input(event, () => this.#stepFor(event.stepId, event.seq)?.child?.started.resolve(event.childRunId));
      case "ChildWorkflowStartFailed":
        return this.#input(event, () => {
          const step = this.#stepFor(event.stepId, event.seq);
          if (!step) return;
          if (step.child) step.child.closed = true;
          const failure = new ChildWorkflowFailure(step.label, event.childWorkflowId, "not-started", event.error);
          step.child?.started.reject(failure);
          step.future.reject(failure);
        });
      case "ChildWorkflowClosed":
        return this.#input(event, () => {
          const step = this.#stepFor(event.stepId, event.seq);
          if (!step) return;
          // A child that closes before its start was applied (a redelivered start): started too.
          step.child?.started.resolve(event.childRunId);
          if (step.child) step.child.closed = true;
          if (event.status === "completed") step.future.resolve(event.result ?? null);
          else {
            const error = event.error ?? { name: "Error", message: `the child workflow was ${event.status}` };
            step.future.reject(new ChildWorkflowFailure(step.label, event.childWorkflowId, event.status, error));
          }
        });
      case "WorkflowCompleted":
      case "WorkflowFailed":
      case "WorkflowCanceled":
      case "WorkflowContinuedAsNew":
        this.#checkClose(event);
        this.#terminalRecorded = true;
        this.closed = true;
        return;
      case "WorkflowTerminated":
        this.#terminalRecorded = true;
        this.closed = true;
        return;
      case "ActivityStarted":
      case "WorkflowTaskFailed":
        return;
      case "PatchMarked":
        this.#patchesRecorded.add(event.patchId);
        this.#patchesInHistory.add(event.patchId);
        return;
      case "Undecodable":
        this.#fatal ??= new UndecodableEventError(
          `${undecodableProblem(event)}; the workflow cannot go on past it. Repair or delete that message and signal the workflow, ` +
            `or end it with 'dfut terminate ${this.workflowId}'`,
          event.seq,
        );
        return;
      case "ActivityCompleted":
        return this.#input(event, () => this.#stepFor(event.activityId, event.seq)?.future.resolve(event.result));
      case "ActivityFailed":
        // A retry follows: nothing for the code yet.
        if (event.willRetry) return;
        return this.#input(event, () => {
          const step = this.#stepFor(event.activityId, event.seq);
          step?.future.reject(new ActivityFailure(step.label, event.activityId, event.attempt, event.error));
        });
      case "TimerFired":
        return this.#input(event, () => this.#stepFor(event.timerId, event.seq)?.future.resolve(undefined));
      case "SignalReceived":
        return this.#input(event, () => this.#deliverSignal(event.name, event.payload));
      case "CancelRequested":
        return this.#input(event, () => {
          if (this.#cancelReason !== undefined) return;
          this.#cancelReason = event.reason;
          this.#cancelPending();
        });
      default:
        return unhandled(event);
    }
  }

  /** A signal goes to its handler (ctx.onSignal), else to a waiter or the buffer. */
  #deliverSignal(name: string, payload: unknown): void {
    const handler = this.#signalHandlers.get(name);
    if (handler) this.#asWorkflowCode(() => this.#callSignalHandler(handler, payload));
    else this.#buffer(name, payload);
  }

  /** A signal handler that throws (or rejects) fails the workflow, as its code would. */
  #callSignalHandler(handler: (payload: unknown) => unknown, payload: unknown): void {
    let result: unknown;
    try {
      result = handler(payload);
    } catch (error) {
      this.#finish({ ok: false, error });
      return;
    }
    Promise.resolve(result).catch((error: unknown) => this.#finish({ ok: false, error }));
  }

  /**
   * Starts the code; a reset run then replays the earlier run's events it carries, as its own
   * history: at this run's start sequence, with step ordinals moved to this run's.
   */
  async #startWithPrefix(event: WorkflowStarted): Promise<void> {
    const prefix = this.started.reset?.events ?? [];
    const replaying = this.#replaying;
    this.#replaying = replaying || prefix.length > 0;
    await this.#input(event, () => this.#start());
    const shift = this.#firstStep - (this.started.reset?.firstStep ?? this.#firstStep);
    for (const [i, prior] of prefix.entries()) {
      if (this.closed) break;
      this.#replaying = replaying || i < prefix.length - 1;
      await this.#applyOne(movedTo(prior, event.seq, shift));
    }
    this.#replaying = replaying;
  }

  /** Hands a signal to the code's first waiter for it, or keeps it for a later waitForSignal. */
  #buffer(name: string, payload: unknown): void {
    const waiters = this.#signalWaiters.get(name);
    let waiter = waiters?.shift();
    while (waiter?.settled) waiter = waiters?.shift();
    if (waiter) waiter.resolve(payload);
    else this.#signalBuffer.set(name, [...(this.#signalBuffer.get(name) ?? []), payload]);
  }

  /** Signals received and not taken yet, in order: what a continued run starts with. */
  #carriedSignals(): CarriedSignal[] {
    return [...this.#signalBuffer.entries()].flatMap(([name, payloads]) => payloads.map((payload) => ({ name, payload })));
  }

  /**
   * Gives the code one input at the event's time, then lets it run until every branch waits (a
   * setImmediate boundary), so that live execution and replay pass through the same states.
   */
  async #input(event: HistoryEvent, deliver: () => void): Promise<void> {
    this.#now = new Date(event.time);
    deliver();
    await flush();
    await this.#settleConditions();
  }

  /**
   * After each input, once the code waits again: every ctx.condition whose predicate now holds
   * resolves, and the code runs on until it waits again; repeated while that makes more hold.
   * Replay passes through the same points, so it resolves the same conditions in the same order.
   */
  async #settleConditions(): Promise<void> {
    if (this.#conditions.length === 0) return;
    for (;;) {
      const ready = this.#conditions.filter((c) => !c.future.settled && c.predicate());
      if (ready.length === 0) break;
      for (const c of ready) c.future.resolve(true);
      await flush();
    }
    this.#conditions = this.#conditions.filter((c) => !c.future.settled);
  }

  #condition(predicate: () => boolean, timeoutMs?: number): DurableFuture<boolean> {
    if (typeof predicate !== "function") throw new TypeError("ctx.condition needs a function that returns a boolean");
    const future = new DurableFuture<boolean>();
    if (predicate()) {
      future.resolve(true);
      return future;
    }
    this.#conditions.push({ predicate, future });
    if (timeoutMs !== undefined) {
      const timer = this.#timer(timeoutMs, "ctx.condition");
      void timer.then(
        () => future.resolve(false),
        (error: unknown) => future.reject(error),
      );
      future.onCancel(() => timer.cancel());
    }
    return future;
  }

  /** A durable timer step firing `ms` after the current event's time. */
  #timer(ms: number, what: string): DurableFuture<unknown> {
    if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) {
      throw new TypeError(`${what} needs a duration in ms >= 0, got ${String(ms)}`);
    }
    const { id, future } = this.#newStep("timer", "timer");
    const fireAt = new Date(this.#now.getTime() + ms).toISOString();
    this.#commands.push({ kind: "StartTimer", timerId: id, fireAt });
    return future;
  }

  #stepFor(id: number, seq: number): Step | undefined {
    // An answer to a step of an earlier run (an activity still running when it continued as new).
    if (id < this.#firstStep) return undefined;
    const step = this.#steps.get(id);
    if (!step) {
      this.#fatal ??= new NonDeterminismError(`history event seq ${seq} answers step #${id}, but the workflow code never reached step #${id}`, {
        seq,
        recorded: `an answer to step #${id}`,
        produced: this.#terminal ? "the workflow finished before it" : "nothing: the code waits on other steps",
      });
    }
    return step;
  }

  #cancelPending(): void {
    const error = new CanceledError(this.#cancelReason ?? "");
    for (const step of this.#steps.values()) {
      step.child?.started.reject(error);
      step.future.reject(error);
    }
    for (const waiters of this.#signalWaiters.values()) for (const w of waiters) w.reject(error);
    this.#signalWaiters.clear();
    for (const c of this.#conditions) c.future.reject(error);
    this.#conditions = [];
  }

  #record(id: number, recorded: RecordedStep): void {
    this.#recorded.set(id, recorded);
    const produced = this.#steps.get(id);
    if (!produced) {
      this.#fatal ??= new NonDeterminismError(
        `history records ${describe(recorded)} as step #${id} (event seq ${recorded.seq}), but the workflow code did not schedule it`,
        { seq: recorded.seq, recorded: describe(recorded), produced: this.#terminal ? `no step: the workflow ${finishedAs(this.#terminal)}` : "no step there" },
      );
    } else this.#check(id, produced, recorded);
  }

  #check(id: number, produced: Step, recorded: RecordedStep): void {
    if (produced.kind !== recorded.kind || produced.label !== recorded.label) {
      this.#fatal ??= new NonDeterminismError(
        `step #${id}: history records ${describe(recorded)} (event seq ${recorded.seq}) but the workflow code now schedules ${describe(produced)}`,
        { seq: recorded.seq, recorded: describe(recorded), produced: describe(produced), location: produced.location },
      );
      return;
    }
    if (recorded.event.type === "ChildWorkflowScheduled" && produced.child && produced.child.workflowId !== recorded.event.childWorkflowId) {
      this.#fatal ??= new NonDeterminismError(
        `step #${id}: history records child workflow ${recorded.label} with id ${recorded.event.childWorkflowId} (event seq ${recorded.seq}) ` +
          `but the workflow code now starts it with id ${produced.child.workflowId}`,
        {
          seq: recorded.seq,
          recorded: `child workflow ${recorded.label} ${recorded.event.childWorkflowId}`,
          produced: `child workflow ${produced.label} ${produced.child.workflowId}`,
          location: produced.location,
        },
      );
      return;
    }
    if (recorded.event.type !== "ActivityScheduled" || produced.args === recorded.event.args) return;
    const then = JSON.stringify(recorded.event.args);
    const now = JSON.stringify(produced.args);
    if (then === now) return;
    const message =
      `step #${id}: history records activity ${recorded.label} with arguments ${then} (event seq ${recorded.seq}) ` +
      `but the workflow code now passes ${now}`;
    if (this.#argumentMismatch === "fail") {
      this.#fatal ??= new NonDeterminismError(message, {
        seq: recorded.seq,
        recorded: `activity ${recorded.label}(${then})`,
        produced: `activity ${produced.label}(${now})`,
        location: produced.location,
      });
    }
    else this.#onWarning?.(`workflow ${this.workflowId}: ${message}; going on with the recorded step`);
  }

  #takeCommands(): Command[] {
    if (this.closed) {
      this.#commands.length = 0;
      return [];
    }
    const out = this.#commands.filter((c) => !this.isRecorded(c));
    this.#commands.length = 0;
    if (this.#terminal && !this.#terminalRecorded) {
      // Children still open when the run closes get their parent close policy from dfut server.
      const openChildren = [...this.#steps.values()].some((s) => s.child && !s.child.closed && s.child.policy !== "abandon");
      out.push(openChildren ? { ...this.#terminal, openChildren: true } : this.#terminal);
    }
    return out;
  }

  /** Whether the history holds the event of this command already. */
  isRecorded(command: Command): boolean {
    switch (command.kind) {
      case "ScheduleActivity":
        return this.#recorded.has(command.activityId);
      case "StartTimer":
        return this.#recorded.has(command.timerId);
      case "StartChild":
      case "SignalChild":
        return this.#recorded.has(command.stepId);
      case "CancelStep":
        return this.#cancelsRecorded.has(command.stepId);
      case "CompleteUpdate":
        return this.#updatesCompleted.has(command.updateId);
      case "MarkPatch":
        return this.#patchesRecorded.has(command.patchId);
      case "CompleteWorkflow":
      case "FailWorkflow":
      case "CancelWorkflow":
      case "ContinueAsNew":
        return this.#terminalRecorded;
    }
  }

  /**
   * A close the code recorded must be what the code does there now: finished the same way, with
   * no step it now takes before finishing (a replay would otherwise drop such a step silently).
   */
  #checkClose(event: HistoryEvent & { type: "WorkflowCompleted" | "WorkflowFailed" | "WorkflowCanceled" | "WorkflowContinuedAsNew" }): void {
    // Closed before any code ran (a cancel of a workflow nobody could run): nothing to compare.
    if (!this.#started || (event.type === "WorkflowCanceled" && this.#cancelReason === undefined && !this.#terminal)) return;
    const expected: Record<typeof event.type, CloseCommand["kind"][]> = {
      WorkflowCompleted: ["CompleteWorkflow"],
      // A result too large to record is recorded as the workflow's failure.
      WorkflowFailed: ["FailWorkflow", "CompleteWorkflow"],
      WorkflowCanceled: ["CancelWorkflow"],
      WorkflowContinuedAsNew: ["ContinueAsNew"],
    };
    const recorded = `the workflow ${closedAs(event.type)}`;
    const extra = this.#commands.find(
      (c): c is Extract<Command, { kind: "ScheduleActivity" | "StartTimer" | "StartChild" }> =>
        (c.kind === "ScheduleActivity" || c.kind === "StartTimer" || c.kind === "StartChild") && !this.isRecorded(c),
    );
    if (extra) {
      const id = extra.kind === "ScheduleActivity" ? extra.activityId : extra.kind === "StartTimer" ? extra.timerId : extra.stepId;
      const step = this.#steps.get(id);
      this.#fatal ??= new NonDeterminismError(
        `history records that ${recorded} (event seq ${event.seq}), but the workflow code now schedules ${step ? describe(step) : `step #${id}`} first`,
        { seq: event.seq, recorded, produced: step ? describe(step) : `step #${id}`, location: step?.location },
      );
      return;
    }
    if (!this.#terminal) {
      this.#fatal ??= new NonDeterminismError(`history records that ${recorded} (event seq ${event.seq}), but the workflow code has not finished there`, {
        seq: event.seq,
        recorded,
        produced: "the code still waits",
      });
      return;
    }
    if (!expected[event.type].includes(this.#terminal.kind)) {
      this.#fatal ??= new NonDeterminismError(
        `history records that ${recorded} (event seq ${event.seq}), but the workflow code now ${finishedAs(this.#terminal)}`,
        { seq: event.seq, recorded, produced: `the workflow ${finishedAs(this.#terminal)}` },
      );
    }
  }

  #refuseReadOnly(what: string): void {
    if (this.#readOnly) throw new ReadOnlyViolation(`${this.#readOnly} cannot ${what}: it may only read the workflow's state`);
  }

  /**
   * Answers a query from the run's state after the events applied so far: the handler runs as
   * workflow code (deterministic clock) but may only read; nothing is recorded.
   */
  query(name: string, args: unknown[]): unknown {
    const handler = this.#queryHandlers.get(name);
    if (!handler) {
      const known = [...this.#queryHandlers.keys()];
      throw new ReadOnlyViolation(
        `workflow ${this.workflowType} has no query handler ${JSON.stringify(name)}` +
          (known.length > 0 ? ` (it has: ${known.join(", ")})` : " (it registers none: ctx.onQuery)"),
      );
    }
    return this.#readOnlyCall(`query handler ${name}`, () => handler(...args));
  }

  /** Whether the history already accepted this update, and its outcome once completed. */
  updateState(updateId: string): { accepted: boolean; outcome?: UpdateOutcome } {
    return { accepted: this.#updatesAccepted.has(updateId), outcome: this.#updatesCompleted.get(updateId) };
  }

  /** Runs an update's validator, read-only; throws what it throws (the update is then refused). */
  validateUpdate(name: string, args: unknown[]): void {
    const registered = this.#updateHandlers.get(name);
    if (!registered) {
      const known = [...this.#updateHandlers.keys()];
      throw new ReadOnlyViolation(
        `workflow ${this.workflowType} has no update handler ${JSON.stringify(name)}` +
          (known.length > 0 ? ` (it has: ${known.join(", ")})` : " (it registers none: ctx.onUpdate)"),
      );
    }
    if (this.closed) throw new ReadOnlyViolation(`workflow ${this.workflowId} is closed: it takes no updates`);
    const { validate } = registered;
    if (validate) this.#readOnlyCall(`the validator of update ${name}`, () => validate(...args));
  }

  #readOnlyCall<T>(what: string, fn: () => T): T {
    this.#readOnly = what;
    try {
      const value = this.#asWorkflowCode(fn);
      if (value && typeof (value as { then?: unknown }).then === "function") {
        throw new ReadOnlyViolation(`${what} returned a promise: it must answer at once, from the workflow's state`);
      }
      return value;
    } finally {
      this.#readOnly = undefined;
    }
  }

  /** An accepted update: its handler runs as workflow code; its outcome becomes UpdateCompleted. */
  #runUpdate(updateId: string, name: string, args: unknown[]): void {
    const complete = (outcome: UpdateOutcome) => {
      if (this.#terminal || this.closed) return;
      if (!this.#applying) {
        this.#strayed(`completed update ${name}`);
        return;
      }
      if (outcome.ok) {
        try {
          assertJsonSerializable(outcome.result, `the result of update ${name}`);
        } catch (err) {
          outcome = { ok: false, error: toErrorInfo(err) };
        }
      }
      this.#commands.push(
        outcome.ok ? { kind: "CompleteUpdate", updateId, result: outcome.result ?? null } : { kind: "CompleteUpdate", updateId, error: outcome.error },
      );
    };
    const registered = this.#updateHandlers.get(name);
    if (!registered) {
      complete({ ok: false, error: { name: "UnknownUpdate", message: `workflow ${this.workflowType} has no update handler ${JSON.stringify(name)}` } });
      return;
    }
    let promise: Promise<unknown>;
    try {
      promise = Promise.resolve(this.#asWorkflowCode(() => registered.handler(...args)));
    } catch (err) {
      promise = Promise.reject(err);
    }
    promise.then(
      (result) => complete({ ok: true, result }),
      (error: unknown) => complete({ ok: false, error: toErrorInfo(error) }),
    );
  }

  /** Recorded steps still waiting for their outcome: what needs a task to make progress. */
  pendingSteps(): PendingStep[] {
    if (this.closed) return [];
    const pending: PendingStep[] = [];
    for (const [id, { event }] of this.#recorded) {
      if (event.type !== "ActivityScheduled" && event.type !== "TimerStarted") continue;
      if (this.#steps.get(id)?.future.settled || this.#cancelsRecorded.has(id)) continue;
      pending.push(event);
    }
    return pending;
  }

  /** Runs a handler the code registered (a signal's, an update's) as workflow code. */
  #asWorkflowCode<T>(fn: () => T): T {
    return runAsWorkflowCode(this.#scope!, fn);
  }

  #start(): void {
    if (this.#started) return;
    this.#started = true;
    const ctx = this.#context();
    let promise: Promise<unknown>;
    try {
      const scope: DeterministicScope = {
        workflowType: this.workflowType,
        now: () => this.#now.getTime(),
        random: () => this.#random(),
        violation: (error) => {
          if (this.#readOnly) throw new ReadOnlyViolation(`${this.#readOnly} ${error.message}`);
          this.#fatal ??= error;
        },
      };
      this.#scope = scope;
      promise = Promise.resolve(runAsWorkflowCode(scope, () => this.#fn(ctx, ...(this.started.args as never[]))));
    } catch (err) {
      promise = Promise.reject(err);
    }
    promise.then(
      (result) => this.#finish({ ok: true, result }),
      (error: unknown) => this.#finish({ ok: false, error }),
    );
  }

  #finish(outcome: { ok: true; result: unknown } | { ok: false; error: unknown }): void {
    if (this.#terminal) return;
    if (!this.#applying) {
      this.#strayed("finished");
      return;
    }
    if (this.#cancelReason !== undefined) {
      const detail = outcome.ok ? outcome.result : toErrorInfo(outcome.error);
      this.#terminal = { kind: "CancelWorkflow", reason: this.#cancelReason, detail };
      return;
    }
    if (!outcome.ok) {
      this.#terminal = { kind: "FailWorkflow", error: toErrorInfo(outcome.error) };
      return;
    }
    try {
      assertJsonSerializable(outcome.result, `the result of workflow ${this.workflowType}`);
      this.#terminal = { kind: "CompleteWorkflow", result: outcome.result ?? null };
    } catch (err) {
      this.#terminal = { kind: "FailWorkflow", error: toErrorInfo(err) };
    }
  }

  #newStep(kind: StepKind, label: string, args?: unknown[], child?: Step["child"]): { id: number; future: DurableFuture<unknown> } {
    this.#refuseReadOnly(`schedule ${describe({ kind, label })}`);
    if (!this.#applying) throw this.#strayed(`scheduled ${describe({ kind, label })}`);
    const id = this.#nextStep++;
    const future = new DurableFuture<unknown>();
    const step: Step = { kind, label, args, future, child };
    if (this.#captureLocations) step.location = userLocation(new Error().stack ?? "");
    this.#steps.set(id, step);
    if (kind !== "signal") future.onCancel(() => this.#cancelStep(id, step));
    const recorded = this.#recorded.get(id);
    if (recorded) this.#check(id, step, recorded);
    return { id, future };
  }

  /**
   * future.cancel(): the step's future rejects with CanceledError now, and StepCanceled is
   * recorded so that its running attempt is aborted (an activity), its firing ignored (a timer)
   * or the child asked to cancel.
   */
  #cancelStep(id: number, step: Step): void {
    this.#refuseReadOnly(`cancel ${describe(step)}`);
    if (!this.#applying) throw this.#strayed(`canceled ${describe(step)}`);
    if (step.future.settled) return;
    const error = new CanceledError("", `${describe(step)} (step #${id}) was canceled by the workflow code`);
    step.child?.started.reject(error);
    step.future.reject(error);
    this.#commands.push({ kind: "CancelStep", stepId: id, ...(step.child ? { childWorkflowId: step.child.workflowId } : {}) });
  }

  #register<T>(table: Map<string, T>, what: string, name: string, value: T): void {
    if (typeof name !== "string" || name.length === 0) throw new TypeError(`${what} needs a name`);
    const fn = typeof value === "function" ? value : (value as { handler?: unknown }).handler;
    if (typeof fn !== "function") throw new TypeError(`${what}(${JSON.stringify(name)}) needs a handler function`);
    table.set(name, value);
  }

  #startChild(workflow: Function | string, options: ChildOptions = {}): Step {
    const workflowType = typeof workflow === "string" ? workflow : nameOf(workflow);
    if (!workflowType) throw new TypeError("executeChild needs a workflow function with a name, or a workflow type name");
    const args = options.args ?? [];
    if (!Array.isArray(args)) throw new TypeError(`the arguments of child workflow ${workflowType} must be an array (options.args)`);
    assertJsonSerializable(args, `the arguments of child workflow ${workflowType}`);
    const stepId = this.#nextStep;
    const childWorkflowId = validateWorkflowId(options.workflowId ?? `${this.workflowId}-${stepId}`);
    const queue = validateQueue(options.queue ?? this.queue);
    const parentClosePolicy = options.parentClosePolicy ?? "terminate";
    if (!["terminate", "request-cancel", "abandon"].includes(parentClosePolicy)) {
      throw new TypeError(`parentClosePolicy must be "terminate", "request-cancel" or "abandon", got ${JSON.stringify(parentClosePolicy)}`);
    }
    const started = new DurableFuture<string>();
    const { id } = this.#newStep("child", workflowType, args, { workflowId: childWorkflowId, started, policy: parentClosePolicy, closed: false });
    this.#commands.push({ kind: "StartChild", runId: this.runId, stepId: id, childWorkflowId, workflowType, args, queue, parentClosePolicy });
    return this.#steps.get(id)!;
  }

  #childHandle<R>(step: Step, runId: string): ChildWorkflowHandle<R> {
    const exec = this;
    const child = step.child!;
    return {
      workflowId: child.workflowId,
      runId,
      result: () => step.future as DurableFuture<R>,
      signal: (name: string, payload?: unknown) => exec.#signalChild(child.workflowId, name, payload),
      cancel: () => step.future.cancel(),
    };
  }

  #signalChild(childWorkflowId: string, name: string, payload: unknown): DurableFuture<void> {
    if (typeof name !== "string" || name.length === 0) throw new TypeError("a signal needs a name");
    assertJsonSerializable(payload, `the payload of signal ${name}`);
    const { id, future } = this.#newStep("signal", name);
    this.#commands.push({ kind: "SignalChild", stepId: id, childWorkflowId, name, payload: payload ?? null });
    // Delivered by dfut server once recorded; nothing to wait for in the code.
    future.resolve(undefined);
    return future as DurableFuture<void>;
  }

  #continueAsNew(args: unknown[]): DurableFuture<never> {
    this.#refuseReadOnly("continue as new");
    if (!this.#applying) throw this.#strayed("continued as new");
    assertJsonSerializable(args, `the arguments of the next run of ${this.workflowType}`);
    this.#terminal ??= {
      kind: "ContinueAsNew",
      runId: this.runId,
      workflowType: this.workflowType,
      args,
      queue: this.queue,
      firstStep: this.#nextStep,
      ...(this.started.parent ? { parent: this.started.parent } : {}),
      carried: () => this.#carriedSignals(),
    };
    // The run ends here: the code never goes on past this await.
    return new DurableFuture<never>();
  }

  /**
   * Whether this run takes the new branch of a change: yes when its history records the patch,
   * or when the code asks live (not while replaying older history), which records it; no when
   * replaying a history from before the change. The answer holds for the whole run.
   */
  #patched(patchId: string, deprecated: boolean): boolean {
    this.#refuseReadOnly(`ask for patch ${patchId}`);
    if (typeof patchId !== "string" || patchId.length === 0) throw new TypeError("ctx.patched needs a patch id, a non-empty string");
    if (!this.#applying) throw this.#strayed(`asked for patch ${patchId}`);
    const known = this.#patchDecisions.get(patchId);
    if (known !== undefined) return known;
    let decision = this.#patchesInHistory.has(patchId);
    if (!decision && !this.#replaying) {
      this.#commands.push({ kind: "MarkPatch", patchId, deprecated });
      decision = true;
    }
    this.#patchDecisions.set(patchId, decision);
    return decision;
  }

  #scheduleActivity(activity: Function | string, args: unknown[], callOptions?: ActivityOptionsInput): DurableFuture<unknown> {
    const activityType = typeof activity === "string" ? activity : nameOf(activity);
    if (!activityType) throw new TypeError("executeActivity needs an activity function with a name, or an activity type name");
    assertJsonSerializable(args, `the arguments of activity ${activityType}`);
    const defaults = typeof activity === "function" ? activityDefaults(activity) : undefined;
    const options = resolveActivityOptions(this.queue, defaults, callOptions);
    const command: Command = { kind: "ScheduleActivity", activityId: this.#nextStep, activityType, args, options };
    if (this.#maxPayload) {
      assertFits(encodeJson(commandToEvent(command, this.#now.toISOString())), this.#maxPayload, `the arguments of activity ${activityType}`);
    }
    const { future } = this.#newStep("activity", activityType, args);
    this.#commands.push(command);
    return future;
  }

  #context(): WorkflowContext {
    const exec = this;
    const runner = (options?: ActivityOptionsInput): ActivityRunner => ({
      executeActivity: ((activity: Function | string, ...args: unknown[]) =>
        exec.#scheduleActivity(activity, args, options)) as ActivityRunner["executeActivity"],
    });
    const base = runner();
    return {
      workflowId: this.workflowId,
      workflowType: this.workflowType,
      get runId() {
        return exec.runId;
      },
      get parent() {
        return exec.started.parent && { workflowId: exec.started.parent.workflowId, runId: exec.started.parent.runId };
      },
      executeActivity: base.executeActivity,
      withOptions: (options) => runner(options),
      sleep: (ms: number) => exec.#timer(ms, "ctx.sleep") as DurableFuture<void>,
      condition: (predicate: () => boolean, timeoutMs?: number) => exec.#condition(predicate, timeoutMs),
      waitForSignal: <T>(name: string) => {
        const future = new DurableFuture<T>();
        const buffered = exec.#signalBuffer.get(name);
        if (buffered && buffered.length > 0) {
          future.resolve(buffered.shift() as T);
          if (buffered.length === 0) exec.#signalBuffer.delete(name);
        } else exec.#signalWaiters.set(name, [...(exec.#signalWaiters.get(name) ?? []), future as DurableFuture<unknown>]);
        future.onCancel(() => future.reject(new CanceledError("", `waiting for signal ${name} was canceled by the workflow code`)));
        return future;
      },
      executeChild: ((workflow: Function | string, options?: ChildOptions) => exec.#startChild(workflow, options).future) as WorkflowContext["executeChild"],
      startChild: ((workflow: Function | string, options?: ChildOptions) => {
        const step = exec.#startChild(workflow, options);
        const handle = new DurableFuture<ChildWorkflowHandle<unknown>>();
        step.child!.started.then(
          (runId) => handle.resolve(exec.#childHandle(step, runId)),
          (error: unknown) => handle.reject(error),
        );
        handle.onCancel(() => step.future.cancel());
        return handle;
      }) as WorkflowContext["startChild"],
      continueAsNew: (...args: unknown[]) => exec.#continueAsNew(args),
      onQuery: (name: string, handler: (...args: never[]) => unknown) => exec.#register(exec.#queryHandlers, "ctx.onQuery", name, handler),
      onUpdate: (name: string, handler: (...args: never[]) => unknown, options?: { validate?: (...args: never[]) => unknown }) => {
        if (options?.validate !== undefined && typeof options.validate !== "function") throw new TypeError(`the validator of update ${name} must be a function`);
        exec.#register(exec.#updateHandlers, "ctx.onUpdate", name, {
          handler: handler as UpdateHandler["handler"],
          ...(options?.validate ? { validate: options.validate as UpdateHandler["validate"] } : {}),
        });
      },
      onSignal: (name: string, handler: (payload: never) => unknown) => {
        exec.#register(exec.#signalHandlers, "ctx.onSignal", name, handler as (payload: unknown) => unknown);
        // Signals that came before the handler: to it now, in order.
        const buffered = exec.#signalBuffer.get(name) ?? [];
        exec.#signalBuffer.delete(name);
        for (const payload of buffered) exec.#callSignalHandler(handler as (payload: unknown) => unknown, payload);
      },
      patched: (patchId: string) => exec.#patched(patchId, false),
      deprecatePatch: (patchId: string) => {
        exec.#patched(patchId, true);
      },
      now: () => new Date(exec.#now.getTime()),
      random: () => exec.#random(),
      uuid: () => uuidFrom(exec.#random),
      get cancelRequested() {
        return exec.#cancelReason !== undefined;
      },
    };
  }
}

/** The event that records a command. */
export function commandToEvent(command: Command, time: string): NewEvent {
  switch (command.kind) {
    case "ScheduleActivity":
      return {
        type: "ActivityScheduled",
        time,
        activityId: command.activityId,
        activityType: command.activityType,
        args: command.args,
        options: command.options,
      };
    case "StartTimer":
      return { type: "TimerStarted", time, timerId: command.timerId, fireAt: command.fireAt };
    case "StartChild": {
      const { kind: _kind, ...fields } = command;
      return { type: "ChildWorkflowScheduled", time, ...fields };
    }
    case "SignalChild":
      return {
        type: "ChildWorkflowSignaled",
        time,
        stepId: command.stepId,
        childWorkflowId: command.childWorkflowId,
        name: command.name,
        payload: command.payload,
      };
    case "CancelStep":
      return { type: "StepCanceled", time, stepId: command.stepId, ...(command.childWorkflowId ? { childWorkflowId: command.childWorkflowId } : {}) };
    case "CompleteWorkflow":
      return { type: "WorkflowCompleted", time, result: command.result, ...openChildren(command) };
    case "FailWorkflow":
      return { type: "WorkflowFailed", time, error: command.error, ...openChildren(command) };
    case "CancelWorkflow":
      return { type: "WorkflowCanceled", time, reason: command.reason, ...openChildren(command) };
    case "ContinueAsNew": {
      const { kind: _kind, carried, ...fields } = command;
      const signals = carried();
      return { type: "WorkflowContinuedAsNew", time, ...fields, ...(signals.length > 0 ? { signals } : {}) };
    }
    case "MarkPatch":
      return { type: "PatchMarked", time, patchId: command.patchId, ...(command.deprecated ? { deprecated: true } : {}) };
    case "CompleteUpdate":
      return {
        type: "UpdateCompleted",
        time,
        updateId: command.updateId,
        ...(command.error ? { error: command.error } : { result: command.result ?? null }),
      };
  }
}

function openChildren(command: { openChildren?: boolean }): { openChildren?: true } {
  return command.openChildren ? { openChildren: true } : {};
}

/** Commands that close the run. */
export function isCloseCommand(command: Command): boolean {
  return (
    command.kind === "CompleteWorkflow" ||
    command.kind === "FailWorkflow" ||
    command.kind === "CancelWorkflow" ||
    command.kind === "ContinueAsNew"
  );
}

/**
 * A stable id per command, so a retried append is stored once. Step ordinals go on across the
 * runs of a workflow id; patches and the close are once per run.
 */
export function commandMsgId(workflowId: string, runId: string, command: Command): string {
  switch (command.kind) {
    case "ScheduleActivity":
      return eventMsgIds.step(workflowId, command.activityId);
    case "StartTimer":
      return eventMsgIds.step(workflowId, command.timerId);
    case "StartChild":
    case "SignalChild":
      return eventMsgIds.step(workflowId, command.stepId);
    case "CancelStep":
      return eventMsgIds.stepCanceled(workflowId, command.stepId);
    case "MarkPatch":
      return eventMsgIds.patch(workflowId, runId, command.patchId);
    case "CompleteUpdate":
      return eventMsgIds.updateCompleted(workflowId, command.updateId);
    case "CompleteWorkflow":
    case "FailWorkflow":
    case "CancelWorkflow":
    case "ContinueAsNew":
      return eventMsgIds.close(workflowId, runId);
    default:
      return unhandled(command);
  }
}

import {
  unhandled,
  type ActivityOptions,
  type ActivityScheduled,
  type ErrorInfo,
  type HistoryEvent,
  type NewEvent,
  type TimerStarted,
  type WorkflowStarted,
} from "../common/events.ts";
import { ActivityFailure, CanceledError, NonDeterminismError, UndecodableEventError, toErrorInfo } from "../common/errors.ts";
import { undecodableProblem } from "../common/event-codec.ts";
import { eventMsgIds } from "../common/msg-ids.ts";
import { outsideWorkflowCode, runAsWorkflowCode, type DeterministicScope } from "./determinism.ts";
import { assertFits, assertJsonSerializable, encodeJson } from "../common/payload.ts";
import { resolveActivityOptions, type ActivityOptionsInput } from "../common/options.ts";
import type { ActivityRunner, WorkflowContext } from "./context.ts";
import { activityDefaults, nameOf, type WorkflowFunction } from "./definitions.ts";
import { DurableFuture } from "./future.ts";
import { seededRandom, uuidFrom } from "./random.ts";

/** What the workflow code asked for, to be recorded as events. */
export type Command =
  | { kind: "ScheduleActivity"; activityId: number; activityType: string; args: unknown[]; options: ActivityOptions }
  | { kind: "StartTimer"; timerId: number; fireAt: string }
  | { kind: "CompleteWorkflow"; result: unknown }
  | { kind: "FailWorkflow"; error: ErrorInfo }
  | { kind: "CancelWorkflow"; reason: string; detail?: unknown }
  | { kind: "MarkPatch"; patchId: string; deprecated: boolean };

type StepKind = "activity" | "timer";
interface Step {
  kind: StepKind;
  /** Activity type, or "timer". */
  label: string;
  /** An activity's arguments as the code passed them. */
  args?: unknown[];
  future: DurableFuture<unknown>;
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
}
interface RecordedStep {
  kind: StepKind;
  label: string;
  seq: number;
  event: ActivityScheduled | TimerStarted;
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

function describe(step: { kind: StepKind; label: string }): string {
  return step.kind === "timer" ? "a timer" : `activity ${step.label}`;
}

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
  #applying = false;
  readonly #random: () => number;
  #now: Date;
  #started = false;
  #nextStep = 1;
  readonly #steps = new Map<number, Step>();
  readonly #recorded = new Map<number, RecordedStep>();
  readonly #commands: Command[] = [];
  #terminal: Command | undefined;
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
    this.started = started;
    this.workflowId = workflowId;
    this.workflowType = started.workflowType;
    this.#fn = fn;
    this.queue = started.queue;
    this.#random = seededRandom(workflowId);
    this.#now = new Date(started.time);
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
  #strayed(what: string): NonDeterminismError {
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
        return this.#input(event, () => this.#start());
      case "ActivityScheduled":
        return this.#record(event.activityId, { kind: "activity", label: event.activityType, seq: event.seq, event });
      case "TimerStarted":
        return this.#record(event.timerId, { kind: "timer", label: "timer", seq: event.seq, event });
      case "WorkflowCompleted":
      case "WorkflowFailed":
      case "WorkflowCanceled":
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
        return this.#input(event, () => {
          const waiter = this.#signalWaiters.get(event.name)?.shift();
          if (waiter) waiter.resolve(event.payload);
          else this.#signalBuffer.set(event.name, [...(this.#signalBuffer.get(event.name) ?? []), event.payload]);
        });
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
    const step = this.#steps.get(id);
    if (!step) {
      this.#fatal ??= new NonDeterminismError(
        `history event seq ${seq} answers step #${id}, but the workflow code never reached step #${id}`,
      );
    }
    return step;
  }

  #cancelPending(): void {
    const error = new CanceledError(this.#cancelReason ?? "");
    for (const step of this.#steps.values()) step.future.reject(error);
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
      );
    } else this.#check(id, produced, recorded);
  }

  #check(id: number, produced: Step, recorded: RecordedStep): void {
    if (produced.kind !== recorded.kind || produced.label !== recorded.label) {
      this.#fatal ??= new NonDeterminismError(
        `step #${id}: history records ${describe(recorded)} (event seq ${recorded.seq}) but the workflow code now schedules ${describe(produced)}`,
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
    if (this.#argumentMismatch === "fail") this.#fatal ??= new NonDeterminismError(message);
    else this.#onWarning?.(`workflow ${this.workflowId}: ${message}; going on with the recorded step`);
  }

  #takeCommands(): Command[] {
    if (this.closed) {
      this.#commands.length = 0;
      return [];
    }
    const out = this.#commands.filter((c) => {
      if (c.kind === "ScheduleActivity") return !this.#recorded.has(c.activityId);
      if (c.kind === "StartTimer") return !this.#recorded.has(c.timerId);
      if (c.kind === "MarkPatch") return !this.#patchesRecorded.has(c.patchId);
      return false;
    });
    this.#commands.length = 0;
    if (this.#terminal && !this.#terminalRecorded) out.push(this.#terminal);
    return out;
  }

  /** Whether the history holds the event of this command already. */
  isRecorded(command: Command): boolean {
    switch (command.kind) {
      case "ScheduleActivity":
        return this.#recorded.has(command.activityId);
      case "StartTimer":
        return this.#recorded.has(command.timerId);
      case "MarkPatch":
        return this.#patchesRecorded.has(command.patchId);
      case "CompleteWorkflow":
      case "FailWorkflow":
      case "CancelWorkflow":
        return this.#terminalRecorded;
    }
  }

  /** Recorded steps still waiting for their outcome: what needs a task to make progress. */
  pendingSteps(): (ActivityScheduled | TimerStarted)[] {
    if (this.closed) return [];
    return [...this.#recorded.entries()].filter(([id]) => !this.#steps.get(id)?.future.settled).map(([, r]) => r.event);
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
          this.#fatal ??= error;
        },
      };
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

  #newStep(kind: StepKind, label: string, args?: unknown[]): { id: number; future: DurableFuture<unknown> } {
    if (!this.#applying) throw this.#strayed(`scheduled ${kind === "timer" ? "a timer" : `activity ${label}`}`);
    const id = this.#nextStep++;
    const future = new DurableFuture<unknown>();
    const step: Step = { kind, label, args, future };
    this.#steps.set(id, step);
    const recorded = this.#recorded.get(id);
    if (recorded) this.#check(id, step, recorded);
    return { id, future };
  }

  /**
   * Whether this run takes the new branch of a change: yes when its history records the patch,
   * or when the code asks live (not while replaying older history), which records it; no when
   * replaying a history from before the change. The answer holds for the whole run.
   */
  #patched(patchId: string, deprecated: boolean): boolean {
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
      executeActivity: base.executeActivity,
      withOptions: (options) => runner(options),
      sleep: (ms: number) => exec.#timer(ms, "ctx.sleep") as DurableFuture<void>,
      condition: (predicate: () => boolean, timeoutMs?: number) => exec.#condition(predicate, timeoutMs),
      waitForSignal: <T>(name: string) => {
        const future = new DurableFuture<T>();
        const buffered = exec.#signalBuffer.get(name);
        if (buffered && buffered.length > 0) future.resolve(buffered.shift() as T);
        else exec.#signalWaiters.set(name, [...(exec.#signalWaiters.get(name) ?? []), future as DurableFuture<unknown>]);
        return future;
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
    case "CompleteWorkflow":
      return { type: "WorkflowCompleted", time, result: command.result };
    case "FailWorkflow":
      return { type: "WorkflowFailed", time, error: command.error };
    case "CancelWorkflow":
      return { type: "WorkflowCanceled", time, reason: command.reason };
    case "MarkPatch":
      return { type: "PatchMarked", time, patchId: command.patchId, ...(command.deprecated ? { deprecated: true } : {}) };
  }
}

/** Commands that close the workflow. */
export function isCloseCommand(command: Command): boolean {
  return command.kind === "CompleteWorkflow" || command.kind === "FailWorkflow" || command.kind === "CancelWorkflow";
}

/** A stable id per command, so a retried append is stored once. */
export function commandMsgId(workflowId: string, command: Command): string {
  switch (command.kind) {
    case "ScheduleActivity":
      return eventMsgIds.step(workflowId, command.activityId);
    case "StartTimer":
      return eventMsgIds.step(workflowId, command.timerId);
    case "MarkPatch":
      return eventMsgIds.patch(workflowId, command.patchId);
    case "CompleteWorkflow":
    case "FailWorkflow":
    case "CancelWorkflow":
      return eventMsgIds.close(workflowId);
    default:
      return unhandled(command);
  }
}

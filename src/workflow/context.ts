import type { IdReusePolicy, ParentClosePolicy } from "../common/events.ts";
import type { ActivityOptionsInput } from "../common/options.ts";
import type { WorkflowFunction } from "./definitions.ts";
import type { DurableFuture } from "./future.ts";

/** An activity: a plain async function. */
export type ActivityFunction<A extends unknown[] = never[], R = unknown> = (...args: A) => R | Promise<R>;

type Awaited2<R> = R extends PromiseLike<infer U> ? U : R;

/** Runs activities with the options given, on top of each activity's own defaults. */
export interface ActivityRunner {
  executeActivity<F extends ActivityFunction>(activity: F, ...args: Parameters<F>): DurableFuture<Awaited2<ReturnType<F>>>;
  executeActivity<T = unknown>(activityType: string, ...args: unknown[]): DurableFuture<T>;
}

type ChildResult<W> = W extends WorkflowFunction<infer _A, infer R> ? Awaited2<R> : unknown;
type ChildArgs<W> = W extends WorkflowFunction<infer A, infer _R> ? A : unknown[];

export interface ChildOptions<A extends unknown[] = unknown[]> {
  args?: A;
  /** The child's workflow id; default: the parent's id and the step's number. */
  workflowId?: string;
  /** Task queue of the child; default: the parent's. */
  queue?: string;
  /** What happens to the child when the parent's run closes first. Default "terminate". */
  parentClosePolicy?: ParentClosePolicy;
}

/** A started child workflow, from ctx.startChild. */
export interface ChildWorkflowHandle<R = unknown> {
  readonly workflowId: string;
  readonly runId: string;
  /** The child's result; rejects with ChildWorkflowFailure (its `cause` is the child's failure). */
  result(): DurableFuture<R>;
  /** Sends the child a signal, delivered by dfut server once this step is recorded. */
  signal(name: string, payload?: unknown): DurableFuture<void>;
  /** Asks the child to cancel; its result() rejects with CanceledError. */
  cancel(): void;
}

export type { IdReusePolicy, ParentClosePolicy };

/**
 * What workflow code may use. Everything here is deterministic: on replay it gives the same
 * answers in the same order, which is what lets another process carry a workflow on.
 */
export interface WorkflowContext extends ActivityRunner {
  readonly workflowId: string;
  readonly workflowType: string;
  /** This run's id: runs of one workflow id differ by it (continue-as-new, a new start after a close). */
  readonly runId: string;
  /** The workflow that started this one as its child. */
  readonly parent: { workflowId: string; runId: string } | undefined;
  /**
   * Runs a child workflow and resolves with its result: a workflow of its own (listed,
   * watchable), whose start and close are recorded here. Rejects with ChildWorkflowFailure.
   */
  executeChild<W extends WorkflowFunction | string>(workflow: W, options?: ChildOptions<ChildArgs<W>>): DurableFuture<ChildResult<W>>;
  /** Starts a child workflow; resolves with its handle once it has started. */
  startChild<W extends WorkflowFunction | string>(
    workflow: W,
    options?: ChildOptions<ChildArgs<W>>,
  ): DurableFuture<ChildWorkflowHandle<ChildResult<W>>>;
  /**
   * Ends this run and starts a new run of the same workflow id with these arguments and a fresh
   * history, so that a workflow that loops forever keeps a bounded history. Signals not taken
   * yet go to the new run. Never resolves: `return ctx.continueAsNew(next)`.
   */
  continueAsNew(...args: unknown[]): DurableFuture<never>;
  /**
   * Answers `client.query(workflowId, name, …args)` from the workflow's state, without recording
   * anything: the handler must return at once and may only read (scheduling is refused).
   */
  onQuery<A extends unknown[], R>(name: string, handler: (...args: A) => R): void;
  /**
   * Handles `client.update(workflowId, name, …args)`: `validate` (read-only, throws to refuse)
   * runs before anything is recorded; an accepted update is recorded, and its handler runs as
   * workflow code (it may change state and run activities); its result goes to the caller.
   */
  onUpdate<A extends unknown[], R>(name: string, handler: (...args: A) => R | Promise<R>, options?: { validate?: (...args: A) => void }): void;
  /** Handles every signal of that name (those that came before too), instead of waitForSignal. */
  onSignal<T = unknown>(name: string, handler: (payload: T) => void | Promise<void>): void;
  /** Activity calls with other options: `ctx.withOptions({ retry: { maximumAttempts: 3 } })`. */
  withOptions(options: ActivityOptionsInput): ActivityRunner;
  /** A durable timer: survives restarts of every process. */
  sleep(ms: number): DurableFuture<void>;
  /**
   * Resolves with true once `predicate` holds (checked now, and after every event the code
   * reacts to: a signal, an activity's outcome, a timer), or with false when `timeoutMs` (a
   * durable timer) passes first. The predicate must read only workflow state.
   * `await ctx.condition(() => approvals >= 2, 86_400_000)`.
   */
  condition(predicate: () => boolean, timeoutMs?: number): DurableFuture<boolean>;
  /** Resolves with the payload of the next signal of that name (buffered if it came earlier). */
  waitForSignal<T = unknown>(name: string): DurableFuture<T>;
  /**
   * For changing the code of running workflows: false while replaying a history recorded
   * before the change (the run took the old branch there), true otherwise, recorded in the
   * history: for new runs, for replays of histories that recorded it, and for a run started
   * by older code that reaches this point only now (there is nothing to replay there).
   * `if (ctx.patched("fraud-check")) { new code } else { old code }`.
   */
  patched(patchId: string): boolean;
  /**
   * The cleanup step, once no run of the old branch is left: the code keeps only the new
   * branch, and histories that recorded the patch still replay.
   */
  deprecatePatch(patchId: string): void;
  /** The time of the event being processed: the same on replay. */
  now(): Date;
  /** A deterministic pseudo-random number in [0, 1). */
  random(): number;
  /** A deterministic UUID v4. */
  uuid(): string;
  /** True once cancellation was requested. */
  readonly cancelRequested: boolean;
}

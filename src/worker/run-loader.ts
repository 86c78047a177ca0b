import type { HistoryAccess } from "../common/layout.ts";
import { currentRunOf, readCurrentRun, readHistory } from "../common/history.ts";
import type { HistoryEvent, WorkflowStarted } from "../common/events.ts";
import type { WorkflowTask } from "../common/tasks.ts";
import type { WorkflowFunction } from "../workflow/definitions.ts";
import { WorkflowExecution, type Command, type ExecutionOptions } from "../workflow/execution.ts";

export interface RunLoaderOptions {
  /** Reads only: nothing is appended through it. */
  access: HistoryAccess;
  workflows: ReadonlyMap<string, WorkflowFunction>;
  /** A run no later than the workflow's current one (the execution index's), where cold reads start. */
  runHint?: (workflowId: string) => Promise<string | undefined>;
  /** For every execution it creates; `onStray` is given the execution it concerns. */
  execution: Omit<ExecutionOptions, "onStray"> & { onStray?: (execution: WorkflowExecution, error: Error) => void };
}

/** A run to bring up to date, or why there is none. */
export type Run =
  /** `events`: what to apply to the execution. */
  | { kind: "run"; execution: WorkflowExecution; fresh: boolean; events: HistoryEvent[] }
  | { kind: "no-history" }
  | { kind: "missing-type"; workflowType: string };

/**
 * Brings executions up to date with their history, without appending anything: the read side of
 * a workflow task, and all a read-only replay needs.
 */
export class RunLoader {
  readonly #options: RunLoaderOptions;

  constructor(options: RunLoaderOptions) {
    this.#options = options;
  }

  /**
   * The events a run has not seen, up to the task's. A new workflow's first task carries its
   * WorkflowStarted, which nothing can precede, and an outcome that proves its contiguity needs
   * nothing else: no read at all. Otherwise read the tail; an event after the task's is caught
   * by the fence when commands are appended.
   */
  async newEvents(task: WorkflowTask, cached: WorkflowExecution | undefined): Promise<HistoryEvent[]> {
    const { event } = task;
    if (!cached && event?.type === "WorkflowStarted") return [event];
    if (cached && event && "contiguousSince" in event && event.contiguousSince === cached.lastSeq) return [event];
    if (cached) return readHistory(this.#options.access, task.workflowId, cached.lastSeq, task.seq);
    return this.#currentRun(task.workflowId);
  }

  async #currentRun(workflowId: string): Promise<HistoryEvent[]> {
    const hint = await this.#options.runHint?.(workflowId).catch(() => undefined);
    return readCurrentRun(this.#options.access, workflowId, hint);
  }

  /**
   * The cached run, or a new one for the history that starts with `events`. Events that hold a
   * later run's start (the cached run closed and the id started again) are a new run from there.
   */
  run(workflowId: string, cached: WorkflowExecution | undefined, events: HistoryEvent[]): Run {
    if (cached && !events.some((e) => e.type === "WorkflowStarted" && e.seq > cached.lastSeq)) {
      return { kind: "run", execution: cached, fresh: false, events };
    }
    const run = currentRunOf(events);
    const [started] = run;
    if (started?.type !== "WorkflowStarted") return { kind: "no-history" };
    const created = this.create(workflowId, started);
    return created ? { kind: "run", execution: created, fresh: true, events: run } : { kind: "missing-type", workflowType: started.workflowType };
  }

  /** A new execution of a started workflow; undefined when this worker does not have its type. */
  create(workflowId: string, started: WorkflowStarted): WorkflowExecution | undefined {
    const fn = this.#options.workflows.get(started.workflowType);
    if (!fn) return undefined;
    const { onStray, ...options } = this.#options.execution;
    const execution: WorkflowExecution = new WorkflowExecution(workflowId, fn, started, {
      ...options,
      onStray: onStray && ((error) => onStray(execution, error)),
    });
    return execution;
  }

  /**
   * Read-only replay: the run rebuilt from its whole history, and the commands its code would
   * record next. Nothing is appended or published.
   */
  async replay(workflowId: string): Promise<{ kind: "replayed"; execution: WorkflowExecution; commands: Command[] } | Exclude<Run, { kind: "run" }>> {
    const events = await this.#currentRun(workflowId);
    const run = this.run(workflowId, undefined, events);
    if (run.kind !== "run") return run;
    return { kind: "replayed", execution: run.execution, commands: await run.execution.apply(run.events) };
  }
}

import type { WorkflowExecution } from "../workflow/execution.ts";

/** Executions kept in memory between tasks; the least recently used goes first. */
export class RunCache {
  readonly #runs = new Map<string, WorkflowExecution>();
  readonly #capacity: number;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#runs.size;
  }

  get(workflowId: string): WorkflowExecution | undefined {
    return this.#runs.get(workflowId);
  }

  remember(execution: WorkflowExecution): void {
    this.#runs.delete(execution.workflowId);
    this.#runs.set(execution.workflowId, execution);
    if (this.#runs.size > this.#capacity) {
      const oldest = this.#runs.keys().next().value;
      if (oldest !== undefined) this.#runs.delete(oldest);
    }
  }

  /** Forgets the run; with `only`, only if it is still that one. */
  evict(workflowId: string, only?: WorkflowExecution): void {
    if (!only || this.#runs.get(workflowId) === only) this.#runs.delete(workflowId);
  }
}

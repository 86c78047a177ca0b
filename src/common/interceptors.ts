/**
 * Interceptors: code that runs around what dfut does for a workflow (tracing, metrics, context
 * propagation). Each gets the call's input and `next`, and must call `next` once (or throw).
 * `headers` travel with the work: a start's are recorded in its WorkflowStarted, and what a
 * workflow task puts in `outgoing` is sent (as JetStream message headers) with the activity
 * tasks it schedules, so one trace can span client, workflow and activities across processes.
 */
export type Headers = Record<string, string>;

export interface StartWorkflowInput {
  workflowId: string;
  workflowType: string;
  args: unknown[];
  /** Recorded with the start; the workflow's tasks see them. */
  headers: Headers;
}

export interface WorkflowCallInput {
  workflowId: string;
  /** Signal, query or update name. */
  name: string;
  args: unknown[];
}

export interface ClientInterceptor {
  startWorkflow?(input: StartWorkflowInput, next: (input: StartWorkflowInput) => Promise<string>): Promise<string>;
  signalWorkflow?(input: WorkflowCallInput, next: (input: WorkflowCallInput) => Promise<void>): Promise<void>;
  queryWorkflow?(input: WorkflowCallInput, next: (input: WorkflowCallInput) => Promise<unknown>): Promise<unknown>;
  updateWorkflow?(input: WorkflowCallInput, next: (input: WorkflowCallInput) => Promise<unknown>): Promise<unknown>;
}

export interface WorkflowTaskInput {
  workflowId: string;
  workflowType: string;
  runId: string;
  /** The headers its start recorded. */
  headers: Readonly<Headers>;
  /** Headers to send with the activity tasks this workflow task schedules. */
  outgoing: Headers;
}

export interface ActivityAttemptInput {
  workflowId: string;
  activityType: string;
  activityId: number;
  attempt: number;
  /** What the workflow task that scheduled it put in `outgoing`. */
  headers: Readonly<Headers>;
}

export interface WorkerInterceptor {
  workflowTask?(input: WorkflowTaskInput, next: () => Promise<void>): Promise<void>;
  activityAttempt?<R>(input: ActivityAttemptInput, next: () => Promise<R>): Promise<R>;
}

type Step<I, R> = (input: I, next: (input: I) => Promise<R>) => Promise<R>;

/** Runs `last` inside every step, the first outermost (each may change the input it passes on). */
export function intercept<I, R>(steps: readonly Step<I, R>[], input: I, last: (input: I) => Promise<R>): Promise<R> {
  const run = (index: number, current: I): Promise<R> => (index === steps.length ? last(current) : steps[index](current, (next) => run(index + 1, next)));
  return run(0, input);
}

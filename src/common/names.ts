/** Names of dfut's JetStream resources and subjects. The one place they are spelled. */

export const HISTORY_STREAM = "DFUT_HISTORY";
export const TASK_STREAM = "DFUT_TASKS";
export const TIMER_STREAM = "DFUT_TIMERS";
export const EXECUTIONS_BUCKET = "dfut_executions";
export const REGISTRY_BUCKET = "dfut_registry";
export const SCHEDULES_BUCKET = "dfut_schedules";
export const DISPATCHER_CONSUMER = "dfut-dispatcher";
export const TIMER_CONSUMER = "dfut-timers";
export const DEFAULT_QUEUE = "default";

export const HISTORY_PREFIX = "dfut.history";

/** Subjects of everything but histories, whose subjects depend on the layout (layout.ts). */
export const subjects = {
  workflowTask: (queue: string) => `dfut.task.workflow.${queue}`,
  activityTask: (queue: string) => `dfut.task.activity.${queue}`,
  allTasks: "dfut.task.>",
  timer: (workflowId: string, timerId: number) => `dfut.timer.${workflowId}.${timerId}`,
  allTimers: "dfut.timer.>",
  /** Core NATS notice of a stored close, for clients waiting on a result (not durable). */
  closed: (workflowId: string) => `dfut.closed.${workflowId}`,
  /** Queries and updates for the workers of a workflow type on a queue (core request/reply). */
  request: (queue: string, workflowType: string) => `dfut.request.${queue}.${workflowType}`,
  /** Notices of completed updates, once stored. */
  updated: (workflowId: string) => `dfut.updated.${workflowId}`,
};

export const consumerNames = {
  workflowTasks: (queue: string) => `dfut-wf-${queue}`,
  activityTasks: (queue: string) => `dfut-act-${queue}`,
};

/** The workflow of a timer subject (dfut.timer.<workflowId>.<timerId>), or undefined. */
export function workflowIdFromTimerSubject(subject: string): string | undefined {
  return /^dfut\.timer\.([^.]+)\.[^.]+$/.exec(subject)?.[1];
}

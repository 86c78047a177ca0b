import type { ActivityOptions } from "./events.ts";

/** A workflow task: "workflow X has new events up to seq". */
export interface WorkflowTask {
  workflowId: string;
  seq: number;
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
  /** Do not start before this time (retry backoff). */
  notBefore?: string;
}

/** A durable timer waiting to fire. */
export interface TimerTask {
  workflowId: string;
  timerId: number;
  fireAt: string;
}

export const taskMsgIds = {
  workflow: (seq: number) => `wft:${seq}`,
  activity: (workflowId: string, activityId: number, attempt: number) => `act:${workflowId}:${activityId}:${attempt}`,
  timer: (workflowId: string, timerId: number) => `tmr:${workflowId}:${timerId}`,
  activityStarted: (workflowId: string, activityId: number, attempt: number) => `${workflowId}:act:${activityId}:${attempt}:started`,
  activityOutcome: (workflowId: string, activityId: number, attempt: number) => `${workflowId}:act:${activityId}:${attempt}:outcome`,
  timerFired: (workflowId: string, timerId: number) => `${workflowId}:timer:${timerId}:fired`,
};

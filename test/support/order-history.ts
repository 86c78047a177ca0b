/** The event types of one run of the order workflow, in order: the seed's table. */
export const ORDER_EVENT_TYPES = [
  "WorkflowStarted",
  "ActivityScheduled",
  "ActivityStarted",
  "ActivityCompleted",
  "ActivityScheduled",
  "ActivityStarted",
  "ActivityCompleted",
  "WorkflowCompleted",
] as const;

/** dfut: durable workflows for TypeScript on NATS JetStream. The public face of the SDK. */
export { DfutClient, WorkflowHandle, type StartOptions, type ResultOptions, type CancelOutcome, type ClientOptions } from "./client/client.ts";
export { Worker, type WorkerOptions } from "./worker/worker.ts";
export type { WorkerRegistration, RegisteredFunction } from "./common/registry.ts";
export { DfutServer, type ServerOptions } from "./server/server.ts";
export {
  ScheduleClient,
  type ScheduleOptions,
  type ScheduleDescription,
  type ScheduleSummary,
  type ScheduleRun,
  type TriggeredRun,
} from "./client/schedules.ts";
export {
  ScheduleNotFoundError,
  ScheduleAlreadyExistsError,
  type ScheduleSpecInput,
  type ScheduleSpec,
  type ScheduleAction,
  type SchedulePolicies,
  type ScheduleRecord,
  type ScheduleCounters,
  type PendingFire,
  type RecentRun,
  type OverlapPolicy,
  type Duration,
} from "./common/schedule-spec.ts";
export { connectDfut, type ConnectionOptions, type DfutConnection } from "./common/connection.ts";
export { defineWorkflow, defineActivity, type WorkflowFunction, type ActivityFunction } from "./workflow/definitions.ts";
export type { WorkflowContext, ActivityRunner } from "./workflow/context.ts";
export { DurableFuture } from "./workflow/future.ts";
export { openTelemetryInterceptors, type OpenTelemetryOptions } from "./opentelemetry.ts";
export type {
  ClientInterceptor,
  WorkerInterceptor,
  StartWorkflowInput,
  WorkflowCallInput,
  WorkflowTaskInput,
  ActivityAttemptInput,
  Headers as InterceptorHeaders,
} from "./common/interceptors.ts";
export { replayHistories, type RecordedHistory, type ReplayOptions, type ReplayResult } from "./replay/replay-histories.ts";
export { activityContext, type ActivityContext } from "./activity/context.ts";
export type { ActivityOptionsInput } from "./common/options.ts";
export type { ExecutionRecord, ListFilter } from "./common/executions.ts";
export type * from "./common/events.ts";
export {
  DfutError,
  InvalidArgumentError,
  WorkflowAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowClosedError,
  WorkflowFailedError,
  WorkflowCanceledError,
  WorkflowTerminatedError,
  UndecodableEventError,
  PayloadError,
  NatsUnavailableError,
  ApplicationFailure,
  ActivityFailure,
  ChildWorkflowFailure,
  QueryFailedError,
  UpdateRejectedError,
  UpdateFailedError,
  CanceledError,
  CanceledError as CancelledError,
  ActivityTimeoutError,
  NonDeterminismError,
} from "./common/errors.ts";

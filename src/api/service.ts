/** dfut.v1.WorkflowService over a DfutClient: every answer comes from JetStream. */
import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { durationMs, type Duration, type Value } from "@bufbuild/protobuf/wkt";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import type { KV } from "@nats-io/kv";
import { runBulk, selectWorkflows, type BulkProgress, type Selection } from "../client/bulk.ts";
import { DfutClient } from "../client/client.ts";
import type { DfutConnection } from "../common/connection.ts";
import { InvalidArgumentError } from "../common/errors.ts";
import { compareExecutions, matchesFilter, type ExecutionRecord, type ListFilter } from "../common/executions.ts";
import { validateQueue, validateWorkflowId } from "../common/ids.ts";
import { DEFAULT_QUEUE, EXECUTIONS_BUCKET } from "../common/names.ts";
import { openKv } from "../common/resources.ts";
import { checkWorkflowType, type TypeCheckHints } from "../common/type-check.ts";
import { parseSpec, validateScheduleId, type ScheduleSpecInput } from "../common/schedule-spec.ts";
import {
  eventToApi,
  overlapFromApi,
  scheduleSummaryToApi,
  scheduleToApi,
  statusFromApi,
  valueFromApi,
  valueToApi,
  workflowToApi,
} from "./convert.ts";
import { toConnectError, type ErrorReporter } from "./errors.ts";
import {
  BulkFailureSchema,
  BulkOperationResponseSchema,
  CancelWorkflowResponseSchema,
  CreateScheduleResponseSchema,
  DeleteScheduleResponseSchema,
  DescribeScheduleResponseSchema,
  GetHistoryResponseSchema,
  GetWorkflowResponseSchema,
  ListWorkflowsResponseSchema,
  ListSchedulesResponseSchema,
  ListWorkflowTypesResponseSchema,
  PauseScheduleResponseSchema,
  QueryWorkflowResponseSchema,
  ResetWorkflowResponseSchema,
  ResumeScheduleResponseSchema,
  SignalWorkflowResponseSchema,
  StartWorkflowResponseSchema,
  TerminateWorkflowResponseSchema,
  TriggerScheduleResponseSchema,
  UpdateWorkflowResponseSchema,
  WatchHistoryResponseSchema,
  WatchWorkflowsResponseSchema,
  WorkflowTypeSchema,
  type BulkOperationRequest,
  type BulkOperationResponse,
  type ScheduleSpec,
  type WorkflowSelection,
  type WorkflowService,
  type WorkflowStatus,
  type WorkflowType,
} from "./gen/dfut/v1/workflow_pb.ts";
import { paginate, pageSize } from "./paging.ts";
import { watchHistory, watchIndex } from "../common/feeds.ts";
import type { IdReusePolicy } from "../common/events.ts";
import { ID_REUSE_POLICIES } from "../common/runs.ts";

export interface ServiceOptions {
  connection: DfutConnection;
  /** Told about unexpected failures (they reach callers only as a short message). */
  report?: ErrorReporter;
}

interface FilterFields {
  status: WorkflowStatus;
  workflowType: string;
  idPrefix: string;
}

function listFilter(fields: FilterFields): ListFilter {
  return {
    status: statusFromApi(fields.status),
    workflowType: fields.workflowType || undefined,
    idPrefix: fields.idPrefix || undefined,
  };
}

const API_HINTS: TypeCheckHints = {
  useQueue: (queue) => `set queue to ${queue}`,
  skip: "set skipTypeCheck to true",
};

function requireId(workflowId: string): string {
  if (!workflowId) throw new InvalidArgumentError("workflow_id is required");
  return validateWorkflowId(workflowId);
}

/** How long a query waits for a worker's answer, and an update for its outcome, when the request does not say. */
const DEFAULT_QUERY_TIMEOUT_MS = 10_000;
const DEFAULT_UPDATE_TIMEOUT_MS = 60_000;
const UPDATE_ID = /^[A-Za-z0-9_-]{1,100}$/;

/**
 * The request's timeout in whole milliseconds, or the default; never longer than the caller's
 * own deadline (Connect's timeout header), so the answer comes while someone still waits for it.
 */
function timeoutOf(timeout: Duration | undefined, fallback: number, ctx: HandlerContext): number {
  let ms = fallback;
  if (timeout) {
    ms = Math.round(durationMs(timeout));
    if (!(ms > 0)) throw new InvalidArgumentError(`timeout must be positive, got ${ms} ms; leave it unset for the default of ${fallback / 1000} s`);
  }
  const deadline = ctx.timeoutMs();
  return deadline === undefined ? ms : Math.max(1, Math.min(ms, deadline));
}

function argsOf(args: readonly Value[]): unknown[] {
  return args.map((arg, i) => valueFromApi(arg, `argument ${i + 1}`));
}

/** The update's id: the caller's, checked, or a fresh one (as the SDK makes them). */
function updateIdOf(updateId: string): string {
  if (!updateId) return randomUUID().replaceAll("-", "").slice(0, 16);
  if (!UPDATE_ID.test(updateId)) {
    throw new InvalidArgumentError(`update_id must be 1 to 100 letters, digits, "-" or "_" (or empty for a fresh one), got ${JSON.stringify(updateId)}`);
  }
  return updateId;
}

function requireScheduleId(scheduleId: string): string {
  if (!scheduleId) throw new InvalidArgumentError("schedule_id is required");
  return validateScheduleId(scheduleId);
}

/** A Duration as whole milliseconds, or undefined when unset; `field` names it in the message. */
function durationField(value: Duration | undefined, field: string): number | undefined {
  if (!value) return undefined;
  const ms = durationMs(value);
  if (!(ms >= 0) || !Number.isSafeInteger(ms)) {
    throw new InvalidArgumentError(`${field} must be a whole number of milliseconds, at least 0; got ${ms} ms`);
  }
  return ms;
}

/** The spec as the SDK takes it; parseSpec (in ScheduleClient.create) checks the rest. */
function specFromApi(spec: ScheduleSpec | undefined): ScheduleSpecInput {
  if (!spec) throw new InvalidArgumentError('spec is required: set spec.cron (e.g. "0 3 * * *") or spec.every (e.g. "300s")');
  return {
    cron: spec.cron || undefined,
    every: durationField(spec.every, "spec.every"),
    timezone: spec.timezone || undefined,
    jitter: durationField(spec.jitter, "spec.jitter"),
  };
}

/** The selection as the SDK takes it, refused when empty: it would match every workflow. */
function selectionFromApi(selection: WorkflowSelection | undefined): Selection {
  const chosen: Selection = {
    workflowType: selection?.workflowType || undefined,
    status: selection ? statusFromApi(selection.status) : undefined,
    idPrefix: selection?.idPrefix || undefined,
  };
  if (!chosen.workflowType && !chosen.status && !chosen.idPrefix) {
    throw new InvalidArgumentError("selection must set workflow_type, status or id_prefix (an empty selection would match every workflow)");
  }
  return chosen;
}

/** What a bulk operation does to one workflow, checked before anything is selected. */
function bulkAction(c: DfutClient, action: BulkOperationRequest["action"]): (workflowId: string) => Promise<unknown> {
  switch (action.case) {
    case "cancel": {
      const { reason } = action.value;
      return (id) => c.cancel(id, reason);
    }
    case "terminate": {
      const { reason } = action.value;
      return (id) => c.terminate(id, reason);
    }
    case "signal": {
      const { name } = action.value;
      if (!name) throw new InvalidArgumentError("signal.name is required: the signal's name");
      const payload = valueFromApi(action.value.payload, "the payload");
      return (id) => c.signal(id, name, payload);
    }
    case "reset": {
      const reason = action.value.reason || undefined;
      return (id) => c.reset(id, { to: "last-workflow-task", reason });
    }
    case undefined:
      throw new InvalidArgumentError("an action is required: cancel, terminate, signal or reset");
  }
}

/** At most this often a bulk operation reports its progress (the last message comes at once). */
const BULK_PROGRESS_INTERVAL_MS = 250;

/**
 * runBulk over the ids, its progress as messages: one per interval while something changed,
 * each with the failures since the previous one, then the finished one. Leaving the loop (the
 * caller went away) stops starting the operation on more workflows.
 */
async function* bulkProgress(
  ids: readonly string[],
  operation: (workflowId: string) => Promise<unknown>,
  signal: AbortSignal,
): AsyncGenerator<BulkOperationResponse> {
  let stopped = false;
  let latest: BulkProgress = { total: ids.length, done: 0, skipped: 0, failed: [] };
  let sentDone = 0;
  let sentFailures = 0;
  const message = (finished: boolean) => {
    const failures = latest.failed.slice(sentFailures).map((f) => create(BulkFailureSchema, f));
    sentDone = latest.done;
    sentFailures = latest.failed.length;
    return create(BulkOperationResponseSchema, {
      matched: ids.length,
      done: latest.done,
      skipped: latest.skipped,
      failed: latest.failed.length,
      failures,
      finished,
    });
  };
  let settled = false;
  const run = runBulk(
    ids,
    (id) => {
      if (stopped || signal.aborted) throw new DOMException("the bulk operation was canceled", "AbortError");
      return operation(id);
    },
    (progress) => (latest = progress),
  ).then((final) => {
    settled = true;
    latest = final;
  });
  try {
    while (!settled) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([run, new Promise((resolve) => (timer = setTimeout(resolve, BULK_PROGRESS_INTERVAL_MS)))]);
      clearTimeout(timer);
      if (!settled && latest.done !== sentDone) yield message(false);
    }
    yield message(true);
  } finally {
    stopped = true;
  }
}

export function createWorkflowService(options: ServiceOptions): ServiceImpl<typeof WorkflowService> {
  const { connection, report } = options;
  let client: Promise<DfutClient> | undefined;
  let executions: Promise<KV> | undefined;
  const dfut = () => (client ??= DfutClient.connect(connection));
  // Not cached on failure: the bucket may appear once `dfut server` provisions it.
  const index = async () => {
    executions ??= openKv(connection.nc, EXECUTIONS_BUCKET).catch((err: unknown) => {
      executions = undefined;
      throw err;
    });
    return executions;
  };

  /** Runs a unary handler, turning any failure into a Connect error. */
  const unary =
    <I, O>(handler: (req: I, ctx: HandlerContext) => Promise<O>) =>
    async (req: I, ctx: HandlerContext): Promise<O> => {
      try {
        return await handler(req, ctx);
      } catch (err) {
        throw toConnectError(err, report);
      }
    };
  const streaming =
    <I, O>(handler: (req: I, ctx: HandlerContext) => AsyncIterable<O>) =>
    async function* (req: I, ctx: HandlerContext): AsyncGenerator<O> {
      try {
        yield* handler(req, ctx);
      } catch (err) {
        if (ctx.signal.aborted) return;
        throw toConnectError(err, report);
      }
    };

  return {
    listWorkflows: unary(async (req) => {
      const size = pageSize(req.pageSize);
      const c = await dfut();
      const records = (await c.list(listFilter(req))).sort(compareExecutions);
      const { page, nextPageToken } = paginate(records, size, req.pageToken);
      return create(ListWorkflowsResponseSchema, { workflows: page.map(workflowToApi), nextPageToken, totalSize: records.length });
    }),

    getWorkflow: unary(async (req) => {
      const record = await (await dfut()).describe(requireId(req.workflowId));
      return create(GetWorkflowResponseSchema, { workflow: workflowToApi(record) });
    }),

    getHistory: unary(async (req) => {
      const events = await (await dfut()).history(requireId(req.workflowId), { runId: req.runId || undefined });
      return create(GetHistoryResponseSchema, { events: events.map(eventToApi) });
    }),

    startWorkflow: unary(async (req) => {
      if (!req.type) throw new InvalidArgumentError("type is required: the name of a registered workflow");
      const args = req.args.map((arg, i) => valueFromApi(arg, `argument ${i + 1}`));
      const workflowId = req.workflowId ? validateWorkflowId(req.workflowId) : undefined;
      const queue = validateQueue(req.queue || DEFAULT_QUEUE);
      const c = await dfut();
      if (!req.skipTypeCheck) await checkWorkflowType(c, req.type, queue, API_HINTS);
      const idReuse = (req.idReuse || "allow") as IdReusePolicy;
      if (!ID_REUSE_POLICIES.includes(idReuse)) {
        throw new InvalidArgumentError(`id_reuse must be one of ${ID_REUSE_POLICIES.join(", ")} (or empty), got ${JSON.stringify(req.idReuse)}`);
      }
      const handle = await c.start(req.type, { args, workflowId, queue, idReuse });
      return create(StartWorkflowResponseSchema, { workflowId: handle.workflowId, runId: handle.runId ?? "" });
    }),

    signalWorkflow: unary(async (req) => {
      if (!req.name) throw new InvalidArgumentError("name is required: the signal's name");
      await (await dfut()).signal(requireId(req.workflowId), req.name, valueFromApi(req.payload, "the payload"));
      return create(SignalWorkflowResponseSchema, {});
    }),

    cancelWorkflow: unary(async (req) => {
      const outcome = await (await dfut()).cancel(requireId(req.workflowId), req.reason);
      return create(CancelWorkflowResponseSchema, { closed: outcome === "canceled" });
    }),

    terminateWorkflow: unary(async (req) => {
      await (await dfut()).terminate(requireId(req.workflowId), req.reason);
      return create(TerminateWorkflowResponseSchema, {});
    }),

    queryWorkflow: unary(async (req, ctx) => {
      const workflowId = requireId(req.workflowId);
      if (!req.name) throw new InvalidArgumentError("name is required: the query handler's name");
      const args = argsOf(req.args);
      const timeoutMs = timeoutOf(req.timeout, DEFAULT_QUERY_TIMEOUT_MS, ctx);
      const result = await (await dfut()).queryWithOptions(workflowId, req.name, args, { timeoutMs });
      return create(QueryWorkflowResponseSchema, { result: valueToApi(result) });
    }),

    updateWorkflow: unary(async (req, ctx) => {
      const workflowId = requireId(req.workflowId);
      if (!req.name) throw new InvalidArgumentError("name is required: the update handler's name");
      const args = argsOf(req.args);
      const updateId = updateIdOf(req.updateId);
      const timeoutMs = timeoutOf(req.timeout, DEFAULT_UPDATE_TIMEOUT_MS, ctx);
      const result = await (await dfut()).executeUpdate(workflowId, req.name, { args, updateId, timeoutMs });
      return create(UpdateWorkflowResponseSchema, { updateId, result: valueToApi(result) });
    }),

    resetWorkflow: unary(async (req) => {
      const workflowId = requireId(req.workflowId);
      const toSeq = Number(req.toSeq);
      if (!Number.isSafeInteger(toSeq) || toSeq < 0) {
        throw new InvalidArgumentError(`to_seq must be an event's seq (see GetHistory), or 0 for the last workflow task; got ${req.toSeq}`);
      }
      const reset = await (await dfut()).reset(workflowId, {
        to: toSeq === 0 ? "last-workflow-task" : toSeq,
        runId: req.runId || undefined,
        reason: req.reason || undefined,
      });
      return create(ResetWorkflowResponseSchema, { runId: reset.runId, toSeq: BigInt(reset.toSeq), fromRunId: reset.fromRunId });
    }),

    bulkOperation: streaming(async function* (req, ctx) {
      const selection = selectionFromApi(req.selection);
      const c = await dfut();
      const operation = bulkAction(c, req.action);
      const ids = await selectWorkflows(c, selection);
      const matched = ids.length;
      if (req.dryRun || matched === 0) {
        yield create(BulkOperationResponseSchema, { matched, finished: true });
        return;
      }
      yield create(BulkOperationResponseSchema, { matched });
      yield* bulkProgress(ids, operation, ctx.signal);
    }),

    createSchedule: unary(async (req) => {
      const scheduleId = requireScheduleId(req.scheduleId);
      if (!req.workflowType) throw new InvalidArgumentError("workflow_type is required: the name of the workflow each fire starts");
      const spec = specFromApi(req.spec);
      // A bad spec is refused before the workers are asked about the type.
      parseSpec(spec);
      const overlap = overlapFromApi(req.overlap);
      const catchupWindow = durationField(req.catchupWindow, "catchup_window");
      const args = argsOf(req.args);
      const queue = validateQueue(req.queue || DEFAULT_QUEUE);
      const c = await dfut();
      if (!req.skipTypeCheck) await checkWorkflowType(c, req.workflowType, queue, API_HINTS);
      const created = await c.schedules.create(scheduleId, {
        spec,
        workflow: req.workflowType,
        args,
        queue,
        overlap,
        catchupWindow,
        paused: req.paused,
        note: req.note || undefined,
      });
      return create(CreateScheduleResponseSchema, { schedule: scheduleToApi(created) });
    }),

    listSchedules: unary(async () => {
      const schedules = await (await dfut()).schedules.list();
      return create(ListSchedulesResponseSchema, { schedules: schedules.map(scheduleSummaryToApi) });
    }),

    describeSchedule: unary(async (req) => {
      const described = await (await dfut()).schedules.describe(requireScheduleId(req.scheduleId));
      return create(DescribeScheduleResponseSchema, { schedule: scheduleToApi(described) });
    }),

    pauseSchedule: unary(async (req) => {
      await (await dfut()).schedules.pause(requireScheduleId(req.scheduleId), req.note || undefined);
      return create(PauseScheduleResponseSchema, {});
    }),

    resumeSchedule: unary(async (req) => {
      await (await dfut()).schedules.resume(requireScheduleId(req.scheduleId), req.note || undefined);
      return create(ResumeScheduleResponseSchema, {});
    }),

    triggerSchedule: unary(async (req) => {
      const run = await (await dfut()).schedules.trigger(requireScheduleId(req.scheduleId));
      return create(TriggerScheduleResponseSchema, { workflowId: run.workflowId, runId: run.runId ?? "" });
    }),

    deleteSchedule: unary(async (req) => {
      await (await dfut()).schedules.delete(requireScheduleId(req.scheduleId));
      return create(DeleteScheduleResponseSchema, {});
    }),

    listWorkflowTypes: unary(async () => {
      const registrations = await (await dfut()).registrations();
      const types = new Map<string, WorkflowType>();
      for (const registration of registrations) {
        for (const workflow of registration.workflows) {
          const key = `${registration.queue}\u0000${workflow.name}`;
          const known = types.get(key);
          if (known) known.workers++;
          else {
            types.set(
              key,
              create(WorkflowTypeSchema, { name: workflow.name, parameters: workflow.parameters, queue: registration.queue, workers: 1 }),
            );
          }
        }
      }
      const workflowTypes = [...types.values()].sort((a, b) => a.name.localeCompare(b.name) || a.queue.localeCompare(b.queue));
      return create(ListWorkflowTypesResponseSchema, { workflowTypes });
    }),

    watchWorkflows: streaming(async function* (req, ctx) {
      const filter = listFilter(req);
      const shown = new Set<string>();
      for await (const batch of watchIndex(await index(), ctx.signal)) {
        const upserted = [];
        const removed: string[] = [];
        for (const change of batch.changes) {
          if (change.kind === "put" && matchesFilter(change.record, filter)) {
            shown.add(change.record.workflowId);
            upserted.push(workflowToApi(change.record));
            continue;
          }
          const id = change.kind === "put" ? change.record.workflowId : change.workflowId;
          if (shown.delete(id)) removed.push(id);
        }
        yield create(WatchWorkflowsResponseSchema, { upserted, removed, caughtUp: batch.caughtUp });
      }
    }),

    watchHistory: streaming(async function* (req, ctx) {
      const workflowId = requireId(req.workflowId);
      // Refuses unknown ids (and runs) up front, so a typo does not wait forever.
      const c = await dfut();
      const runId = req.runId || (await c.describe(workflowId)).runId;
      if (req.runId) await c.history(workflowId, { runId: req.runId });
      const afterSeq = runId ? Number(runId) - 1 : 0;
      for await (const batch of watchHistory(connection, workflowId, { signal: ctx.signal, untilClose: true, afterSeq })) {
        yield create(WatchHistoryResponseSchema, { events: batch.events.map(eventToApi), caughtUp: batch.caughtUp });
      }
    }),
  };
}

/**
 * Tracing with OpenTelemetry: interceptors that make one trace of a workflow, from the client
 * that starts it through its workflow tasks and activity attempts, whichever processes they run
 * in. The trace context goes with the start (recorded in its WorkflowStarted) and with each
 * activity task (JetStream message headers), in the propagator's format (W3C traceparent by
 * default). Only `@opentelemetry/api` is used: the application's SDK decides where spans go.
 *
 *   const { client, worker } = openTelemetryInterceptors();
 *   const dfut = await DfutClient.connect(nats, { interceptors: [client] });
 *   await Worker.create({ …, interceptors: [worker] });
 */
import { context, propagation, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from "@opentelemetry/api";
import type { ClientInterceptor, Headers, WorkerInterceptor } from "./common/interceptors.ts";

export interface OpenTelemetryOptions {
  /** Default: the global tracer provider's tracer named "dfut". */
  tracer?: Tracer;
}

const ATTR = {
  workflowId: "dfut.workflow_id",
  workflowType: "dfut.workflow_type",
  runId: "dfut.run_id",
  activityType: "dfut.activity_type",
  attempt: "dfut.attempt",
  name: "dfut.name",
} as const;

async function inSpan<T>(tracer: Tracer, name: string, kind: SpanKind, parent: Context, attributes: Record<string, string | number>, fn: (span: Span) => Promise<T>): Promise<T> {
  const span = tracer.startSpan(name, { kind, attributes }, parent);
  try {
    const result = await context.with(trace.setSpan(parent, span), () => fn(span));
    span.setStatus({ code: SpanStatusCode.OK });
    return result;
  } catch (err) {
    span.recordException(err as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message ?? String(err) });
    throw err;
  } finally {
    span.end();
  }
}

/** Writes the context's trace into headers, in the global propagator's format. */
function inject(into: Headers, ctx: Context): void {
  propagation.inject(ctx, into, { set: (carrier, key, value) => (carrier[key] = value) });
}

function extract(from: Readonly<Headers>): Context {
  return propagation.extract(context.active(), from, {
    get: (carrier, key) => carrier[key],
    keys: (carrier) => Object.keys(carrier),
  });
}

export function openTelemetryInterceptors(options: OpenTelemetryOptions = {}): { client: ClientInterceptor; worker: WorkerInterceptor } {
  const tracer = options.tracer ?? trace.getTracer("dfut");
  const client: ClientInterceptor = {
    startWorkflow: (input, next) =>
      inSpan(tracer, `StartWorkflow:${input.workflowType}`, SpanKind.PRODUCER, context.active(), { [ATTR.workflowId]: input.workflowId, [ATTR.workflowType]: input.workflowType }, async (span) => {
        const headers = { ...input.headers };
        inject(headers, trace.setSpan(context.active(), span));
        const runId = await next({ ...input, headers });
        span.setAttribute(ATTR.runId, runId);
        return runId;
      }),
    signalWorkflow: (input, next) =>
      inSpan(tracer, `SignalWorkflow:${input.name}`, SpanKind.PRODUCER, context.active(), { [ATTR.workflowId]: input.workflowId, [ATTR.name]: input.name }, () => next(input)),
    queryWorkflow: (input, next) =>
      inSpan(tracer, `QueryWorkflow:${input.name}`, SpanKind.CLIENT, context.active(), { [ATTR.workflowId]: input.workflowId, [ATTR.name]: input.name }, () => next(input)),
    updateWorkflow: (input, next) =>
      inSpan(tracer, `UpdateWorkflow:${input.name}`, SpanKind.CLIENT, context.active(), { [ATTR.workflowId]: input.workflowId, [ATTR.name]: input.name }, () => next(input)),
  };
  const worker: WorkerInterceptor = {
    workflowTask: (input, next) =>
      inSpan(
        tracer,
        `RunWorkflow:${input.workflowType}`,
        SpanKind.CONSUMER,
        extract(input.headers),
        { [ATTR.workflowId]: input.workflowId, [ATTR.workflowType]: input.workflowType, [ATTR.runId]: input.runId },
        async (span) => {
          // The activities this task schedules are children of this task's span.
          inject(input.outgoing, trace.setSpan(context.active(), span));
          await next();
        },
      ),
    activityAttempt: (input, next) =>
      inSpan(
        tracer,
        `RunActivity:${input.activityType}`,
        SpanKind.CONSUMER,
        extract(input.headers),
        { [ATTR.workflowId]: input.workflowId, [ATTR.activityType]: input.activityType, [ATTR.attempt]: input.attempt },
        () => next(),
      ),
  };
  return { client, worker };
}

// OpenTelemetry interceptors: one trace from the client's start through workflow tasks and
// activity attempts (taken by another worker through JetStream), seen by an in-memory exporter.
import { afterAll, beforeAll, expect, it } from "vitest";
import { context, propagation, trace, SpanStatusCode } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { activityContext, DfutClient, openTelemetryInterceptors, type WorkflowContext } from "dfut";
import { startEnv, type TestEnv } from "../support/env.ts";

async function Charge(amount: number) {
  if (activityContext().attempt === 1 && amount < 0) throw new Error("declined once");
  return Math.abs(amount);
}
async function Ship(what: string) {
  return `shipped ${what}`;
}
async function TracedOrderWorkflow(ctx: WorkflowContext, amount: number) {
  const paid = await ctx.withOptions({ retry: { initialInterval: 10 } }).executeActivity(Charge, amount);
  return [paid, await ctx.executeActivity(Ship, "box")];
}

const exporter = new InMemorySpanExporter();
let env: TestEnv;
let client: DfutClient;
beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
  const otel = openTelemetryInterceptors();
  env = await startEnv();
  await env.worker({ workflows: { TracedOrderWorkflow }, interceptors: [otel.worker] });
  await env.worker({ activities: { Charge, Ship }, interceptors: [otel.worker] });
  client = await DfutClient.connect(env.connection, { interceptors: [otel.client] });
});
afterAll(async () => {
  await env?.stop();
  trace.disable();
  context.disable();
  propagation.disable();
});

const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

it("one trace: the start, each workflow task under it, each activity attempt under the task that scheduled it", async () => {
  const handle = await client.start(TracedOrderWorkflow, { args: [-5] });
  expect(await handle.result()).toEqual([5, "shipped box"]);
  const spans = exporter.getFinishedSpans();
  const start = spans.find((s) => s.name === "StartWorkflow:TracedOrderWorkflow")!;
  expect(start.attributes).toMatchObject({ "dfut.workflow_id": handle.workflowId, "dfut.run_id": handle.runId });
  const tasks = spans.filter((s) => s.name === "RunWorkflow:TracedOrderWorkflow");
  const activities = spans.filter((s) => s.name.startsWith("RunActivity:"));
  expect(tasks.length).toBeGreaterThanOrEqual(3);
  expect(activities.map((s) => [s.name, s.attributes["dfut.attempt"]])).toEqual([
    ["RunActivity:Charge", 1],
    ["RunActivity:Charge", 2],
    ["RunActivity:Ship", 1],
  ]);
  const traceId = start.spanContext().traceId;
  for (const span of [...tasks, ...activities]) expect([span.name, span.spanContext().traceId, span.attributes["dfut.attempt"]]).toEqual([span.name, traceId, span.attributes["dfut.attempt"]]);
  for (const task of tasks) expect(parentOf(task)).toBe(start.spanContext().spanId);
  const taskIds = new Set(tasks.map((t) => t.spanContext().spanId));
  for (const activity of activities) expect(taskIds.has(parentOf(activity)!)).toBe(true);
  expect(activities[0].status).toMatchObject({ code: SpanStatusCode.ERROR, message: "Error: declined once" });
  expect(activities[1].status.code).toBe(SpanStatusCode.OK);

  console.log(
    `the trace of ${handle.workflowId}:\n` +
      [start, ...tasks, ...activities]
        .sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1])
        .map((s) => `${s === start ? "" : parentOf(s) === start.spanContext().spanId ? "  " : "    "}${s.name} ${s.status.code === SpanStatusCode.ERROR ? "(error)" : ""}`)
        .join("\n"),
  );
});

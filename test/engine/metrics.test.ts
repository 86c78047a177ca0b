// /metrics while workflows run: the numbers are what ran.
import { afterAll, beforeAll, expect, it } from "vitest";
import { ApplicationFailure, activityContext, type WorkflowContext } from "dfut";
import { serveMetrics, type MetricsEndpoint } from "../../src/common/metrics-http.ts";
import { startHttpServer } from "../../src/api/http.ts";
import { eventually, startEnv, type TestEnv } from "../support/env.ts";

async function Charge(amount: number) {
  return amount;
}
async function Flaky() {
  if (activityContext().attempt < 3) throw new Error("not yet");
  return "ok";
}
async function Refuse() {
  throw ApplicationFailure.nonRetryable("no", "Refused");
}

let releaseHold: () => void = () => undefined;
const held = new Promise<void>((resolve) => (releaseHold = resolve));
async function Hold() {
  await held;
  return "released";
}
async function HoldWorkflow(ctx: WorkflowContext) {
  return ctx.executeActivity(Hold);
}

async function PayWorkflow(ctx: WorkflowContext, amount: number) {
  return ctx.executeActivity(Charge, amount);
}
async function RetryWorkflow(ctx: WorkflowContext) {
  return ctx.withOptions({ retry: { initialInterval: 10, maximumInterval: 20 } }).executeActivity(Flaky);
}
async function RefusedWorkflow(ctx: WorkflowContext) {
  return ctx.executeActivity(Refuse);
}

let env: TestEnv;
let endpoint: MetricsEndpoint;
beforeAll(async () => {
  env = await startEnv();
  // Activities in their own worker: they go through the queue (no eager runs), as in production.
  await env.worker({ workflows: { PayWorkflow, RetryWorkflow, RefusedWorkflow, HoldWorkflow }, queue: "metered" });
  await env.worker({ activities: { Charge, Flaky, Refuse, Hold }, queue: "metered" });
  endpoint = await serveMetrics("127.0.0.1:0");
});
afterAll(async () => {
  await endpoint?.close();
  await env?.stop();
});

/** One sample's value from the scrape: `name{labels}` exactly as exposed. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

it("shows work in progress while it runs: the activity a worker holds is in the queue's backlog", async () => {
  const hold = await env.client.start(HoldWorkflow, { queue: "metered" });
  const during = await eventually(async () => {
    const scraped = await (await fetch(endpoint.url)).text();
    return sample(scraped, 'dfut_task_queue_backlog{queue="metered",kind="activity",state="in_progress"}') === 1 ? scraped : undefined;
  });
  expect(sample(during, 'dfut_workflows_started_total{workflow_type="HoldWorkflow"}')).toBe(1);
  expect(sample(during, 'dfut_workflows_closed_total{workflow_type="HoldWorkflow",status="completed"}')).toBeUndefined();
  releaseHold();
  expect(await hold.result()).toBe("released");
});

it("counts the runs and attempts that happened, times them, and shows the cache and the backlog", async () => {
  const pays = await Promise.all([1, 2, 3].map((amount) => env.client.start(PayWorkflow, { args: [amount], queue: "metered" })));
  const retry = await env.client.start(RetryWorkflow, { queue: "metered" });
  const refused = await env.client.start(RefusedWorkflow, { queue: "metered" });
  await Promise.all(pays.map((p) => p.result()));
  expect(await retry.result()).toBe("ok");
  await expect(refused.result()).rejects.toThrow(/no/);

  const res = await fetch(endpoint.url);
  expect(res.status, await res.clone().text()).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  const text = await eventually(async () => {
    const scraped = await (await fetch(endpoint.url)).text();
    return sample(scraped, 'dfut_workflows_closed_total{workflow_type="RefusedWorkflow",status="failed"}') === 1 &&
      sample(scraped, 'dfut_workflows_closed_total{workflow_type="PayWorkflow",status="completed"}') === 3
      ? scraped
      : undefined;
  });
  expect(sample(text, 'dfut_workflows_started_total{workflow_type="PayWorkflow"}')).toBe(3);
  expect(sample(text, 'dfut_workflows_started_total{workflow_type="RetryWorkflow"}')).toBe(1);
  expect(sample(text, 'dfut_workflows_closed_total{workflow_type="RetryWorkflow",status="completed"}')).toBe(1);
  expect(sample(text, 'dfut_activity_attempts_total{activity_type="Charge",outcome="completed"}')).toBe(3);
  expect(sample(text, 'dfut_activity_attempts_total{activity_type="Flaky",outcome="retried"}')).toBe(2);
  expect(sample(text, 'dfut_activity_attempts_total{activity_type="Flaky",outcome="completed"}')).toBe(1);
  expect(sample(text, 'dfut_activity_attempts_total{activity_type="Refuse",outcome="failed"}')).toBe(1);
  expect(sample(text, 'dfut_activity_start_to_close_seconds_count{activity_type="Flaky",outcome="retried"}')).toBe(2);
  expect(sample(text, 'dfut_activity_schedule_to_start_seconds_count{activity_type="Charge"}')).toBe(3);
  // Each of the 5 workflows took a task for its start and one for each activity's outcome, at least.
  expect(sample(text, 'dfut_workflow_task_duration_seconds_count{queue="metered"}')).toBeGreaterThanOrEqual(10);
  expect(sample(text, 'dfut_workflow_task_schedule_to_start_seconds_bucket{queue="metered",le="+Inf"}')).toBeGreaterThanOrEqual(10);
  expect(sample(text, "dfut_workflow_cache_misses_total")).toBeGreaterThanOrEqual(5);
  expect(sample(text, "dfut_workflow_cache_hits_total")).toBeGreaterThanOrEqual(5);
  expect(text).toMatch(/^dfut_workflow_cache_size\{queue="metered",worker="[^"]+"\} \d+$/m);
  expect(sample(text, 'dfut_task_queue_backlog{queue="metered",kind="activity",state="pending"}')).toBe(0);
  expect(sample(text, 'dfut_task_queue_backlog{queue="metered",kind="workflow",state="in_progress"}')).toBe(0);
  expect(text).toContain("# TYPE dfut_activity_start_to_close_seconds histogram");
  console.log(`a scrape of /metrics after the run:\n${text.split("\n").filter((l) => /^dfut_(workflows|activity_attempts|task_queue|workflow_cache)/.test(l)).join("\n")}`);
  expect((await fetch(endpoint.url.replace("/metrics", "/other"))).status).toBe(404);

  // dfut server's HTTP address serves the same at /metrics, next to the API and the web UI.
  const http = await startHttpServer({ connection: env.connection, addr: "127.0.0.1:0" });
  try {
    const served = await fetch(new URL("metrics", http.url));
    expect(served.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(sample(await served.text(), 'dfut_workflows_started_total{workflow_type="PayWorkflow"}')).toBe(3);
  } finally {
    await http.close();
  }
});

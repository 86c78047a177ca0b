import { afterAll, beforeAll, expect, it } from "vitest";
import { DfutClient, DfutServer, Worker, WorkflowNotFoundError, connectDfut, type DfutConnection, type WorkflowContext } from "dfut";
import { silentLogger } from "../../src/common/logger.ts";
import { NatsServer } from "../support/nats-server.ts";
import { eventually } from "../support/env.ts";

async function Echo(value: string): Promise<string> {
  return value;
}
async function QuickWorkflow(ctx: WorkflowContext, value: string) {
  return ctx.executeActivity(Echo, value);
}
async function WaitingWorkflow(ctx: WorkflowContext) {
  await ctx.executeActivity(Echo, "first");
  return ctx.waitForSignal<string>("go");
}

/** Continues as new once, then waits: a workflow that goes on in its second run. */
async function LoopingWorkflow(ctx: WorkflowContext, round: number) {
  await ctx.executeActivity(Echo, `round ${round}`);
  if (round === 0) return ctx.continueAsNew(1);
  return ctx.waitForSignal<string>("go");
}

const RETENTION_MS = 300;
let nats: NatsServer;
let connection: DfutConnection;
let server: DfutServer;
let worker: Worker;
let client: DfutClient;

beforeAll(async () => {
  nats = await NatsServer.start();
  connection = await connectDfut({ servers: nats.url });
  server = await DfutServer.start({ connection, logger: silentLogger, retentionMs: RETENTION_MS });
  worker = await Worker.create({ connection: { servers: nats.url }, workflows: { QuickWorkflow, WaitingWorkflow, LoopingWorkflow }, activities: { Echo }, logger: silentLogger });
  client = await DfutClient.connect(connection);
});
afterAll(async () => {
  await worker?.stop();
  await server?.stop();
  await connection?.close();
  await nats?.stop();
});

it("removes closed workflows past the retention period, and never an event of a running one", async () => {
  // The running workflow is the oldest: age alone never removes anything.
  const running = await client.start(WaitingWorkflow, { workflowId: "old-but-running" });
  await eventually(async () => (await running.history()).some((e) => e.type === "ActivityCompleted"));
  const done = await client.start(QuickWorkflow, { args: ["x"], workflowId: "closed-one" });
  expect(await done.result()).toBe("x");
  await eventually(async () => (await done.describe()).status === "completed");
  const runningBefore = await running.history();

  await new Promise((resolve) => setTimeout(resolve, RETENTION_MS * 2));
  await server.sweepRetention();

  await expect(done.history()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  await expect(done.describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  expect((await client.list()).map((r) => r.workflowId)).toEqual(["old-but-running"]);
  expect(await running.history()).toEqual(runningBefore);
  await running.signal("go", "later");
  expect(await running.result()).toBe("later");
});

it("removes the earlier runs of a workflow that goes on, once its current run is past the retention period", async () => {
  const looping = await client.start(LoopingWorkflow, { args: [0], workflowId: "looping" });
  const record = await eventually(async () => {
    const r = await looping.describe();
    return r.runs?.length === 2 && (await looping.history()).some((e) => e.type === "ActivityCompleted") ? r : undefined;
  });
  const currentBefore = await looping.history();
  expect((await looping.history({ runId: looping.runId })).at(-1)?.type).toBe("WorkflowContinuedAsNew");

  await new Promise((resolve) => setTimeout(resolve, RETENTION_MS * 2));
  await server.sweepRetention();

  await expect(looping.history({ runId: looping.runId })).rejects.toThrow(/no longer kept/);
  expect(await looping.history()).toEqual(currentBefore);
  expect((await looping.describe()).runs).toEqual([record.runId]);
  await looping.signal("go", "still here");
  expect(await looping.result()).toBe("still here");
});

// kill -9 at the worst moments of child workflows and continue-as-new: every dfut process is
// a process of its own here (the dfut server too), and the test kills them.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { DfutClient } from "dfut";
import { eventually, spawnServer, spawnWorker, type WorkerProcess } from "../support/env.ts";
import { NatsServer } from "../support/nats-server.ts";
import { readEffects } from "../fixtures/effects.ts";

let nats: NatsServer;
let client: DfutClient;
let effects: string;
const processes: WorkerProcess[] = [];

async function up(process: WorkerProcess): Promise<WorkerProcess> {
  processes.push(process);
  await process.ready;
  return process;
}
const server = () => up(spawnServer(nats.url));
const worker = () => up(spawnWorker(nats.url, "crashy.ts", { DFUT_EFFECTS_DIR: effects, DFUT_ACK_WAIT_MS: "1500" }));

beforeAll(async () => {
  nats = await NatsServer.start();
  effects = mkdtempSync(join(tmpdir(), "dfut-effects-"));
  await (await server()).kill("SIGTERM");
  client = await DfutClient.connect({ servers: nats.url });
});
afterEach(async () => {
  await Promise.all(processes.splice(0).map((p) => p.kill()));
});
afterAll(async () => {
  await client?.close();
  await nats?.stop();
  rmSync(effects, { recursive: true, force: true });
});

const lastType = async (workflowId: string) => (await client.history(workflowId)).at(-1)?.type;

it("a child's close reaches its parent when the worker and dfut server are killed while the child runs", async () => {
  const [dispatcher, doomed] = await Promise.all([server(), worker()]);
  const parent = await client.start("ParentWorkflow", { args: [1500], workflowId: "crash-parent" });
  const childId = "crash-parent-child";
  // The child's start is recorded in the parent, and the child's slow step runs.
  await eventually(() => readEffects(effects, `slow-${childId}`).length === 1 || undefined, 20_000, "the child's slow step");
  expect((await client.history(parent.workflowId)).some((e) => e.type === "ChildWorkflowStarted")).toBe(true);
  await Promise.all([doomed.kill("SIGKILL"), dispatcher.kill("SIGKILL")]);

  // A new worker finishes the child (its lost attempt is retried); no server yet: the parent
  // cannot learn of the close, which waits in the history.
  await worker();
  await eventually(async () => ((await lastType(childId)) === "WorkflowCompleted" ? true : undefined), 30_000, "the child to close");
  expect((await client.history(parent.workflowId)).some((e) => e.type === "ChildWorkflowClosed")).toBe(false);

  await server();
  expect(await parent.result()).toEqual({ before: 10, child: "child slept 1500", after: 20 });
  expect(readEffects(effects, "step-crash-parent-1")).toHaveLength(1);
  expect(readEffects(effects, "step-crash-parent-2")).toHaveLength(1);
  expect(readEffects(effects, `slow-done-${childId}`)).toHaveLength(1);
  const history = await client.history(parent.workflowId);
  expect(history.filter((e) => e.type === "ChildWorkflowScheduled")).toHaveLength(1);
  expect(history.filter((e) => e.type === "ChildWorkflowClosed")).toHaveLength(1);
});

it("the next run begins when every process dies between WorkflowContinuedAsNew and the new run's first task", async () => {
  const [dispatcher, doomed] = await Promise.all([server(), worker()]);
  const handle = await client.start("LoopingWorkflow", { args: [0, 1000], workflowId: "crash-loop" });
  await eventually(() => readEffects(effects, "slow-crash-loop").length === 1 || undefined, 20_000, "the first run's slow step");
  // dfut server goes first: the run continues as new with nobody to begin the next one.
  await dispatcher.kill("SIGKILL");
  await eventually(async () => ((await lastType(handle.workflowId)) === "WorkflowContinuedAsNew" ? true : undefined), 20_000, "the continue-as-new");
  await doomed.kill("SIGKILL");
  expect(await lastType(handle.workflowId)).toBe("WorkflowContinuedAsNew");

  // A signal sent between the runs waits for the next one, and reaches it.
  const signaled = client.signal(handle.workflowId, "note", "between runs");
  await Promise.all([server(), worker()]);
  await signaled;
  expect(await handle.result()).toEqual({ round: 1, step: 50, note: "between runs" });
  expect(readEffects(effects, "slow-done-crash-loop")).toHaveLength(1);
  expect(readEffects(effects, "step-crash-loop-5")).toHaveLength(1);
  const record = await eventually(async () => {
    const r = await client.describe(handle.workflowId);
    return r.status === "completed" ? r : undefined;
  });
  expect(record.runs).toHaveLength(2);
});

it("an accepted update survives a kill -9 of the worker running its handler, and its caller gets the result", async () => {
  await server();
  const doomed = await worker();
  const handle = await client.start("UpdatableWorkflow", { workflowId: "crash-update" });
  const updated = client.update(handle.workflowId, "slowly", 1500);
  await eventually(() => readEffects(effects, "slow-crash-update").length === 1 || undefined, 20_000, "the update's slow step");
  await doomed.kill("SIGKILL");
  await worker();
  expect(await updated).toBe("slept 1500");
  expect(await handle.result()).toBe("updated: slept 1500");
  expect(readEffects(effects, "slow-done-crash-update")).toHaveLength(1);
  const history = await client.history(handle.workflowId);
  expect(history.filter((e) => e.type === "UpdateAccepted")).toHaveLength(1);
  expect(history.filter((e) => e.type === "UpdateCompleted")).toHaveLength(1);
});

it("kill -9 of dfut server while it dispatches starts: each workflow still gets its first task, and runs once", async () => {
  const doomed = await server();
  await worker();
  const ids = Array.from({ length: 200 }, (_, i) => `dispatched-${i}`);
  const starting = Promise.all(ids.map((workflowId) => client.start("ThreeStepWorkflow", { args: [1], workflowId })));
  // Some starts are dispatched, some are in the killed server's hands, some come after.
  await new Promise((resolve) => setTimeout(resolve, 30));
  await doomed.kill("SIGKILL");
  await starting;
  // A second server: what the first held unacked comes to it after the consumer's ack wait.
  await server();
  const results = await Promise.all(ids.map((id) => client.result(id, { timeoutMs: 50_000 })));
  expect(results).toEqual(ids.map(() => ({ a: 10, b: 20, slow: "slept 1", c: 30 })));
  for (const id of ids) expect(readEffects(effects, `step-${id}-1`)).toHaveLength(1);
}, 90_000);

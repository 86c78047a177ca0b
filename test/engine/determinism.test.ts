// The determinism guard across a crash: kill -9 of the worker, a cold replay in another process.
import { afterAll, beforeAll, expect, it } from "vitest";
import { eventually, spawnWorker, startEnv, type TestEnv, type WorkerProcess } from "../support/env.ts";

let env: TestEnv;
const processes: WorkerProcess[] = [];
beforeAll(async () => {
  env = await startEnv();
});
afterAll(async () => {
  await Promise.all(processes.map((p) => p.kill()));
  await env?.stop();
});

it("Date.now(), new Date() and Math.random() in workflow code give the same values after kill -9 and a replay elsewhere", async () => {
  const first = spawnWorker(env.nats.url, "clocky.ts", { DFUT_QUEUE: "clocky" });
  processes.push(first);
  await first.ready;
  const handle = await env.client.start("ClockyWorkflow", { workflowId: "clocky-1", queue: "clocky" });
  const scheduled = await eventually(async () => (await handle.history()).find((e) => e.type === "ActivityScheduled"));
  const seenFirst = scheduled.type === "ActivityScheduled" ? scheduled.args[0] : undefined;
  await eventually(async () => (await handle.history()).some((e) => e.type === "ActivityCompleted"));
  await first.kill("SIGKILL");

  const second = spawnWorker(env.nats.url, "clocky.ts", { DFUT_QUEUE: "clocky" });
  processes.push(second);
  await second.ready;
  await handle.signal("go");
  const result = await handle.result();
  expect(result).toEqual(seenFirst);
  // The clock gave the start's recorded time, not the time of either run.
  const started = (await handle.history())[0];
  expect((result as { now: number }).now).toBe(Date.parse(started.time));
  expect((await handle.history()).filter((e) => e.type === "WorkflowTaskFailed")).toEqual([]);
});

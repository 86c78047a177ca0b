import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DfutClient, DfutServer, connectDfut, type DfutConnection } from "dfut";
import { silentLogger } from "../../src/common/logger.ts";
import { NatsServer } from "../support/nats-server.ts";
import { eventually, spawnWorker, type WorkerProcess } from "../support/env.ts";
import { readEffects } from "../fixtures/effects.ts";

let nats: NatsServer;
let effects: string;
let connection: DfutConnection;
let client: DfutClient;

beforeAll(async () => {
  nats = await NatsServer.start();
  effects = mkdtempSync(join(tmpdir(), "dfut-effects-"));
  connection = await connectDfut({ servers: nats.url });
  client = await DfutClient.connect(connection);
});
afterAll(async () => {
  await connection?.close();
  await nats?.stop();
  rmSync(effects, { recursive: true, force: true });
});

const startWorker = () => spawnWorker(nats.url, "durable.ts", { DFUT_EFFECTS_DIR: effects, DFUT_ACK_WAIT_MS: "2000" });

describe("restarts", () => {
  it("in-flight workflows complete after nats-server stops and restarts on the same store; clients and workers reconnect", async () => {
    const server = await DfutServer.start({ connection: { servers: nats.url }, logger: silentLogger });
    const worker = startWorker();
    await worker.ready;
    try {
      const handles = await Promise.all(
        Array.from({ length: 20 }, (_, i) => client.start("ChainWorkflow", { args: [30, 20], workflowId: `broker-${i}` })),
      );
      const results = handles.map((h) => h.result());
      await eventually(() => readEffects(effects, "echo-broker-0-3").length > 0 || undefined, 20_000, "work to be under way");
      await nats.halt();
      // The broker went down mid-run: no workflow had reached its last step.
      const finishedBeforeHalt = handles.filter((h) => readEffects(effects, `echo-${h.workflowId}-30`).length > 0);
      expect(finishedBeforeHalt).toEqual([]);
      await new Promise((r) => setTimeout(r, 1000));
      await nats.resume();
      const settled = await Promise.race([Promise.all(results), new Promise((r) => setTimeout(() => r("timeout"), 15000))]);
      if (settled === "timeout") {
        for (const h of handles) {
          const hist = await client.history(h.workflowId);
          const last = hist.slice(-3).map((e) => `${e.seq}:${e.type}:${"activityId" in e ? e.activityId : ""}:${"contiguousSince" in e ? e.contiguousSince : ""}`);
          console.log(h.workflowId, hist.at(-1)?.type === "WorkflowCompleted" ? "done" : last.join(" "));
        }
        console.log(worker.output());
      }
      expect(await Promise.all(results)).toEqual(handles.map(() => 30));
      for (let i = 0; i < 20; i++) {
        const history = await client.history(`broker-${i}`);
        const scheduled = history.filter((e) => e.type === "ActivityScheduled").map((e) => e.type === "ActivityScheduled" && e.activityId);
        expect(scheduled).toEqual(Array.from({ length: 30 }, (_, k) => k + 1));
        expect(history.filter((e) => e.type === "WorkflowCompleted")).toHaveLength(1);
      }
    } finally {
      await worker.kill("SIGKILL");
      await server.stop();
    }
  });

  it("a pending timer and a pending retry survive a restart of every process, and the timer fires on time", async () => {
    let server = await DfutServer.start({ connection: { servers: nats.url }, logger: silentLogger });
    let worker: WorkerProcess = startWorker();
    await worker.ready;
    const timer = await client.start("TimerWorkflow", { args: [4000], workflowId: "durable-timer" });
    const retry = await client.start("RetryLaterWorkflow", { args: [4000], workflowId: "durable-retry" });
    await eventually(async () => ((await retry.history()).some((e) => e.type === "ActivityFailed") ? true : undefined), 20_000, "the first attempt to fail");
    await eventually(async () => ((await timer.history()).some((e) => e.type === "TimerStarted") ? true : undefined), 20_000, "the timer to start");

    // Everything goes down: worker (kill -9), dfut server, nats-server.
    await worker.kill("SIGKILL");
    await server.stop();
    await client.close();
    await connection.close();
    await nats.halt();
    await nats.resume();
    connection = await connectDfut({ servers: nats.url });
    client = await DfutClient.connect(connection);
    server = await DfutServer.start({ connection: { servers: nats.url }, logger: silentLogger });
    worker = startWorker();
    await worker.ready;
    try {
      expect(await client.handle("durable-retry").result()).toBe("ok on attempt 2");
      expect(readEffects(effects, "failonce-durable-retry")).toHaveLength(2);
      const timerResult = (await client.handle("durable-timer").result()) as { sleptAtLeast: number };
      expect(timerResult.sleptAtLeast).toBeGreaterThanOrEqual(4000);
      const history = await client.history("durable-timer");
      const started = history.find((e) => e.type === "TimerStarted");
      const fired = history.find((e) => e.type === "TimerFired");
      if (started?.type !== "TimerStarted" || !fired) throw new Error("timer events missing");
      const late = Date.parse(fired.time) - Date.parse(started.fireAt);
      expect(late).toBeGreaterThanOrEqual(0);
      expect(late).toBeLessThan(1000);
    } finally {
      await worker.kill("SIGKILL");
      await server.stop();
    }
  });
});

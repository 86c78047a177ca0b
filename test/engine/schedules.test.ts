// Durable schedules against a real nats-server: fires, pause/resume/trigger/delete, two servers
// racing, catch-up after a stop, overlap policies, and a dfut server killed around a fire.
import { afterAll, beforeAll, expect, it } from "vitest";
import { DfutServer, ScheduleClient, ScheduleNotFoundError, type ScheduleDescription, type ServerOptions, type WorkflowContext } from "dfut";
import type { Logger } from "../../src/common/logger.ts";
import { firedWorkflowId } from "../../src/common/schedule-spec.ts";
import { openSchedules, updateSchedule } from "../../src/common/schedules.ts";
import { eventually, spawnServer, startEnv, type TestEnv, type WorkerProcess } from "../support/env.ts";

async function TinyWorkflow(_ctx: WorkflowContext, n: number) {
  return n;
}
/** Runs until it is signaled "go". */
async function GateWorkflow(ctx: WorkflowContext) {
  return ctx.waitForSignal<string>("go");
}

interface CapturingLogger extends Logger {
  started: string[];
  warnings: string[];
}
function capturing(): CapturingLogger {
  const started: string[] = [];
  const warnings: string[] = [];
  return {
    started,
    warnings,
    info: (m) => {
      const match = /^schedules: \S+ started (\S+)/.exec(m);
      if (match) started.push(match[1]);
    },
    warn: (m) => warnings.push(m),
    error: (m) => warnings.push(m),
  };
}

let env: TestEnv;
let schedules: ScheduleClient;
let main: { server: DfutServer; logger: CapturingLogger } | undefined;
const extra = new Set<DfutServer>();
const spawned: WorkerProcess[] = [];

/** A dfut server on the shared connection, or on one of its own. */
async function startServer(options: Omit<ServerOptions, "connection" | "logger"> & { ownConnection?: boolean } = {}) {
  const logger = capturing();
  const { ownConnection, ...rest } = options;
  const server = await DfutServer.start({ connection: ownConnection ? { servers: env.nats.url } : env.connection, logger, ...rest });
  extra.add(server);
  return { server, logger };
}
async function stopServer(server: DfutServer | undefined) {
  if (!server) return;
  extra.delete(server);
  await server.stop();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const describeSchedule = (id: string) => schedules.describe(id);
const ids = async (prefix: string) => (await env.client.list({ idPrefix: prefix })).map((r) => r.workflowId).sort();
/** The nominal time in a fired workflow's id, ms. */
const nominalOf = (workflowId: string) => {
  const [, d, t] = /-(\d{8})T(\d{6})Z$/.exec(workflowId)!;
  return Date.parse(`${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6)}T${t.slice(0, 2)}:${t.slice(2, 4)}:${t.slice(4)}Z`);
};
/** Waits until the schedule has started at least `n` workflows and none is pending. */
const startedAtLeast = (id: string, n: number, timeoutMs = 10_000) =>
  eventually(async () => {
    const d = await describeSchedule(id);
    return d.counters.started >= n && d.pending.length === 0 ? d : undefined;
  }, timeoutMs, `${id} to start ${n} workflow(s)`);

/** Pauses the schedule, waits for its decided starts, deletes it; returns its last state. */
async function finish(id: string): Promise<ScheduleDescription> {
  await schedules.pause(id);
  const last = await startedAtLeast(id, 0);
  await schedules.delete(id);
  return last;
}
/** The fired workflows of a schedule, once the index has all `count` of them, by nominal time. */
const firedIds = (id: string, count: number, timeoutMs?: number) =>
  eventually(async () => {
    const found = await ids(`${id}-2`);
    if (found.length !== count) throw new Error(`the index has ${found.length}: ${found.join(", ")}`);
    return found;
  }, timeoutMs ?? 10_000, `${count} workflow(s) of ${id} in the index`);

beforeAll(async () => {
  env = await startEnv();
  // This file runs its own servers, so that it decides when none is up.
  await env.server.stop();
  main = await startServer();
  await env.worker({ workflows: { TinyWorkflow, GateWorkflow } });
  schedules = new ScheduleClient(env.connection);
});
afterAll(async () => {
  await Promise.all(spawned.map((p) => p.kill()));
  await Promise.all([...extra].map((s) => s.stop()));
  await env?.stop();
});

it("an --every schedule fires workflows that complete; pause stops it, trigger starts one anyway, resume goes on, delete ends it", async () => {
  const created = await schedules.create("every", { spec: { every: "1s" }, workflow: TinyWorkflow, args: [7] });
  expect(created.specText).toBe("every 1s");
  expect(created.nextFires.map(Date.parse).map((t, i, all) => (i ? t - all[i - 1] : 1000))).toEqual([1000, 1000, 1000, 1000, 1000]);
  await expect(schedules.create("every", { spec: { every: "1s" }, workflow: "TinyWorkflow" })).rejects.toThrow(
    'a schedule with id "every" already exists; delete it first or choose another id',
  );

  const fired = await eventually(async () => {
    const records = await env.client.list({ idPrefix: "every-2" });
    return records.filter((r) => r.status === "completed").length >= 2 ? records : undefined;
  });
  for (const r of fired) expect(r.workflowId).toMatch(/^every-\d{8}T\d{6}Z$/);
  expect(await env.client.result(fired[0].workflowId)).toBe(7);
  const described = await eventually(async () => {
    const d = await describeSchedule("every");
    return d.recentRuns.some((r) => r.status === "completed") ? d : undefined;
  });
  expect(described.recentRuns[0].workflowId).toMatch(/^every-\d{8}T\d{6}Z$/);
  expect(Date.parse(described.nextFires[0])).toBeGreaterThan(Date.parse(described.lastNominalFire));

  await schedules.pause("every", "quiet please");
  const paused = await startedAtLeast("every", 0);
  expect(paused).toMatchObject({ paused: true, note: "quiet please" });
  await sleep(1500);
  expect((await describeSchedule("every")).counters.started).toBe(paused.counters.started);

  const triggered = await schedules.trigger("every");
  expect(triggered.workflowId).toMatch(/^every-manual-\d{8}T\d{6}Z$/);
  expect(await env.client.result(triggered.workflowId)).toBe(7);
  const afterTrigger = await describeSchedule("every");
  expect(afterTrigger.recentRuns[0]).toMatchObject({ workflowId: triggered.workflowId, manual: true });
  expect(afterTrigger.counters.started).toBe(paused.counters.started + 1);

  const resumedAt = Date.now();
  await schedules.resume("every");
  const resumed = await startedAtLeast("every", afterTrigger.counters.started + 1);
  expect(resumed.paused).toBe(false);
  expect(resumed.note).toBeUndefined();
  // The fires that fell in the pause are not caught up, nor counted as missed.
  expect(Date.parse(resumed.recent.at(-1)!.nominal)).toBeGreaterThan(resumedAt - 1000);
  expect(resumed.counters.missedCatchup).toBe(0);

  await schedules.delete("every");
  await expect(schedules.describe("every")).rejects.toBeInstanceOf(ScheduleNotFoundError);
  await expect(schedules.delete("every")).rejects.toThrow('no schedule with id "every"');
  await sleep(300);
  const afterDelete = (await ids("every-")).length;
  await sleep(1500);
  expect((await ids("every-")).length).toBe(afterDelete);
});

it("two servers on the same NATS start each fire once, and a third ticking at random moments changes nothing", async () => {
  const second = await startServer({ ownConnection: true });
  // Ticks by hand, every few ms: it races the others' decisions, starts and confirmations.
  const third = await startServer({ ownConnection: true, schedules: false });
  let hammering = true;
  const hammer = (async () => {
    while (hammering) {
      await third.server.tickSchedules();
      await sleep(Math.random() * 60);
    }
  })();
  try {
    await schedules.create("pair", { spec: { every: "1s" }, workflow: TinyWorkflow, args: [1], overlap: "allow-all" });
    await startedAtLeast("pair", 5);
  } finally {
    hammering = false;
    await hammer;
    await Promise.all([stopServer(second.server), stopServer(third.server)]);
  }
  const last = await finish("pair");
  const fired = await firedIds("pair", last.counters.started);
  expect(last.counters).toMatchObject({ missedCatchup: 0, failedStarts: 0 });
  const nominals = fired.map(nominalOf).sort((a, b) => a - b);
  // One workflow per nominal second, none missing in between, each of one run only.
  expect(nominals.slice(1).map((t, i) => t - nominals[i])).toEqual(nominals.slice(1).map(() => 1000));
  for (const id of fired) expect((await env.client.describe(id)).runs ?? ["one"]).toHaveLength(1);
  // Between them, the two servers started each workflow exactly once.
  const started = [main!, second, third].flatMap(({ logger }) => logger.started.filter((id) => id.startsWith("pair-")));
  expect(started.sort()).toEqual(fired);
  expect([main!, second, third].flatMap(({ logger }) => logger.warnings)).toEqual([]);
});

it("after a stop, fires inside the catch-up window happen oldest first, older ones are skipped and counted", async () => {
  await schedules.create("catchup", { spec: { every: "1s" }, workflow: TinyWorkflow, args: [2], overlap: "allow-all", catchupWindow: "2.5s" });
  await startedAtLeast("catchup", 1);
  await stopServer(main!.server);
  const before = await describeSchedule("catchup");
  await sleep(5000);
  const restartedAt = Date.now();
  main = await startServer();
  await eventually(async () => Date.parse((await describeSchedule("catchup")).lastNominalFire) >= restartedAt);
  const after = await finish("catchup");
  expect(after.counters.missedCatchup).toBeGreaterThanOrEqual(1);
  const caughtUp = after.recent.filter((r) => Date.parse(r.nominal) > Date.parse(before.lastNominalFire) && Date.parse(r.nominal) <= restartedAt);
  expect(caughtUp.length).toBeGreaterThanOrEqual(1);
  for (const run of caughtUp) expect(restartedAt - Date.parse(run.nominal)).toBeLessThanOrEqual(2500);
  // Every second from the first fire to the last either started a workflow or is counted missed.
  const fired = await firedIds("catchup", after.counters.started);
  const nominals = fired.map(nominalOf).sort((a, b) => a - b);
  const gaps = nominals.slice(1).map((t, i) => (t - nominals[i]) / 1000 - 1);
  expect(gaps.reduce((a, b) => a + b, 0)).toBe(after.counters.missedCatchup);
  expect(gaps.filter((g) => g > 0)).toHaveLength(1);
  // Oldest first: the caught-up workflows started in the order of their nominal times.
  const startTimes = await Promise.all(caughtUp.map(async (r) => Date.parse((await env.client.describe(r.workflowId)).startedAt!)));
  expect([...startTimes].sort((a, b) => a - b)).toEqual(startTimes);
});

it("overlap: skip skips fires while the last workflow runs; buffer-one keeps one and starts it when that closes", async () => {
  await schedules.create("gate-skip", { spec: { every: "1s" }, workflow: GateWorkflow, overlap: "skip" });
  await schedules.create("gate-buffer", { spec: { every: "1s" }, workflow: GateWorkflow, overlap: "buffer-one" });
  const skipping = await eventually(async () => {
    const d = await describeSchedule("gate-skip");
    return d.counters.overlapSkipped >= 2 ? d : undefined;
  });
  const buffering = await eventually(async () => {
    const d = await describeSchedule("gate-buffer");
    return d.buffered && d.counters.overlapSkipped >= 1 ? d : undefined;
  });
  expect(skipping.counters.started).toBe(1);
  expect(buffering.counters.started).toBe(1);
  expect(skipping.recentRuns[0].status).toBe("running");

  const bufferedId = buffering.buffered!.workflowId;
  await env.client.signal(skipping.recent[0].workflowId, "go", "skip done");
  await env.client.signal(buffering.recent[0].workflowId, "go", "buffer done");
  const [skipNext, bufferNext] = await Promise.all([startedAtLeast("gate-skip", 2), startedAtLeast("gate-buffer", 2)]);
  // The buffered fire is the one started, though its time passed while it waited.
  expect(bufferNext.recent[1].workflowId).toBe(bufferedId);
  // skip starts the next fire after the close, not one of those it skipped.
  expect(Date.parse(skipNext.recent[1].nominal)).toBeGreaterThan(Date.parse(skipping.lastNominalFire));
  expect(skipNext.recentRuns.find((r) => r.workflowId === skipping.recent[0].workflowId)?.status).toBe("completed");

  for (const id of ["gate-skip", "gate-buffer"]) {
    await schedules.delete(id);
    for (const run of (await env.client.list({ idPrefix: `${id}-`, status: "running" }))) await env.client.terminate(run.workflowId, "test over");
  }
});

it("a fire decided by a server that died before starting it, or after, is started once by the next tick", async () => {
  const paused = await startServer({ schedules: false });
  try {
    await schedules.create("orphan", { spec: { every: "1h" }, workflow: TinyWorkflow, args: [3], paused: true });
    const kv = await openSchedules(env.connection);
    const notStarted = firedWorkflowId("orphan", Date.parse("2025-01-01T00:00:00Z"));
    const startedOnly = firedWorkflowId("orphan", Date.parse("2025-01-01T01:00:00Z"));
    // The second one's workflow started, its confirmation did not land.
    await env.client.start(TinyWorkflow, { workflowId: startedOnly, args: [3] });
    await updateSchedule(kv, "orphan", (r) => ({
      ...r,
      pending: [
        { nominal: "2025-01-01T00:00:00.000Z", workflowId: notStarted },
        { nominal: "2025-01-01T01:00:00.000Z", workflowId: startedOnly },
      ],
    }));
    expect(await paused.server.tickSchedules()).toBe(1);
    const d: ScheduleDescription = await describeSchedule("orphan");
    expect(d.pending).toEqual([]);
    expect(d.recent.map((r) => r.workflowId)).toEqual([notStarted, startedOnly]);
    expect(d.counters.started).toBe(2);
    expect(paused.logger.started).toEqual([notStarted]);
    expect(await env.client.result(notStarted)).toBe(3);
    for (const id of [notStarted, startedOnly]) expect((await env.client.describe(id)).runs ?? ["one"]).toHaveLength(1);
    expect(await paused.server.tickSchedules()).toBe(0);
  } finally {
    await stopServer(paused.server);
    await schedules.delete("orphan").catch(() => undefined);
  }
});

it("kill -9 of a dfut server just after a fire is due: another server makes that fire happen exactly once", async () => {
  await stopServer(main!.server);
  main = undefined;
  const doomed = spawnServer(env.nats.url);
  spawned.push(doomed);
  await doomed.ready;
  await schedules.create("killed", { spec: { every: "1s" }, workflow: TinyWorkflow, args: [4], overlap: "allow-all" });
  await startedAtLeast("killed", 1);
  // Just after the next nominal second, while the doomed server is deciding or starting it.
  const due = Math.ceil((Date.now() + 200) / 1000) * 1000;
  await sleep(due + 15 - Date.now());
  await doomed.kill("SIGKILL");
  main = await startServer();
  await eventually(async () => Date.parse((await describeSchedule("killed")).lastNominalFire) >= due + 1000);
  const after = await finish("killed");
  // A start the killed server had appended but not yet dispatched reaches the index when its
  // event is redelivered to the new server: after the dispatcher consumer's ack wait (30 s).
  const fired = await firedIds("killed", after.counters.started, 45_000);
  expect(fired).toContain(firedWorkflowId("killed", due));
  const nominals = fired.map(nominalOf).sort((a, b) => a - b);
  expect(nominals.slice(1).map((t, i) => t - nominals[i])).toEqual(nominals.slice(1).map(() => 1000));
  expect(after.counters.missedCatchup).toBe(0);
  for (const id of fired) expect((await env.client.describe(id)).runs ?? ["one"]).toHaveLength(1);
  expect(await env.client.result(firedWorkflowId("killed", due))).toBe(4);
}, 90_000);

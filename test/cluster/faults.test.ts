/**
 * dfut on a 3-node NATS cluster (R3 streams, 3 history partitions) through real faults: kill -9
 * of the leader of a history partition, of the JetStream meta leader and of a node that leads
 * nothing, each restarted on its store, while workflows with sequential steps, a fan-out and a
 * timer run. Every call made during a fault must succeed; every workflow completes with its
 * result; no step completes twice.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { DfutClient, DfutServer, Worker, connectDfut, defineActivity, type DfutConnection, type HistoryEvent, type WorkflowContext } from "dfut";
import { silentLogger } from "../../src/common/logger.ts";
import { checkWorkflowType } from "../../src/common/type-check.ts";
import { startHttpServer, type HttpServer } from "../../src/api/http.ts";
import { rpc } from "../api/connect.ts";
import { NatsCluster } from "../support/cluster.ts";

/**
 * Retries wait at most a second: an attempt can be taken for lost while a consumer's leader is
 * elected, and the default backoff would then outlast the test's patience, not dfut's liveness.
 */
const Step = defineActivity(
  async function Step(i: number): Promise<number> {
    await new Promise((resolve) => setTimeout(resolve, 20));
    return i + 1;
  },
  { retry: { initialInterval: 200, maximumInterval: 1000 } },
);
async function ChainWorkflow(ctx: WorkflowContext, steps: number) {
  let i = 0;
  while (i < steps) i = await ctx.executeActivity(Step, i);
  return i;
}
async function FanOutWorkflow(ctx: WorkflowContext, width: number) {
  const all = await Promise.all(Array.from({ length: width }, (_, i) => ctx.executeActivity(Step, i)));
  return all.reduce((a, b) => a + b, 0);
}
async function TimerWorkflow(ctx: WorkflowContext, ms: number) {
  await ctx.sleep(ms);
  const after = await ctx.executeActivity(Step, 41);
  const signal = await ctx.waitForSignal<string>("go");
  return `${after}:${signal}`;
}

const expected = (type: string, arg: number): unknown =>
  type === "ChainWorkflow" ? arg : type === "FanOutWorkflow" ? (arg * (arg + 1)) / 2 : "42:go";

let cluster: NatsCluster;
let connection: DfutConnection;
let server: DfutServer;
let client: DfutClient;
let http: HttpServer;
const workers: Worker[] = [];
const started: { id: string; type: string; arg: number }[] = [];
const calls = { tried: 0, failed: [] as string[] };
/** What the server and workers logged, shown when a workflow does not close. */
const logs: string[] = [];
const logger = {
  info: () => {},
  warn: (m: string) => logs.push(`warn ${m}`),
  error: (m: string) => logs.push(`error ${m}`),
};

beforeAll(async () => {
  cluster = await NatsCluster.start({ nodes: 3 });
  connection = await connectDfut({ servers: cluster.urls });
  server = await DfutServer.start({ connection, replicas: 3, partitions: 3, logger });
  for (let i = 0; i < 2; i++) {
    workers.push(
      await Worker.create({
        connection: { servers: cluster.urls },
        workflows: { ChainWorkflow, FanOutWorkflow, TimerWorkflow },
        activities: { Step },
        logger,
        // Long enough to ride out an election (the default is 30 s), short enough to test recovery.
        ackWaitMs: 10_000,
      }),
    );
  }
  client = await DfutClient.connect({ servers: cluster.urls });
  http = await startHttpServer({ connection, addr: "127.0.0.1:0", report: () => undefined });
}, 120_000);

afterAll(async () => {
  await Promise.allSettled(workers.map((w) => w.stop()));
  await client?.close();
  await http?.close();
  await server?.stop();
  await connection?.close();
  await cluster?.stop();
});

/** A user's call: counted, and any failure kept with its message. */
async function call<T>(what: string, run: () => Promise<T>): Promise<T | undefined> {
  calls.tried++;
  try {
    return await run();
  } catch (err) {
    calls.failed.push(`${what}: ${(err as Error).message}`);
    return undefined;
  }
}

/** Starts (with the type check dfut start makes), reads and signals, as users would during a fault. */
async function useEverything(tag: string): Promise<void> {
  const batch: [string, number][] = [["ChainWorkflow", 6], ["FanOutWorkflow", 8], ["TimerWorkflow", 1500]];
  await Promise.all(
    batch.map(async ([type, arg], i) => {
      const id = `${tag}-${i}`;
      const hints = { useQueue: (q: string) => `--queue ${q}`, skip: "--no-type-check" };
      await call(`type check ${id}`, () => checkWorkflowType(client, type, "default", hints));
      const handle = await call(`start ${id}`, () => client.start(type, { args: [arg], workflowId: id }));
      if (handle) started.push({ id, type, arg });
    }),
  );
  const earlier = started.slice(0, -batch.length);
  await call("list", () => client.list());
  for (const { id } of earlier.slice(-3)) {
    await call(`describe ${id}`, () => client.describe(id));
    await call(`history ${id}`, () => client.history(id));
  }
  // The API the web UI uses, through the same faults.
  const api = async (method: string, body: unknown) => {
    const reply = await rpc(http.url, method, body);
    if (reply.status !== 200) throw new Error(`${method} answered ${reply.status}: ${JSON.stringify(reply.body)}`);
  };
  await call("API ListWorkflows", () => api("ListWorkflows", {}));
  await call("API ListWorkflowTypes", () => api("ListWorkflowTypes", {}));
  const last = earlier.at(-1);
  if (last) {
    await call(`API GetWorkflow ${last.id}`, () => api("GetWorkflow", { workflowId: last.id }));
    await call(`API GetHistory ${last.id}`, () => api("GetHistory", { workflowId: last.id }));
  }
  await call(`API StartWorkflow ${tag}-api`, async () => {
    await api("StartWorkflow", { type: "ChainWorkflow", args: [3], workflowId: `${tag}-api` });
    started.push({ id: `${tag}-api`, type: "ChainWorkflow", arg: 3 });
  });
}

const signaled = new Set<string>();

/** Sends each timer workflow its signal once. */
async function signalTimers(): Promise<void> {
  for (const { id, type } of started) {
    if (type !== "TimerWorkflow" || signaled.has(id)) continue;
    signaled.add(id);
    await call(`signal ${id}`, () => client.signal(id, "go", "go"));
  }
}

it("reads right after a write see it: histories are read from the stream leader, not a follower that is behind", async () => {
  const misses: string[] = [];
  await Promise.all(
    Array.from({ length: 4 }, async (_, lane) => {
      for (let i = 0; i < 40; i++) {
        const id = `read-after-write-${lane}-${i}`;
        await client.start("ChainWorkflow", { args: [1], workflowId: id });
        const history = await client.history(id).catch((err: unknown) => (err as Error).message);
        if (typeof history === "string") misses.push(`${id}: ${history}`);
      }
    }),
  );
  expect(misses).toEqual([]);
});

it("every call succeeds and every workflow completes once through kill -9 of a partition leader, the meta leader and a follower", async () => {
  const layout = connection.layout!;
  await useEverything("before");

  const partitionLeader = await cluster.streamLeader(layout.stream("before-0"));
  await cluster.kill(partitionLeader);
  await useEverything("partition-leader-down");
  await cluster.restart(partitionLeader);

  const metaLeader = await cluster.metaLeader();
  await cluster.kill(metaLeader);
  await useEverything("meta-leader-down");
  await signalTimers();
  await cluster.restart(metaLeader);

  const leaders = new Set(await Promise.all(layout.streams().map((s) => cluster.streamLeader(s))));
  const follower = cluster.running().find((n) => !leaders.has(n)) ?? cluster.running().find((n) => n !== partitionLeader)!;
  await cluster.kill(follower);
  await useEverything("follower-down");
  await cluster.restart(follower);
  await signalTimers();

  const results = await Promise.all(started.map(({ id }) => call(`result ${id}`, () => client.result(id, { timeoutMs: 60_000 }))));
  for (const [i, { id }] of started.entries()) {
    if (results[i] !== undefined) continue;
    const tail = (await client.history(id))
      .slice(-4)
      .map((e) => `${e.seq} ${e.type}${e.type === "ActivityFailed" ? ` #${e.activityId}/${e.attempt} ${e.error.name} retry=${e.willRetry}` : ""}`);
    console.log(`${id} did not close: ${tail.join(", ")}; ${JSON.stringify(await client.describe(id))}`);
  }
  if (results.includes(undefined)) console.log(`server and worker logs:\n${logs.slice(-60).join("\n")}`);
  expect(calls.failed).toEqual([]);
  expect(results).toEqual(started.map(({ type, arg }) => expected(type, arg)));
  expect(started).toHaveLength(16);

  for (const { id } of started) {
    const history: HistoryEvent[] = await client.history(id);
    const completed = history.filter((e) => e.type === "ActivityCompleted").map((e) => e.type === "ActivityCompleted" && e.activityId);
    expect(new Set(completed).size, `${id}: a step completed twice`).toBe(completed.length);
  }
  console.log(`cluster faults: ${calls.tried} calls during three node losses, ${calls.failed.length} failed; ${started.length} workflows completed`);
}, 300_000);

it("refuses more replicas than the cluster has nodes, saying how many it can take", async () => {
  const other = await connectDfut({ servers: cluster.urls });
  try {
    const refused = await DfutServer.start({ connection: other, replicas: 5 }).catch((e: unknown) => e);
    expect((refused as Error).message).toMatch(/^NATS cannot place 5 replicas of stream \S+ \(.*\); --replicas can be at most the number of JetStream servers in the cluster/);
  } finally {
    await other.close();
  }
});

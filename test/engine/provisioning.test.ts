import { afterAll, beforeAll, expect, it } from "vitest";
import { DfutClient, DfutServer, Worker, connectDfut, type DfutConnection, type WorkflowContext } from "dfut";
import { NatsServer } from "../support/nats-server.ts";

async function Hello(name: string): Promise<string> {
  return `hello ${name}`;
}
async function HelloWorkflow(ctx: WorkflowContext, name: string) {
  return ctx.executeActivity(Hello, name);
}

let nats: NatsServer;
const connections: DfutConnection[] = [];
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  nats = await NatsServer.start();
});
afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
  for (const c of connections) await c.close().catch(() => undefined);
  await nats?.stop();
});

async function connection(): Promise<DfutConnection> {
  const c = await connectDfut({ servers: nats.url });
  connections.push(c);
  return c;
}

it("a worker started before any server waits for dfut to be provisioned, saying so, then works", async () => {
  const said: string[] = [];
  const logger = { info: () => {}, warn: (m: string) => said.push(m), error: () => {} };
  const starting = Worker.create({ connection: { servers: nats.url }, workflows: { HelloWorkflow }, activities: { Hello }, logger });
  await expect.poll(() => said.length, { timeout: 10_000 }).toBeGreaterThan(0);
  expect(said[0]).toMatch(/^waiting for dfut to be provisioned on NATS \(missing: history streams\); start 'dfut server' against it$/);

  // Two servers at once on the fresh NATS: both provision, neither fails.
  const servers = await Promise.all([DfutServer.start({ connection: await connection() }), DfutServer.start({ connection: await connection() })]);
  for (const s of servers) closers.push(() => s.stop());
  const worker = await starting;
  closers.push(() => worker.stop());

  const client = await DfutClient.connect({ servers: nats.url });
  closers.push(() => client.close());
  expect(await client.execute(HelloWorkflow, { args: ["cluster"] })).toBe("hello cluster");
});

it("refuses more replicas than the NATS has servers, and another partition count than provisioned", async () => {
  const tooMany = await DfutServer.start({ connection: await connection(), replicas: 3 }).catch((e: unknown) => e);
  expect((tooMany as Error).message).toMatch(
    /^NATS cannot place 3 replicas of stream DFUT_HISTORY \(.*\); --replicas can be at most the number of JetStream servers in the cluster \(1 on a single server\)$/,
  );
  const otherCount = await DfutServer.start({ connection: await connection(), partitions: 4 }).catch((e: unknown) => e);
  expect((otherCount as Error).message).toMatch(/^dfut on this NATS has 1 history partition\(s\); --partitions 4 would put existing workflows in other streams/);
});

it("sees a layout whose streams are not all there as still being provisioned, and refuses a mixed one", async () => {
  const { discoverLayout } = await import("../../src/common/layout.ts");
  const other = await NatsServer.start();
  const c = await connectDfut({ servers: other.url });
  try {
    expect(await discoverLayout(c.jsm)).toEqual({ state: "none" });
    for (const p of [0, 1]) await c.jsm.streams.add({ name: `DFUT_HISTORY_${p}_OF_3`, subjects: [`dfut.history.${p}.>`] });
    const partial = await discoverLayout(c.jsm);
    expect(partial.state === "partial" && [partial.layout.partitions, partial.missing]).toEqual([3, ["DFUT_HISTORY_2_OF_3"]]);
    await c.jsm.streams.add({ name: "DFUT_HISTORY_0_OF_2", subjects: ["dfut.other.>"] });
    await expect(discoverLayout(c.jsm)).rejects.toThrow(/of different partition counts \(DFUT_HISTORY_0_OF_2, DFUT_HISTORY_0_OF_3, DFUT_HISTORY_1_OF_3\)/);
  } finally {
    await c.close();
    await other.stop();
  }
});

it("moves a dispatcher consumer of an earlier version (cumulative acks) to explicit acks, from where it had acked", async () => {
  const { AckPolicy } = await import("@nats-io/jetstream");
  const c = await connection();
  const first = await DfutServer.start({ connection: c, logger: { info: () => {}, warn: () => {}, error: () => {} } });
  const client = await DfutClient.connect(c);
  const worker = await Worker.create({ connection: { servers: nats.url }, workflows: { HelloWorkflow }, activities: { Hello } });
  closers.push(() => worker.stop());
  expect(await client.execute(HelloWorkflow, { args: ["one"] })).toBe("hello one");
  await first.stop();
  // What an earlier version left: the same consumer, acking cumulatively, with its ack floor.
  const stream = c.layout!.streams()[0];
  const before = await c.jsm.consumers.info(stream, "dfut-dispatcher");
  await c.jsm.consumers.delete(stream, "dfut-dispatcher");
  await c.jsm.consumers.add(stream, {
    ...before.config,
    ack_policy: AckPolicy.All,
    deliver_policy: (await import("@nats-io/jetstream")).DeliverPolicy.StartSequence,
    opt_start_seq: before.delivered.stream_seq + 1,
  });
  const second = await DfutServer.start({ connection: c, logger: { info: () => {}, warn: () => {}, error: () => {} } });
  closers.push(() => second.stop());
  const after = await c.jsm.consumers.info(stream, "dfut-dispatcher");
  expect(after.config.ack_policy).toBe(AckPolicy.Explicit);
  expect(after.config.opt_start_seq).toBeGreaterThan(0);
  expect(await client.execute(HelloWorkflow, { args: ["two"] })).toBe("hello two");
});

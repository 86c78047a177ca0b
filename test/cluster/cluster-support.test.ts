/** The cluster test support itself, on plain JetStream: leaders found, killed -9, re-elected, a node rejoining on its store. */
import { existsSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jetstream, jetstreamManager, type JetStreamClient } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { NatsCluster } from "../support/cluster.ts";

const STREAM = "CLUSTER_SUPPORT";

/** Retries `attempt` while the cluster elects, for up to `timeoutMs`. */
async function eventually<T>(attempt: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(200);
    }
  }
}

function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}

describe("NatsCluster", () => {
  let cluster: NatsCluster;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let published = 0;
  const pids: number[] = [];

  /** Publishes with a message id, so that a retry after a lost ack stores it once. */
  const publish = (): Promise<unknown> => {
    const n = ++published;
    return eventually(() => js.publish(`${STREAM}.m`, `m${n}`, { msgID: `m${n}`, timeout: 2000 }));
  };

  const storedMessages = async (): Promise<number> => {
    const jsm = await jetstreamManager(nc, { timeout: 2000 });
    return (await jsm.streams.info(STREAM)).state.messages;
  };

  const recordPids = (): void => {
    for (const name of cluster.running()) {
      const pid = cluster.pid(name);
      if (pid !== undefined && !pids.includes(pid)) pids.push(pid);
    }
  };

  beforeAll(async () => {
    cluster = await NatsCluster.start({ nodes: 3 });
    recordPids();
    nc = await connect({ servers: cluster.urls, maxReconnectAttempts: -1, reconnectTimeWait: 200 });
    js = jetstream(nc, { timeout: 2000 });
  });

  afterAll(async () => {
    await nc?.close().catch(() => undefined);
    await cluster?.stop();
  });

  it("starts every node with its own ports and store, and a meta leader", async () => {
    expect(cluster.nodes.map((n) => n.name)).toEqual(["n1", "n2", "n3"]);
    expect(new Set(cluster.nodes.flatMap((n) => [n.port, n.clusterPort, Number(new URL(n.monitoringUrl).port)])).size).toBe(9);
    expect(cluster.url("n2")).toBe(cluster.nodes[1].url);
    expect(cluster.running()).toEqual(["n1", "n2", "n3"]);
    expect(cluster.running()).toContain(await cluster.metaLeader());
  });

  it("elects a new stream leader on another node when the leader is killed -9", async () => {
    const jsm = await jetstreamManager(nc, { timeout: 2000 });
    await eventually(() => jsm.streams.add({ name: STREAM, subjects: [`${STREAM}.>`], num_replicas: 3 }));
    for (let i = 0; i < 5; i++) await publish();
    await cluster.waitForStreamCurrent(STREAM);

    const leader = await cluster.streamLeader(STREAM);
    await cluster.kill(leader);
    expect(cluster.pid(leader)).toBeUndefined();
    const next = await cluster.waitForStreamLeader(STREAM, leader);
    expect(next).not.toBe(leader);
    expect(cluster.running()).toContain(next);

    for (let i = 0; i < 5; i++) await publish();
    expect(await eventually(storedMessages)).toBe(10);

    await cluster.restart(leader);
    recordPids();
    await cluster.waitForStreamCurrent(STREAM);
    const info = await eventually(() => jsm.streams.info(STREAM));
    expect([info.cluster?.leader, ...(info.cluster?.replicas ?? []).map((r) => r.name)].sort()).toEqual(["n1", "n2", "n3"]);
    expect(info.state.messages).toBe(10);
  });

  it("elects a new meta leader when the meta leader is killed -9", async () => {
    const leader = await cluster.metaLeader();
    await cluster.kill(leader);
    const next = await cluster.waitForMetaLeader(leader);
    expect(next).not.toBe(leader);
    expect(cluster.running()).toContain(next);
    await publish();
    expect(await eventually(storedMessages)).toBe(11);
  });

  it("moves a stream's leadership on request", async () => {
    const leader = await cluster.streamLeader(STREAM);
    expect(await cluster.stepDown(STREAM)).not.toBe(leader);
  });

  it("stop() leaves no nats-server and no store behind, and may be called again", async () => {
    await nc.close();
    await cluster.stop();
    await cluster.stop();
    expect(pids.length).toBe(4);
    expect(pids.filter((pid) => !isGone(pid))).toEqual([]);
    expect(cluster.running()).toEqual([]);
    expect(cluster.nodes.filter((n) => existsSync(n.storeDir))).toEqual([]);
  });
});

/**
 * A real NATS cluster with JetStream on loopback, for what one server cannot show: leader
 * elections, a node killed -9 and restarted on its store.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { jetstreamManager, type ApiError, type ClusterInfo, type StreamInfo } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { findNatsServer, freePort } from "./nats-server.ts";

export interface ClusterNode {
  /** The server name, `n1`…; what leader fields in JetStream answers say. */
  readonly name: string;
  readonly url: string;
  readonly port: number;
  readonly clusterPort: number;
  /** The HTTP monitoring endpoint (`/varz`, `/jsz`…). */
  readonly monitoringUrl: string;
  /** JetStream's `store_dir`; it survives `kill` and `restart`. */
  readonly storeDir: string;
}

export interface NatsClusterOptions {
  nodes?: number;
  /** Bound for each wait: start, restart, and the leader polls. */
  timeoutMs?: number;
}

interface Member extends ClusterNode {
  readonly dir: string;
  readonly configFile: string;
  child?: ChildProcess;
  exited?: Promise<void>;
  log: string;
}

interface MetaReplica {
  name: string;
  current: boolean;
  offline?: boolean;
}

/** The part of `/jsz` used here; only the meta leader lists `replicas`. */
interface Jsz {
  meta_cluster?: { leader?: string; replicas?: MetaReplica[] };
}

const CLUSTER_NAME = "dfut-test";
const DEFAULT_TIMEOUT_MS = 30_000;
const REQUEST_TIMEOUT_MS = 2000;
const POLL_INTERVAL_MS = 100;
const LOG_TAIL_LINES = 30;

// Children and temporary directories of every cluster in this process, so that a test that
// fails before stop(), or a worker that vitest terminates, leaves no nats-server and no store behind.
const liveChildren = new Set<ChildProcess>();
const liveDirs = new Set<string>();
let safetyInstalled = false;

function cleanUpEverything(): void {
  for (const child of liveChildren) child.kill("SIGKILL");
  for (const dir of liveDirs) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // A store the just-killed server was still writing to; nothing more can be done on exit.
    }
  }
}

function installSafety(): void {
  if (safetyInstalled) return;
  safetyInstalled = true;
  process.on("exit", cleanUpEverything);
  // vitest ends its fork workers with SIGTERM, which skips "exit". Once cleaned up, the signal is
  // raised again for its default action unless someone else listens for it.
  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
    process.once(signal, () => {
      cleanUpEverything();
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

function track(child: ChildProcess): void {
  installSafety();
  liveChildren.add(child);
  child.once("exit", () => liveChildren.delete(child));
}

function isRunning(child: ChildProcess | undefined): child is ChildProcess {
  return child?.pid !== undefined && child.exitCode === null && child.signalCode === null;
}

function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function describeApiError(error: ApiError): string {
  return `${error.description} (status ${error.code}, err_code ${error.err_code})`;
}

async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

function configFor(member: Member, routes: string[]): string {
  return [
    `server_name: ${member.name}`,
    `listen: "127.0.0.1:${member.port}"`,
    `http: ${JSON.stringify(member.monitoringUrl.replace("http://", ""))}`,
    `jetstream {`,
    `  store_dir: ${JSON.stringify(member.storeDir)}`,
    `  max_memory_store: 64MB`,
    `  max_file_store: 256MB`,
    `}`,
    `cluster {`,
    `  name: ${CLUSTER_NAME}`,
    `  listen: "127.0.0.1:${member.clusterPort}"`,
    `  routes: [${routes.map((r) => JSON.stringify(r)).join(", ")}]`,
    `}`,
    "",
  ].join("\n");
}

/** A cluster of real nats-server processes on loopback, each with its own ports, config and store. */
export class NatsCluster {
  readonly nodes: readonly ClusterNode[];
  readonly #members: Member[];
  readonly #timeoutMs: number;
  #stopped = false;

  private constructor(members: Member[], timeoutMs: number) {
    this.#members = members;
    this.nodes = members.map(({ name, url, port, clusterPort, monitoringUrl, storeDir }) =>
      Object.freeze({ name, url, port, clusterPort, monitoringUrl, storeDir }),
    );
    this.#timeoutMs = timeoutMs;
  }

  /** Starts every node and resolves once the meta group has a leader that sees all peers current and JetStream answers on every node. */
  static async start({ nodes = 3, timeoutMs = DEFAULT_TIMEOUT_MS }: NatsClusterOptions = {}): Promise<NatsCluster> {
    const ports = await distinctFreePorts(nodes * 3);
    const members: Member[] = [];
    for (let i = 0; i < nodes; i++) {
      installSafety();
      const dir = mkdtempSync(join(tmpdir(), `dfut-cluster-n${i + 1}-`));
      liveDirs.add(dir);
      const port = ports[i * 3];
      members.push({
        name: `n${i + 1}`,
        url: `nats://127.0.0.1:${port}`,
        port,
        clusterPort: ports[i * 3 + 1],
        monitoringUrl: `http://127.0.0.1:${ports[i * 3 + 2]}`,
        storeDir: join(dir, "store"),
        dir,
        configFile: join(dir, "nats.conf"),
        log: "",
      });
    }
    const routes = members.map((m) => `nats-route://127.0.0.1:${m.clusterPort}`);
    for (const member of members) {
      mkdirSync(member.storeDir);
      writeFileSync(member.configFile, configFor(member, routes));
    }
    const cluster = new NatsCluster(members, timeoutMs);
    try {
      await Promise.all(members.map((m) => cluster.#spawn(m)));
      await cluster.#until("the JetStream meta group to form with every node current", async () => {
        const leader = await cluster.#currentMetaLeader();
        const replicas = (await cluster.#jsz(cluster.#member(leader))).meta_cluster?.replicas ?? [];
        for (const m of members) {
          if (m.name !== leader && !replicas.some((r) => r.name === m.name && r.current && !r.offline)) {
            throw new Error(`meta leader ${leader} does not see ${m.name} as current yet`);
          }
        }
        await Promise.all(members.map((m) => cluster.#jetStreamInfo(m)));
        return true;
      });
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  /** Every node's client URL, whether it runs or not (join with "," for a `servers` string). */
  get urls(): string[] {
    return this.#members.map((m) => m.url);
  }

  url(name: string): string {
    return this.#member(name).url;
  }

  /** The names of the nodes whose process runs. */
  running(): string[] {
    return this.#live().map((m) => m.name);
  }

  /** The process id of a running node, undefined while it is down. */
  pid(name: string): number | undefined {
    const child = this.#member(name).child;
    return isRunning(child) ? child.pid : undefined;
  }

  /** Everything the node has logged, across restarts. */
  log(name: string): string {
    return this.#member(name).log;
  }

  /** kill -9: no shutdown, the store stays as the crash left it. */
  async kill(name: string): Promise<void> {
    const member = this.#member(name);
    if (!isRunning(member.child)) return;
    member.child.kill("SIGKILL");
    await member.exited;
  }

  /** Starts a node again on its ports and store; resolves once the meta group sees it current. */
  async restart(name: string): Promise<void> {
    const member = this.#member(name);
    if (this.#stopped) throw new Error("the cluster is stopped");
    if (isRunning(member.child)) throw new Error(`${name} is running; kill it first`);
    member.log += `\n--- restart of ${name} ---\n`;
    await this.#spawn(member);
    await this.#until(`${name} to rejoin the JetStream meta group`, async () => {
      const leader = await this.#currentMetaLeader();
      if (leader !== name) {
        const replica = (await this.#jsz(this.#member(leader))).meta_cluster?.replicas?.find((r) => r.name === name);
        if (!replica?.current || replica.offline) throw new Error(`meta leader ${leader} does not see ${name} as current yet`);
      }
      // The leader may still call the node current from before the kill; the node knowing the
      // leader shows it has heard from it since the restart.
      const own = (await this.#jsz(member)).meta_cluster?.leader;
      if (own !== leader) throw new Error(`${name} sees meta leader ${own || "none"}, the others ${leader}`);
      await this.#jetStreamInfo(member);
      return true;
    });
  }

  /** Kills every node and removes their directories; safe to call twice. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await Promise.all(this.#members.map((m) => this.kill(m.name)));
    for (const m of this.#members) {
      rmSync(m.dir, { recursive: true, force: true });
      liveDirs.delete(m.dir);
    }
  }

  /** The meta leader's name, once a quorum of running nodes agrees on a running one. */
  metaLeader(): Promise<string> {
    return this.waitForMetaLeader();
  }

  /** Polls until the meta group has a leader, other than `notOn` when given. */
  waitForMetaLeader(notOn?: string): Promise<string> {
    return this.#until(notOn ? `a meta leader other than ${notOn}` : "a meta leader", async () => {
      const leader = await this.#currentMetaLeader();
      if (leader === notOn) throw new Error(`the meta leader is still ${leader}`);
      return leader;
    });
  }

  /** The name of the running node leading the stream's group. */
  streamLeader(stream: string): Promise<string> {
    return this.waitForStreamLeader(stream);
  }

  /** Polls until the stream has a running leader, other than `notOn` when given. */
  waitForStreamLeader(stream: string, notOn?: string): Promise<string> {
    return this.#waitForGroupLeader(`stream ${stream}`, notOn, async () => (await this.#streamInfo(stream)).cluster);
  }

  /** The name of the running node leading a consumer's group (its own, apart from its stream's). */
  consumerLeader(stream: string, consumer: string): Promise<string> {
    return this.waitForConsumerLeader(stream, consumer);
  }

  /** Polls until the consumer has a running leader, other than `notOn` when given. */
  waitForConsumerLeader(stream: string, consumer: string, notOn?: string): Promise<string> {
    return this.#waitForGroupLeader(`consumer ${stream} > ${consumer}`, notOn, () =>
      this.#withConnection(this.#live(), async (nc) => {
        const jsm = await jetstreamManager(nc, { timeout: REQUEST_TIMEOUT_MS, checkAPI: false });
        return (await jsm.consumers.info(stream, consumer)).cluster;
      }),
    );
  }

  /** Polls until the stream has a leader and all its replicas are current (caught up), e.g. before the next kill. */
  async waitForStreamCurrent(stream: string): Promise<void> {
    await this.#until(`every replica of stream ${stream} to be current`, async () => {
      const info = await this.#streamInfo(stream);
      const leader = info.cluster?.leader;
      const replicas = info.cluster?.replicas ?? [];
      const followers = (info.config.num_replicas ?? 1) - 1;
      if (!leader || !this.running().includes(leader)) throw new Error(`stream ${stream} reports leader ${leader || "none"}`);
      const behind = replicas.filter((r) => !r.current || r.offline).map((r) => r.name);
      if (replicas.length < followers || behind.length > 0) {
        throw new Error(`stream ${stream}: leader ${leader}, followers ${replicas.map((r) => r.name).join(", ") || "none"}, not current: ${behind.join(", ") || "none"}`);
      }
      return true;
    });
  }

  /** Asks the stream's leader to step down; resolves with the newly elected leader. */
  async stepDown(stream: string): Promise<string> {
    const old = await this.waitForStreamLeader(stream);
    await this.#until(`stream ${stream} leader ${old} to step down`, () =>
      this.#withConnection(this.#live(), async (nc) => {
        const reply = await nc.request(`$JS.API.STREAM.LEADER.STEPDOWN.${stream}`, undefined, { timeout: REQUEST_TIMEOUT_MS });
        const body = reply.json<{ success?: boolean; error?: ApiError }>();
        if (body.error) throw new Error(`step-down refused: ${describeApiError(body.error)}`);
        return true;
      }),
    );
    return this.waitForStreamLeader(stream, old);
  }

  #member(name: string): Member {
    const member = this.#members.find((m) => m.name === name);
    if (!member) throw new Error(`no node ${name} in this cluster (${this.#members.map((m) => m.name).join(", ")})`);
    return member;
  }

  #live(): Member[] {
    return this.#members.filter((m) => isRunning(m.child));
  }

  #spawn(member: Member): Promise<void> {
    const child = spawn(findNatsServer(), ["-c", member.configFile], { stdio: ["ignore", "ignore", "pipe"] });
    track(child);
    member.child = child;
    member.exited = new Promise((resolve) => {
      child.once("exit", () => resolve());
      child.once("error", () => resolve());
    });
    const from = member.log.length;
    return new Promise<void>((resolve, reject) => {
      const finish = (err?: Error): void => {
        clearTimeout(timer);
        child.stderr?.off("data", onReady);
        child.off("exit", onExit);
        if (err) reject(err);
        else resolve();
      };
      const onReady = (): void => {
        if (member.log.includes("Server is ready", from)) finish();
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null): void =>
        finish(new Error(`nats-server ${member.name} exited (${signal ?? code}) before it was ready:\n${member.log.slice(from)}`));
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        finish(new Error(`nats-server ${member.name} not ready within ${this.#timeoutMs} ms:\n${member.log.slice(from)}`));
      }, this.#timeoutMs);
      child.stderr?.setEncoding("utf8");
      child.stderr?.on("data", (d: string) => (member.log += d));
      child.stderr?.on("data", onReady);
      child.once("exit", onExit);
      child.once("error", (err) => finish(new Error(`nats-server ${member.name} did not start: ${err.message}`)));
    });
  }

  /** Retries `probe` until it returns, or fails after the deadline with its last error and the nodes' logs. */
  async #until<T>(what: string, probe: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.#timeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
      try {
        return await probe();
      } catch (err) {
        last = err;
      }
      await sleep(POLL_INTERVAL_MS);
    }
    throw new Error(`timed out after ${this.#timeoutMs} ms waiting for ${what}; last: ${describeError(last)}\n${this.#logTails()}`);
  }

  #logTails(): string {
    return this.#members
      .map((m) => {
        const state = isRunning(m.child) ? `running, pid ${m.child.pid}` : "down";
        const tail = m.log.trimEnd().split("\n").slice(-LOG_TAIL_LINES).join("\n");
        return `--- ${m.name} (${state}), last ${LOG_TAIL_LINES} log lines ---\n${tail}`;
      })
      .join("\n");
  }

  async #jsz(member: Member): Promise<Jsz> {
    const res = await fetch(`${member.monitoringUrl}/jsz`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    if (!res.ok) throw new Error(`${member.name} /jsz answered ${res.status}`);
    return (await res.json()) as Jsz;
  }

  /**
   * Followers keep naming a killed leader until they elect another, so a leader counts only
   * when it runs, names itself, and a quorum of the running nodes names it too.
   */
  async #currentMetaLeader(): Promise<string> {
    const views = await Promise.all(
      this.#live().map(async (m) => ({
        name: m.name,
        leader: await this.#jsz(m).then(
          (jsz) => jsz.meta_cluster?.leader,
          () => undefined,
        ),
      })),
    );
    const describe = (): string => views.map((v) => `${v.name}→${v.leader || "?"}`).join(", ") || "no node running";
    const leader = views.find((v) => v.leader === v.name)?.name;
    if (!leader) throw new Error(`no running node leads the meta group (${describe()})`);
    const quorum = Math.floor(this.#members.length / 2) + 1;
    if (views.filter((v) => v.leader === leader).length < quorum) throw new Error(`no quorum behind meta leader ${leader} (${describe()})`);
    return leader;
  }

  /** A leader that is down, or none, means an election is under way: poll on. */
  #waitForGroupLeader(group: string, notOn: string | undefined, cluster: () => Promise<ClusterInfo | undefined>): Promise<string> {
    return this.#until(notOn ? `a leader of ${group} other than ${notOn}` : `a leader of ${group}`, async () => {
      const leader = (await cluster())?.leader;
      if (!leader || !this.running().includes(leader)) throw new Error(`${group} reports leader ${leader || "none"}`);
      if (leader === notOn) throw new Error(`${group} is still led by ${leader}`);
      return leader;
    });
  }

  async #withConnection<T>(members: Member[], use: (nc: NatsConnection) => Promise<T>): Promise<T> {
    if (members.length === 0) throw new Error("no node is running");
    const nc = await connect({ servers: members.map((m) => m.url), reconnect: false, timeout: REQUEST_TIMEOUT_MS });
    try {
      return await use(nc);
    } finally {
      await nc.close().catch(() => undefined);
    }
  }

  /** `$JS.API.INFO` through a connection to this node alone. */
  #jetStreamInfo(member: Member): Promise<void> {
    return this.#withConnection([member], async (nc) => {
      const reply = await nc.request("$JS.API.INFO", undefined, { timeout: REQUEST_TIMEOUT_MS });
      const body = reply.json<{ error?: ApiError }>();
      if (body.error) throw new Error(`JetStream on ${member.name}: ${describeApiError(body.error)}`);
    });
  }

  #streamInfo(stream: string): Promise<StreamInfo> {
    return this.#withConnection(this.#live(), async (nc) => {
      const jsm = await jetstreamManager(nc, { timeout: REQUEST_TIMEOUT_MS, checkAPI: false });
      return jsm.streams.info(stream);
    });
  }
}

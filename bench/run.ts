/**
 * dfut benchmark. nats-server, the dfut server and one worker run as separate processes on this
 * machine; the client (and the JetStream floor measurement) run here.
 *
 *   npm run -s bench                       # builds dist/dfut first, then runs this
 *   node --conditions=dfut-source bench/run.ts [options]   ("dfut" from the sources: package.json)
 *
 * Options:
 *   --mode auto|dist|bundle|src
 *                          server and worker from dist/dfut; or bench/*-main.ts bundled with esbuild
 *                          into one JS file each (close to what the executable runs); or
 *                          bench/*-main.ts from the TypeScript sources. auto: dist if built, else bundle
 *   --phases a,b,…         floor,latency,throughput,long,fanout (default: all)
 *   --width N              activities of the fan-out workflow (Promise.all), default 1000
 *   --cpu-prof <dir>       write V8 CPU profiles of the server and worker processes to <dir>
 *                          (src mode, or dist mode through NODE_OPTIONS)
 *   --cluster              afterwards, the latency and throughput phases again on a 3-node cluster
 *                          (streams R3) with 1 and with 3 history partitions, each on a fresh
 *                          cluster, with the writes split by the node leading each stream (dist
 *                          mode only); --cluster-runs / --cluster-workflows set their counts
 *   --no-table             only the JSON object
 *
 * Environment: BENCH_SERVER_ARGS / BENCH_WORKER_ARGS add arguments to `dfut server` / `dfut worker`
 * (dist mode; the server gets `--http 127.0.0.1:<free port>` unless these name --http or --no-http);
 * BENCH_NODE_FLAGS adds Node flags to the server and worker (bundle/src modes).
 *
 * Prints one JSON object on stdout, then (on stderr) a markdown table against the targets.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { RetentionPolicy, StorageType, type JetStreamManager } from "@nats-io/jetstream";
import { DfutClient, WorkflowNotFoundError, type WorkflowHandle } from "dfut";
import { NatsCluster } from "../test/support/cluster.ts";
import { findNatsServer, freePort } from "../test/support/nats-server.ts";
import { expectedOrder } from "./workload.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const DIST = join(ROOT, "dist", "dfut");
const WORKLOAD = join(ROOT, "bench", "workload.ts");
const DEADLINE_MS = 170_000;
/** The cluster runs: nodes, stream replicas, the history partition counts compared, and the time each adds to the deadline. */
const CLUSTER = { nodes: 3, replicas: 3, partitions: [1, 3], deadlineMs: 90_000 };

const TARGETS = {
  latencyP50Ms: 2.0,
  latencyP99Ms: 6.0,
  workflowsPerSec: 2000,
  longPerStepRatio: 1.5,
  fanOutRatio: 1.5,
  rssTotalMb: 150,
};
const OTHERS = {
  restate: { name: "Restate 1.7", p50: "4.4–4.8", p99: "10–12", wfs: "760–990", rss: "290" },
  dbos: { name: "DBOS 5.3 + Postgres", p50: "4.4–4.9", p99: "12–13", wfs: "420–490", rss: "–" },
  rawJs: { name: "raw JetStream publish (2.9.10)", p50: "0.12", p99: "1.4–1.7", wfs: "42–43k msg/s", rss: "29" },
};

// ---------------------------------------------------------------------------------------------
// options

const { values: opts } = parseArgs({
  options: {
    mode: { type: "string", default: "auto" },
    phases: { type: "string", default: "floor,latency,throughput,long,fanout" },
    width: { type: "string", default: "1000" },
    "cpu-prof": { type: "string" },
    "no-table": { type: "boolean", default: false },
    warmup: { type: "string", default: "20" },
    runs: { type: "string", default: "200" },
    workflows: { type: "string", default: "1000" },
    inflight: { type: "string", default: "100" },
    steps: { type: "string", default: "200" },
    cluster: { type: "boolean", default: false },
    "cluster-runs": { type: "string", default: "200" },
    "cluster-workflows": { type: "string", default: "1000" },
  },
});
/** A bad option: nothing has been started yet, so nothing to clean up. */
function refuse(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(1);
}

const phases = new Set(opts.phases!.split(",").map((s) => s.trim()));
type Mode = "dist" | "bundle" | "src";
const mode: Mode = opts.mode === "auto" ? (existsSync(DIST) ? "dist" : "bundle") : (opts.mode as Mode);
if (!["dist", "bundle", "src"].includes(mode)) refuse(`unknown --mode ${opts.mode}`);
if (mode === "dist" && !existsSync(DIST)) refuse(`--mode dist but ${DIST} does not exist; run 'node build.mjs'`);
if (opts.cluster && mode !== "dist") {
  refuse(`--cluster needs dist/dfut (--mode dist, after 'node build.mjs'): it runs 'dfut server --replicas ${CLUSTER.replicas} --partitions N', which bench/server-main.ts does not take`);
}
const sourceInfo = gitInfo();
if (mode === "dist" && sourceInfo.distFresh === false) {
  process.stderr.write(`bench: warning: dist/dfut is older than the last commit to src/ or build.mjs (${sourceInfo.head})${sourceInfo.dirtySrc ? ", or src/ has uncommitted changes" : ""}: the figures are not those of this commit\n`);
}
const cpuProfDir = opts["cpu-prof"] ? resolve(opts["cpu-prof"]) : undefined;
const N = {
  warmup: Number(opts.warmup),
  runs: Number(opts.runs),
  workflows: Number(opts.workflows),
  inflight: Number(opts.inflight),
  steps: Number(opts.steps),
  clusterRuns: Number(opts["cluster-runs"]),
  clusterWorkflows: Number(opts["cluster-workflows"]),
};

// ---------------------------------------------------------------------------------------------
// processes

const children: ChildProcess[] = [];
const procs: Proc[] = [];
let storeDir: string | undefined;
let bundleDir: string | undefined;
/** The cluster of the run under way, if any; its nodes are killed with everything else. */
let liveCluster: NatsCluster | undefined;

function killAll(): void {
  shuttingDown = true;
  // stop() kills every node before its first await; the stores go then or on exit (cluster.ts)
  void liveCluster?.stop();
  liveCluster = undefined;
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      try {
        c.kill("SIGKILL");
      } catch {
        // already gone
      }
    }
  }
  if (storeDir) rmSync(storeDir, { recursive: true, force: true });
  if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
  storeDir = bundleDir = undefined;
}
process.on("exit", killAll);
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(sig, () => {
    killAll();
    process.exit(130);
  });
}

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  killAll();
  process.exit(1);
}

interface Proc {
  name: string;
  child: ChildProcess;
  output(): string;
  /** Set by stop(): its exit is expected. */
  stopping: boolean;
}

function launch(name: string, command: string, args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let out = "";
  const keep = (d: Buffer) => {
    out += d;
    if (out.length > 20_000) out = out.slice(-10_000);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const proc: Proc = { name, child, output: () => out, stopping: false };
  child.once("exit", (code, signal) => {
    if (!proc.stopping && !shuttingDown) fail(`${name} exited early (code ${code}, signal ${signal}):\n${out}`);
  });
  procs.push(proc);
  return proc;
}
let shuttingDown = false;

/** SIGTERM (so CPU profiles get written), then SIGKILL after a grace period. */
async function stop(p: Proc, graceMs = 5000): Promise<void> {
  const { child } = p;
  p.stopping = true;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Node flags for the server and worker: CPU profiling, plus BENCH_NODE_FLAGS (e.g. heap sizing experiments). */
function nodeArgs(): string[] {
  const extra = process.env.BENCH_NODE_FLAGS?.split(" ").filter(Boolean) ?? [];
  return [...(cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${cpuProfDir}`] : []), ...extra];
}

/** The dfut command lines of dist mode, recorded in the JSON. */
const distArgs: Record<string, string[]> = {};

/**
 * Starts `dfut server` or `dfut worker` against `natsUrl` (one URL, or several comma separated);
 * `roleArgs` follow the command (dist mode only), and the command line goes into `record`.
 */
async function startDfut(role: "server" | "worker", natsUrl: string, roleArgs: string[] = [], record = distArgs): Promise<Proc> {
  if (mode === "dist") {
    const env: Record<string, string> = cpuProfDir ? { NODE_OPTIONS: nodeArgs().join(" ") } : {};
    const extra = process.env[role === "server" ? "BENCH_SERVER_ARGS" : "BENCH_WORKER_ARGS"]?.split(" ").filter(Boolean) ?? [];
    const args = role === "server" ? ["server", "--nats", natsUrl, ...roleArgs] : ["worker", "--load", WORKLOAD, "--nats", natsUrl, ...roleArgs];
    // `dfut server` serves the web UI and API on 127.0.0.1:8080 unless told otherwise; the bench
    // keeps that (a server as users run it) but on a free port, so a busy 8080 does not stop it.
    // BENCH_SERVER_ARGS="--no-http" (or "--http <addr>") overrides.
    if (role === "server" && !extra.some((a) => a === "--no-http" || a === "--http" || a.startsWith("--http="))) {
      args.push("--http", `127.0.0.1:${await freePort()}`);
    }
    record[role] = [...args, ...extra].map((a) => (a === WORKLOAD ? relative(ROOT, WORKLOAD) : a === natsUrl ? "<nats-url>" : a));
    return launch(`dfut ${role}`, DIST, [...args, ...extra], env);
  }
  const main = mode === "bundle" ? join(bundleDir!, `${role}-main.mjs`) : join(ROOT, "bench", `${role}-main.ts`);
  // From the sources, `import … from "dfut"` needs package.json's "dfut-source" condition.
  const source = mode === "src" ? ["--conditions=dfut-source"] : [];
  return launch(`dfut ${role}`, process.execPath, [...source, ...nodeArgs(), main, natsUrl]);
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await sleep(50);
  }
  const logs = children.length ? `\n${procs.map((p) => `--- ${p.name}:\n${p.output()}`).join("\n")}` : "";
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}${logs}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// /proc and nats-server monitoring

function rssMb(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? round(Number(m[1]) / 1024, 1) : undefined;
  } catch {
    return undefined;
  }
}

/** User + system CPU time of a process, ms. */
function cpuMs(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
    return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return 0;
  }
}

/**
 * VmRSS split into anonymous memory (heaps, stacks) and file pages (mostly the mapped executable,
 * which the server and worker share when both run dist/dfut), and PSS (shared pages divided among
 * the processes that map them), MB.
 */
function rssSplitMb(pid: number | undefined): { anon: number; file: number; pss?: number } | undefined {
  if (!pid) return undefined;
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
    let pss: number | undefined;
    try {
      const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"));
      if (m) pss = round(Number(m[1]) / 1024, 1);
    } catch {
      // no smaps_rollup (old kernel, other user)
    }
    return { anon: round(kb("RssAnon") / 1024, 1), file: round((kb("RssFile") + kb("RssShmem")) / 1024, 1), pss };
  } catch {
    return undefined;
  }
}

interface ConnCounts {
  name: string;
  in_msgs: number;
  out_msgs: number;
  in_bytes: number;
  out_bytes: number;
}

/** Message counts by connection name, summed over the client connections of every nats-server given (monitoring base URLs). */
async function connz(monitors: string[]): Promise<Map<string, ConnCounts>> {
  const connections: (ConnCounts & { cid: number })[] = [];
  for (const monitor of monitors) {
    const res = await fetch(`${monitor}/connz?limit=1024`);
    const body = (await res.json()) as { connections?: (ConnCounts & { cid: number })[] };
    connections.push(...(body.connections ?? []));
  }
  const out = new Map<string, ConnCounts>();
  for (const c of connections) {
    const name = c.name || `cid-${c.cid}`;
    const prev = out.get(name) ?? { name, in_msgs: 0, out_msgs: 0, in_bytes: 0, out_bytes: 0 };
    prev.in_msgs += c.in_msgs;
    prev.out_msgs += c.out_msgs;
    prev.in_bytes += c.in_bytes;
    prev.out_bytes += c.out_bytes;
    out.set(name, prev);
  }
  return out;
}

/** Messages each connection sent to / received from nats-server between two snapshots, per workflow. */
function connDelta(before: Map<string, ConnCounts>, after: Map<string, ConnCounts>, per: number) {
  const out: Record<string, { sentPerWf: number; receivedPerWf: number }> = {};
  for (const [name, a] of after) {
    const b = before.get(name) ?? { in_msgs: 0, out_msgs: 0 };
    out[name] = { sentPerWf: round((a.in_msgs - b.in_msgs) / per, 2), receivedPerWf: round((a.out_msgs - b.out_msgs) / per, 2) };
  }
  return out;
}

const WRITE_STREAMS = ["DFUT_HISTORY", "DFUT_TASKS", "DFUT_TIMERS", "KV_dfut_executions", "KV_dfut_registry"];
const HISTORY_STREAM_NAME = /^DFUT_HISTORY(_\d+_OF_\d+)?$/;

/** The WRITE_STREAMS entry a stream's writes count under (every history partition counts as DFUT_HISTORY), or undefined. */
function writeKey(stream: string): string | undefined {
  if (HISTORY_STREAM_NAME.test(stream)) return "DFUT_HISTORY";
  return WRITE_STREAMS.includes(stream) ? stream : undefined;
}

interface StreamState {
  lastSeq: number;
  /** The node leading the stream's raft group (on a cluster). */
  leader?: string;
}

/** Last sequence and leader of each of dfut's streams. */
async function streamStates(jsm: JetStreamManager): Promise<Map<string, StreamState>> {
  const names: string[] = [];
  for await (const name of jsm.streams.names()) if (writeKey(name)) names.push(name);
  const infos = await Promise.all(names.map((name) => jsm.streams.info(name)));
  return new Map(infos.map((info) => [info.config.name, { lastSeq: info.state.last_seq, leader: info.cluster?.leader }]));
}

/** Last sequences by WRITE_STREAMS entry (0 for a stream not there). */
function streamSeqs(states: Map<string, StreamState>): Record<string, number> {
  const out: Record<string, number> = Object.fromEntries(WRITE_STREAMS.map((name) => [name, 0]));
  for (const [name, state] of states) out[writeKey(name)!] += state.lastSeq;
  return out;
}

/**
 * Where a phase's writes went on a cluster: every message a stream stored is counted for the
 * node that led the stream when the phase began (a leader that moved meanwhile is listed).
 * Stream messages only; consumer acks are raft writes of the consumers' own groups.
 */
function writeSplit(before: Map<string, StreamState>, after: Map<string, StreamState>, nodes: string[]) {
  const history: Record<string, number> = Object.fromEntries(nodes.map((n) => [n, 0]));
  const all: Record<string, number> = { ...history };
  const writesByStream: Record<string, { leader: string; writes: number }> = {};
  const leaderChanges: string[] = [];
  for (const [name, a] of [...after].sort(([x], [y]) => x.localeCompare(y))) {
    const b = before.get(name);
    const leader = b?.leader ?? a.leader ?? "unknown";
    if (b?.leader && a.leader && a.leader !== b.leader) leaderChanges.push(`${name}: ${b.leader} -> ${a.leader}`);
    const writes = a.lastSeq - (b?.lastSeq ?? 0);
    writesByStream[name] = { leader, writes };
    all[leader] = (all[leader] ?? 0) + writes;
    if (writeKey(name) === "DFUT_HISTORY") history[leader] = (history[leader] ?? 0) + writes;
  }
  const busiest = (w: Record<string, number>) => {
    const total = Object.values(w).reduce((x, y) => x + y, 0);
    return total === 0 ? null : round(Math.max(...Object.values(w)) / total, 3);
  };
  return {
    writesByStream,
    writesByLeaderNode: { history, all },
    busiestNodeShare: { history: busiest(history), all: busiest(all) },
    /** Leaders that moved during the phase (left out of the JSON when none did). */
    leaderChanges: leaderChanges.length ? leaderChanges : undefined,
  };
}

// ---------------------------------------------------------------------------------------------
// statistics

function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx];
}

function summary(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return {
    n: s.length,
    p50: round(percentile(s, 50), 3),
    p95: round(percentile(s, 95), 3),
    p99: round(percentile(s, 99), 3),
    mean: round(mean, 3),
    min: round(s[0], 3),
    max: round(s[s.length - 1], 3),
  };
}

const now = () => performance.now();

// ---------------------------------------------------------------------------------------------
// the run

/** One dfut deployment under test: the client, and where to read its counters. */
interface Deployment {
  client: DfutClient;
  jsm: JetStreamManager;
  /** Monitoring base URLs of the nats-server(s). */
  monitors: string[];
  /** The history streams (one per partition), for the dispatcher's backlog. */
  historyStreams: string[];
  /** Cumulative CPU ms of natsServer (every node together), server, worker and client. */
  cpu(): Record<string, number>;
  /** On a cluster: each node's nats-server CPU ms, by node name; the phases then split the writes by stream leader. */
  nodeCpu?(): Record<string, number>;
  /**
   * On a cluster, result() right after start() can answer "no workflow": its direct get of the
   * last event went to a replica that had not stored the start yet. Such answers are counted
   * here and the result asked for again (see resultOf); elsewhere they fail the run.
   */
  staleNotFound?: { count: number };
}

const STALE_RETRIES = 20;

/** The workflow's result, asking again after a stale "no workflow" on a cluster (counted in d.staleNotFound). */
async function resultOf(d: Deployment, handle: WorkflowHandle, timeoutMs: number): Promise<unknown> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await handle.result({ timeoutMs });
    } catch (err) {
      if (!d.staleNotFound || !(err instanceof WorkflowNotFoundError) || attempt > STALE_RETRIES) throw err;
      d.staleNotFound.count++;
    }
  }
}

const clientCpuMs = () => (process.cpuUsage().user + process.cpuUsage().system) / 1000;

function perWorkflow(a: Record<string, number>, b: Record<string, number>, per: number): Record<string, number> {
  return Object.fromEntries(Object.entries(b).map(([k, v]) => [k, round((v - (a[k] ?? 0)) / per, 3)]));
}

/** What a phase adds on a cluster: the write split by leader node, and each node's CPU. */
interface PhaseStart {
  streams: Map<string, StreamState>;
  nodeCpu: Record<string, number>;
  staleNotFound: number;
}

type ClusterFigures = Partial<ReturnType<typeof writeSplit> & { staleNotFoundRetries: number; natsServerCpuMsPerWorkflowByNode: Record<string, number> }>;

/** What a phase adds on a cluster: stale "no workflow" answers asked again, each node's CPU, the write split by leader node. */
function clusterFigures(d: Deployment, start: PhaseStart, streams: Map<string, StreamState>, nodeCpu: Record<string, number>, per: number): ClusterFigures {
  if (!d.nodeCpu) return {};
  return {
    staleNotFoundRetries: (d.staleNotFound?.count ?? 0) - start.staleNotFound,
    natsServerCpuMsPerWorkflowByNode: perWorkflow(start.nodeCpu, nodeCpu, per),
    ...writeSplit(start.streams, streams, Object.keys(nodeCpu)),
  };
}

/** Sequential start + result of the order workflow, after a warm-up. */
async function latencyPhase(d: Deployment, warmup: number, runs: number) {
  let seqRun = 0;
  const runOne = async () => {
    const i = seqRun++;
    const customer = `c${i}`;
    const t = now();
    const handle = await d.client.start("BenchOrderWorkflow", { args: [customer, i] });
    const started = now() - t;
    const value = await resultOf(d, handle, 30_000);
    const total = now() - t;
    check(value, expectedOrder(customer, i), handle.workflowId);
    return { started, total };
  };
  for (let i = 0; i < warmup; i++) await runOne();
  const before = await connz(d.monitors);
  const start: PhaseStart = { streams: await streamStates(d.jsm), nodeCpu: d.nodeCpu?.() ?? {}, staleNotFound: d.staleNotFound?.count ?? 0 };
  const cpuBefore = d.cpu();
  const totals: number[] = [];
  const starts: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await runOne();
    totals.push(r.total);
    starts.push(r.started);
  }
  const cpuAfter = d.cpu();
  const nodesAfter = d.nodeCpu?.() ?? {};
  const streamsAfter = await streamStates(d.jsm);
  const after = await connz(d.monitors);
  return {
    warmup,
    runs,
    startAndWaitMs: summary(totals),
    startOnlyMs: summary(starts),
    cpuMsPerWorkflow: perWorkflow(cpuBefore, cpuAfter, runs),
    natsMessagesPerWorkflow: connDelta(before, after, runs),
    writesPerWorkflow: writesPer(streamSeqs(start.streams), streamSeqs(streamsAfter), runs),
    ...clusterFigures(d, start, streamsAfter, nodesAfter, runs),
  };
}

/** `workflows` order workflows, at most `inflight` at once, every result checked. */
async function throughputPhase(d: Deployment, workflows: number, inflight: number) {
  const start: PhaseStart = { streams: await streamStates(d.jsm), nodeCpu: d.nodeCpu?.() ?? {}, staleNotFound: d.staleNotFound?.count ?? 0 };
  const cpuBefore = d.cpu();
  const before = await connz(d.monitors);
  let next = 0;
  let checked = 0;
  const t0 = now();
  const lanes = Array.from({ length: inflight }, async () => {
    while (next < workflows) {
      const i = next++;
      const customer = `t${i}`;
      const handle = await d.client.start("BenchOrderWorkflow", { args: [customer, i] });
      check(await resultOf(d, handle, 60_000), expectedOrder(customer, i), handle.workflowId);
      checked++;
    }
  });
  await Promise.all(lanes);
  const wall = now() - t0;
  const cpuAfter = d.cpu();
  const nodesAfter = d.nodeCpu?.() ?? {};
  const after = await connz(d.monitors);
  // the execution index is written after the result is visible: let the dispatcher finish
  await waitFor("the dispatcher to drain", async () => {
    for (const stream of d.historyStreams) {
      const info = await d.jsm.consumers.info(stream, "dfut-dispatcher");
      if (info.num_pending !== 0 || info.num_ack_pending !== 0) return undefined;
    }
    return true;
  });
  const streamsAfter = await streamStates(d.jsm);
  return {
    workflows,
    maxInFlight: inflight,
    resultsChecked: checked,
    wallMs: round(wall, 1),
    workflowsPerSec: round((workflows / wall) * 1000, 1),
    cpuMsPerWorkflow: perWorkflow(cpuBefore, cpuAfter, workflows),
    cpuUtilisation: round(
      Object.values(perWorkflow(cpuBefore, cpuAfter, 1)).reduce((a, b) => a + b, 0) / wall / cpus().length,
      2,
    ),
    natsMessagesPerWorkflow: connDelta(before, after, workflows),
    writesPerWorkflow: writesPer(streamSeqs(start.streams), streamSeqs(streamsAfter), workflows),
    ...clusterFigures(d, start, streamsAfter, nodesAfter, workflows),
  };
}

/**
 * The latency and throughput phases on a fresh cluster of CLUSTER.nodes nats-servers, dfut's
 * streams at CLUSTER.replicas, the history in `partitions` streams; one dfut server and one
 * worker, each given every node's URL, and so is the client. Everything is stopped before it
 * returns, also when it throws.
 */
async function clusterRun(partitions: number) {
  const loadAvgBefore = round(loadavg()[0], 2);
  const started: Proc[] = [];
  let client: DfutClient | undefined;
  const cluster = await NatsCluster.start({ nodes: CLUSTER.nodes });
  liveCluster = cluster;
  try {
    const urls = cluster.urls.join(",");
    const args: Record<string, string[]> = {};
    const server = await startDfut("server", urls, ["--replicas", String(CLUSTER.replicas), "--partitions", String(partitions)], args);
    started.push(server);
    // printed once provisioned, the partition leaders spread over the nodes, and HTTP served
    await waitFor("the dfut server on the cluster to be ready", async () => (server.output().includes("dfut server ready") ? true : undefined), 60_000);
    const connected = await waitFor("a NATS connection to the cluster", async () => DfutClient.connect({ servers: cluster.urls, name: "dfut-bench-client" }));
    client = connected;
    const worker = await startDfut("worker", urls, [], args);
    started.push(worker);
    await waitFor("the worker to register", async () => {
      const regs = await connected.registrations();
      return regs.some((r) => r.workflows.some((w) => w.name === "BenchOrderWorkflow")) ? true : undefined;
    });
    const { jsm } = connected.connection;
    const historyStreams = [...(await streamStates(jsm)).keys()].filter((name) => HISTORY_STREAM_NAME.test(name)).sort();
    const nodeCpu = () => Object.fromEntries(cluster.nodes.map((n) => [n.name, cpuMs(cluster.pid(n.name))]));
    const d: Deployment = {
      client: connected,
      jsm,
      monitors: cluster.nodes.map((n) => n.monitoringUrl),
      historyStreams,
      nodeCpu,
      staleNotFound: { count: 0 },
      cpu: () => ({
        natsServer: Object.values(nodeCpu()).reduce((a, b) => a + b, 0),
        server: cpuMs(server.child.pid),
        worker: cpuMs(worker.child.pid),
        client: clientCpuMs(),
      }),
    };
    const leaders = Object.fromEntries([...(await streamStates(jsm))].sort(([a], [b]) => a.localeCompare(b)).map(([name, s]) => [name, s.leader ?? "unknown"]));
    const placeholder = (a: string) => (a === "<nats-url>" ? "<nats-urls>" : a);
    return {
      nodes: CLUSTER.nodes,
      replicas: CLUSTER.replicas,
      partitions,
      serverArgs: args.server.map(placeholder).join(" "),
      workerArgs: args.worker.map(placeholder).join(" "),
      loadAvgBefore,
      leaders,
      ...(phases.has("latency") ? { latency: await latencyPhase(d, N.warmup, N.clusterRuns) } : {}),
      ...(phases.has("throughput") ? { throughput: await throughputPhase(d, N.clusterWorkflows, N.inflight) } : {}),
    };
  } finally {
    await client?.close().catch(() => undefined);
    for (const p of started.reverse()) await stop(p);
    await cluster.stop();
    liveCluster = undefined;
  }
}

type ClusterResult = Awaited<ReturnType<typeof clusterRun>>;

async function main() {
  // before this run starts anything (starting the dfut executables alone lifts the 1-minute average)
  const loadAvgBefore = round(loadavg()[0], 2);
  const deadlineMs = DEADLINE_MS + (opts.cluster ? CLUSTER.partitions.length * CLUSTER.deadlineMs : 0);
  const watchdog = setTimeout(() => fail(`did not finish within ${deadlineMs / 1000} s`), deadlineMs);
  watchdog.unref();
  if (cpuProfDir) mkdirSync(cpuProfDir, { recursive: true });

  if (mode === "bundle") {
    const { build } = await import("esbuild");
    bundleDir = mkdtempSync(join(tmpdir(), "dfut-bench-bundle-"));
    await build({
      entryPoints: ["server-main", "worker-main"].map((m) => join(ROOT, "bench", `${m}.ts`)),
      outdir: bundleDir,
      outExtension: { ".js": ".mjs" },
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node22",
      // "dfut" from the sources, not the lib/ that only npm pack builds.
      conditions: ["dfut-source"],
      logLevel: "error",
      keepNames: true,
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    });
  }

  // nats-server with its own store and a monitoring port (for per-connection message counts)
  const port = await freePort();
  const monitorPort = await freePort();
  storeDir = mkdtempSync(join(tmpdir(), "dfut-bench-"));
  const nats = launch("nats-server", findNatsServer(), ["-a", "127.0.0.1", "-p", String(port), "-m", String(monitorPort), "-js", "-sd", storeDir]);
  const natsUrl = `nats://127.0.0.1:${port}`;
  await waitFor("nats-server", async () => ((await fetch(`http://127.0.0.1:${monitorPort}/healthz`)).ok ? true : undefined));

  const server = await startDfut("server", natsUrl);
  const client = await waitFor("a NATS connection", async () => DfutClient.connect({ servers: natsUrl, name: "dfut-bench-client" }));
  const { jsm, js, nc } = client.connection;
  await waitFor("the dfut server to provision", async () => ((await jsm.consumers.info("DFUT_HISTORY", "dfut-dispatcher")) ? true : undefined));
  const worker = await startDfut("worker", natsUrl);
  await waitFor("the worker to register", async () => {
    const regs = await client.registrations();
    return regs.some((r) => r.workflows.some((w) => w.name === "BenchOrderWorkflow")) ? true : undefined;
  });

  const pids = { natsServer: nats.child.pid, server: server.child.pid, worker: worker.child.pid };
  const single: Deployment = {
    client,
    jsm,
    monitors: [`http://127.0.0.1:${monitorPort}`],
    historyStreams: ["DFUT_HISTORY"],
    cpu: () => ({ natsServer: cpuMs(pids.natsServer), server: cpuMs(pids.server), worker: cpuMs(pids.worker), client: clientCpuMs() }),
  };

  const result: Record<string, unknown> = {
    machine: {
      nproc: cpus().length,
      cpu: cpuModel(),
      ramGb: round(totalmem() / 2 ** 30, 1),
      node: process.version,
      natsServer: natsVersion(),
      mode,
      commit: sourceInfo.head,
      ...(mode === "dist" ? { distFresh: sourceInfo.distFresh } : {}),
      ...(mode === "dist" ? { serverArgs: distArgs.server?.join(" "), workerArgs: distArgs.worker?.join(" ") } : {}),
      // other work on the machine skews every figure: recorded so a noisy run can be told apart
      loadAvgBefore,
    },
  };

  // --- JetStream floor --------------------------------------------------------------------
  if (phases.has("floor")) {
    await jsm.streams.add({ name: "BENCH_FLOOR", subjects: ["bench.floor"], storage: StorageType.File, retention: RetentionPolicy.Limits });
    const payload = new Uint8Array(256).fill(120);
    for (let i = 0; i < 200; i++) await js.publish("bench.floor", payload);
    const rt: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const t = now();
      await js.publish("bench.floor", payload);
      rt.push(now() - t);
    }
    const total = 20_000;
    const window = 500;
    const t0 = now();
    let sent = 0;
    const lanes = Array.from({ length: window }, async () => {
      while (sent < total) {
        sent++;
        await js.publish("bench.floor", payload);
      }
    });
    await Promise.all(lanes);
    const asyncMs = now() - t0;
    await jsm.streams.delete("BENCH_FLOOR");
    const s = summary(rt);
    result.jetstreamFloor = {
      publishRoundTripMs: { p50: s.p50, p95: s.p95, p99: s.p99, n: s.n },
      asyncPublish: { messages: total, window, ms: round(asyncMs, 1), msgsPerSec: Math.round((total / asyncMs) * 1000) },
    };
  }

  // --- sequential latency -----------------------------------------------------------------
  if (phases.has("latency")) result.latency = await latencyPhase(single, N.warmup, N.runs);

  // --- throughput -------------------------------------------------------------------------
  if (phases.has("throughput")) result.throughput = await throughputPhase(single, N.workflows, N.inflight);

  // --- history length ---------------------------------------------------------------------
  if (phases.has("long")) {
    const runs: number[] = [];
    for (let r = 0; r < 2; r++) {
      const t = now();
      const handle = await client.start("BenchLongWorkflow", { args: [N.steps] });
      const value = await handle.result({ timeoutMs: 60_000 });
      runs.push(now() - t);
      check(value, N.steps, handle.workflowId);
    }
    const best = Math.min(...runs);
    const lat = result.latency as { startAndWaitMs: { p50: number } } | undefined;
    const perStep2 = lat ? lat.startAndWaitMs.p50 / 2 : undefined;
    const perStepLong = best / N.steps;
    result.historyLength = {
      steps: N.steps,
      runsMs: runs.map((x) => round(x, 1)),
      perStepMs: round(perStepLong, 3),
      twoStepPerStepMs: perStep2 === undefined ? null : round(perStep2, 3),
      ratio: perStep2 === undefined ? null : round(perStepLong / perStep2, 2),
      marginalPerStepMs: lat ? round((best - lat.startAndWaitMs.p50) / (N.steps - 2), 3) : null,
    };
  }

  // --- fan-out ----------------------------------------------------------------------------
  if (phases.has("fanout")) {
    const width = Number(opts.width);
    const timed = async (workflow: string, expected: number) => {
      const t = now();
      const handle = await client.start(workflow, { args: [width] });
      check(await handle.result({ timeoutMs: 120_000 }), expected, handle.workflowId);
      return now() - t;
    };
    const fanOut: number[] = [];
    const sequential: number[] = [];
    for (let r = 0; r < 2; r++) {
      fanOut.push(await timed("BenchFanOutWorkflow", (width * (width + 1)) / 2));
      sequential.push(await timed("BenchLongWorkflow", width));
    }
    result.fanOut = {
      width,
      fanOutMs: fanOut.map((x) => round(x, 1)),
      sequentialMs: sequential.map((x) => round(x, 1)),
      ratio: round(Math.min(...fanOut) / Math.min(...sequential), 2),
    };
  }

  // --- memory -----------------------------------------------------------------------------
  const rss = { natsServer: rssMb(pids.natsServer), server: rssMb(pids.server), worker: rssMb(pids.worker) };
  result.rssMb = { ...rss, total: round((rss.natsServer ?? 0) + (rss.server ?? 0) + (rss.worker ?? 0), 1), client: round(process.memoryUsage().rss / 2 ** 20, 1) };
  result.rssSplitMb = { natsServer: rssSplitMb(pids.natsServer), server: rssSplitMb(pids.server), worker: rssSplitMb(pids.worker) };

  if (mode !== "dist") {
    const breakdown: Record<string, unknown> = {};
    for (const [key, p] of [["server", server], ["worker", worker]] as const) {
      const mark = p.output().length;
      p.child.kill("SIGUSR2");
      const line = await waitFor(`${p.name} memory`, async () => /memory (\{.*\})/.exec(p.output().slice(mark))?.[1], 3000).catch(() => undefined);
      if (line) {
        const m = JSON.parse(line) as Record<string, number>;
        breakdown[key] = Object.fromEntries(Object.entries(m).map(([k, v]) => [k, round(v / 2 ** 20, 1)]));
      }
    }
    result.memoryBreakdownMb = breakdown;
  }

  // --- teardown ---------------------------------------------------------------------------
  await client.close().catch(() => undefined);
  void nc;
  await stop(worker);
  await stop(server);
  await stop(nats);

  // --- the same workload on a cluster -------------------------------------------------------
  if (opts.cluster) {
    const runs: Record<string, unknown> = {};
    for (const partitions of CLUSTER.partitions) runs[String(partitions)] = await clusterRun(partitions);
    result.cluster = runs;
  }
  killAll();
  if (cpuProfDir) result.cpuProfiles = cpuProfDir;
  result.targets = TARGETS;

  process.stdout.write(JSON.stringify(result, null, 2) + "\n");
  if (!opts["no-table"]) process.stderr.write("\n" + table(result) + "\n");
}

function writesPer(before: Record<string, number>, after: Record<string, number>, per: number) {
  const out: Record<string, number> = {};
  let total = 0;
  for (const k of Object.keys(after)) {
    const d = (after[k] - (before[k] ?? 0)) / per;
    out[k] = round(d, 2);
    if (k !== "KV_dfut_registry") total += d;
  }
  out.total = round(total, 2);
  return out;
}

function check(actual: unknown, expected: unknown, id: string): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    throw new Error(`workflow ${id} returned ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
  }
}

function cpuModel(): string {
  try {
    const m = /model name\s*:\s*(.*)/.exec(readFileSync("/proc/cpuinfo", "utf8"));
    return m ? m[1].trim() : cpus()[0]?.model ?? "unknown";
  } catch {
    return cpus()[0]?.model ?? "unknown";
  }
}

/** HEAD, and whether dist/dfut was built after the last commit that touched src/ or build.mjs. */
function gitInfo(): { head?: string; dirtySrc?: boolean; distFresh?: boolean } {
  try {
    const git = (...a: string[]) => execFileSync("git", a, { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    const head = git("rev-parse", "--short", "HEAD");
    const dirtySrc = git("status", "--porcelain", "--", "src", "build.mjs") !== "";
    const lastSrc = Number(git("log", "-1", "--format=%ct", "--", "src", "build.mjs")) * 1000;
    const distFresh = existsSync(DIST) ? statSync(DIST).mtimeMs >= lastSrc && !dirtySrc : undefined;
    return { head, dirtySrc, distFresh };
  } catch {
    return {};
  }
}

function natsVersion(): string {
  try {
    return execFileSync(findNatsServer(), ["--version"], { encoding: "utf8" }).trim().replace(/^nats-server:\s*/, "");
  } catch {
    return "unknown";
  }
}

// ---------------------------------------------------------------------------------------------
// the markdown table

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function table(r: any): string {
  const ok = (pass: boolean | undefined) => (pass === undefined ? "" : pass ? "yes" : "**no**");
  const rows: string[][] = [];
  const lat = r.latency?.startAndWaitMs;
  if (lat) {
    rows.push(["sequential start+wait p50 (ms)", String(lat.p50), `≤ ${TARGETS.latencyP50Ms}`, ok(lat.p50 <= TARGETS.latencyP50Ms), OTHERS.restate.p50, OTHERS.dbos.p50, OTHERS.rawJs.p50]);
    rows.push(["sequential start+wait p95 (ms)", String(lat.p95), "", "", "", "", ""]);
    rows.push(["sequential start+wait p99 (ms)", String(lat.p99), `≤ ${TARGETS.latencyP99Ms}`, ok(lat.p99 <= TARGETS.latencyP99Ms), OTHERS.restate.p99, OTHERS.dbos.p99, OTHERS.rawJs.p99]);
  }
  if (r.throughput) {
    rows.push(["throughput (workflows/s)", String(r.throughput.workflowsPerSec), `≥ ${TARGETS.workflowsPerSec}`, ok(r.throughput.workflowsPerSec >= TARGETS.workflowsPerSec), OTHERS.restate.wfs, OTHERS.dbos.wfs, OTHERS.rawJs.wfs]);
    rows.push([`  ${r.throughput.workflows} workflows, ≤ ${r.throughput.maxInFlight} in flight, wall (ms)`, String(r.throughput.wallMs), "", "", "", "", ""]);
  }
  if (r.historyLength) {
    const h = r.historyLength;
    rows.push([`${h.steps}-step workflow, per step (ms)`, String(h.perStepMs), "", "", "", "", ""]);
    rows.push(["  2-step workflow, per step (p50/2, ms)", String(h.twoStepPerStepMs), "", "", "", "", ""]);
    rows.push(["  ratio long/short per step", String(h.ratio), `≤ ${TARGETS.longPerStepRatio}`, h.ratio === null ? "" : ok(h.ratio <= TARGETS.longPerStepRatio), "", "", ""]);
  }
  if (r.fanOut) {
    const f = r.fanOut;
    rows.push([`${f.width}-wide fan-out (Promise.all), best of 2 (ms)`, String(Math.min(...f.fanOutMs)), "", "", "", "", ""]);
    rows.push([`  ${f.width} sequential steps, best of 2 (ms)`, String(Math.min(...f.sequentialMs)), "", "", "", "", ""]);
    rows.push(["  ratio fan-out / sequential", String(f.ratio), `≤ ${TARGETS.fanOutRatio}`, ok(f.ratio <= TARGETS.fanOutRatio), "", "", ""]);
  }
  const m = r.rssMb;
  rows.push(["RSS nats-server + server + worker (MB)", `${m.total} (${m.natsServer} + ${m.server} + ${m.worker})`, `< ${TARGETS.rssTotalMb}`, ok(m.total < TARGETS.rssTotalMb), OTHERS.restate.rss, OTHERS.dbos.rss, OTHERS.rawJs.rss]);
  const sp = r.rssSplitMb;
  if (sp?.server && sp?.worker) {
    rows.push(["  server / worker: anonymous + file-backed (MB)", `${sp.server.anon} + ${sp.server.file} / ${sp.worker.anon} + ${sp.worker.file}`, "", "", "", "", ""]);
    if (sp.natsServer?.pss !== undefined && sp.server.pss !== undefined && sp.worker.pss !== undefined) {
      const pss = round(sp.natsServer.pss + sp.server.pss + sp.worker.pss, 1);
      rows.push(["  PSS (shared executable pages counted once) (MB)", `${pss} (${sp.natsServer.pss} + ${sp.server.pss} + ${sp.worker.pss})`, "", "", "", "", ""]);
    }
  }
  if (r.jetstreamFloor) {
    const f = r.jetstreamFloor;
    rows.push(["JetStream floor: publish RT p50 / p99 (ms)", `${f.publishRoundTripMs.p50} / ${f.publishRoundTripMs.p99}`, "", "", "", "", "0.12 / 1.4–1.7"]);
    rows.push(["JetStream floor: async publish (msg/s)", String(f.asyncPublish.msgsPerSec), "", "", "", "", "42–43k"]);
  }
  const w = r.throughput?.writesPerWorkflow ?? r.latency?.writesPerWorkflow;
  if (w) {
    rows.push([
      "JetStream writes per workflow",
      `${w.total} (history ${w.DFUT_HISTORY}, tasks ${w.DFUT_TASKS}, timers ${w.DFUT_TIMERS}, KV ${w.KV_dfut_executions})`,
      "", "", "", "", "",
    ]);
  }
  for (const c of Object.values(r.cluster ?? {}) as ClusterResult[]) {
    const split = (w: Record<string, number>, share: number | null) =>
      `${Object.entries(w).map(([node, n]) => `${node} ${n}`).join(", ")}${share === null ? "" : ` (busiest ${Math.round(share * 100)} %)`}`;
    const blank = ["", "", "", "", ""];
    rows.push([`${c.nodes}-node cluster, R${c.replicas}, ${c.partitions} history partition${c.partitions === 1 ? "" : "s"}`, "", ...blank]);
    if (c.latency) rows.push([`  start+wait p50 / p99 (ms), ${c.latency.runs} sequential`, `${c.latency.startAndWaitMs.p50} / ${c.latency.startAndWaitMs.p99}`, ...blank]);
    const t = c.throughput;
    if (t) rows.push([`  throughput (workflows/s), ${t.workflows} workflows, ≤ ${t.maxInFlight} in flight`, String(t.workflowsPerSec), ...blank]);
    if (t?.writesByLeaderNode && t.busiestNodeShare) {
      rows.push(["  history writes by leader node (throughput phase)", split(t.writesByLeaderNode.history, t.busiestNodeShare.history), ...blank]);
      rows.push(["  all stream writes by leader node (throughput phase)", split(t.writesByLeaderNode.all, t.busiestNodeShare.all), ...blank]);
    }
    const stale = [c.latency?.staleNotFoundRetries, t?.staleNotFoundRetries].filter((n) => n !== undefined);
    rows.push(["  stale \"no workflow\" results asked again (latency / throughput)", stale.join(" / "), ...blank]);
    if (t?.leaderChanges || c.latency?.leaderChanges) rows.push(["  stream leaders that moved during a phase", [...(c.latency?.leaderChanges ?? []), ...(t?.leaderChanges ?? [])].join("; "), ...blank]);
  }
  const head = ["measure", "dfut", "target", "met", OTHERS.restate.name, OTHERS.dbos.name, OTHERS.rawJs.name];
  const lines = [head, head.map(() => "---"), ...rows].map((row) => `| ${row.join(" | ")} |`);
  const mc = r.machine;
  return `<!-- bench table -->\nMachine: ${mc.nproc} × ${mc.cpu}, ${mc.ramGb} GB RAM, Node ${mc.node}, nats-server ${mc.natsServer}, server/worker ${mc.mode === "dist" ? `from dist/dfut (\`dfut ${mc.serverArgs}\`, \`dfut ${mc.workerArgs}\`)` : mc.mode === "bundle" ? "bundled bench/*-main.ts" : "from the TypeScript sources"}; commit ${mc.commit ?? "?"}${mc.distFresh === false ? " (dist/dfut not built from it)" : ""}; load average before the run ${mc.loadAvgBefore}\n\n${lines.join("\n")}`;
}

main().catch((err) => fail((err as Error)?.stack ?? String(err)));

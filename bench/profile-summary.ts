/**
 * Top self-time functions of V8 CPU profiles (from `node bench/run.ts --cpu-prof <dir>`).
 *
 *   node bench/profile-summary.ts <file.cpuprofile|dir> [top=25]
 *
 * Prints, per profile: total sampled time, idle share, self time by area (dfut sources, NATS
 * client, Node internals, GC, …) and the top functions by self time.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const [target, topArg] = process.argv.slice(2);
if (!target) {
  process.stderr.write("usage: node bench/profile-summary.ts <file.cpuprofile|dir> [top]\n");
  process.exit(2);
}
const top = Number(topArg ?? 25);
const files = statSync(target).isDirectory()
  ? readdirSync(target).filter((f) => f.endsWith(".cpuprofile")).map((f) => join(target, f))
  : [target];

function area(url: string, fn: string): string {
  if (fn === "(idle)") return "idle";
  if (fn === "(garbage collector)") return "gc";
  if (fn === "(program)") return "program (native, unattributed)";
  if (url.includes("/node_modules/@nats-io/")) return "nats client";
  if (url.includes("/node_modules/")) return "other packages";
  if (url.includes("/src/")) return "dfut src";
  if (url.includes("/bench/")) return "bench";
  if (url.startsWith("node:")) return "node internals";
  if (!url) return "native/builtins";
  return "other";
}

function short(url: string): string {
  const i = url.indexOf("/node_modules/");
  if (i >= 0) return url.slice(i + 14);
  const s = url.indexOf("/src/");
  if (s >= 0) return url.slice(s + 1);
  const b = url.indexOf("/bench/");
  if (b >= 0) return url.slice(b + 1);
  return url;
}

for (const file of files) {
  const p = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const byFn = new Map<string, number>();
  const byArea = new Map<string, number>();
  let idle = 0;
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const a = area(url, functionName);
    if (a === "idle") {
      idle += us;
      continue;
    }
    byArea.set(a, (byArea.get(a) ?? 0) + us);
    const key = `${functionName || "(anonymous)"} ${url ? `${short(url)}:${lineNumber + 1}` : ""}`.trim();
    byFn.set(key, (byFn.get(key) ?? 0) + us);
  }
  const busy = total - idle;
  const ms = (us: number) => (us / 1000).toFixed(1);
  const pct = (us: number) => ((100 * us) / busy).toFixed(1);
  console.log(`\n## ${file}\nsampled ${ms(total)} ms, busy ${ms(busy)} ms (${((100 * busy) / total).toFixed(0)}%)\n`);
  console.log("| area | self ms | % of busy |\n| --- | --- | --- |");
  for (const [a, us] of [...byArea].sort((x, y) => y[1] - x[1])) console.log(`| ${a} | ${ms(us)} | ${pct(us)} |`);
  console.log(`\n| function | self ms | % of busy |\n| --- | --- | --- |`);
  for (const [k, us] of [...byFn].sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(`| ${k} | ${ms(us)} | ${pct(us)} |`);
}

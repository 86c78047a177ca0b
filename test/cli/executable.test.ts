/**
 * dist/dfut as users run it: built once by build.mjs, then server, worker and client commands
 * as separate processes against a real nats-server.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, NatsServer } from "../support/nats-server.ts";
import { eventually } from "../support/env.ts";
import { DfutClient } from "dfut";
import { isListening } from "../../src/embedded/nats-server.ts";
import { buildExecutable, ROOT, run, start, type Background, type RunResult } from "./dfut.ts";
import { writeUserProject } from "./user-module.ts";
import { ORDER_EVENT_TYPES } from "../support/order-history.ts";

const version = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version as string;

let exe: string;
let removeBuild: () => void;
let nats: NatsServer;
/** A NATS server dfut was never set up on. */
let bareNats: NatsServer;
let userDir: string;
const background: Background[] = [];

const dfut = (...args: string[]) => run(exe, [...args, "--nats", nats.url]);

function lines(text: string): string[] {
  return text.split("\n").filter((l) => l.trim() !== "");
}

beforeAll(async () => {
  ({ exe, remove: removeBuild } = buildExecutable());
  [nats, bareNats] = await Promise.all([NatsServer.start(), NatsServer.start()]);
  userDir = writeUserProject();
  const server = start(exe, ["server", "--nats", nats.url, "--http", "127.0.0.1:0"]);
  background.push(server);
  await server.waitFor("dfut server ready");
  const worker = start(exe, ["worker", "--load", "examples/order.ts", "--load", "examples/batch.ts", "--load", "examples/cart.ts", "--load", join(userDir, "paint.ts"), "--nats", nats.url]);
  background.push(worker);
  await worker.waitFor("activities:");
}, 120_000);

afterAll(async () => {
  await Promise.all(background.map((b) => b.stop()));
  await Promise.all([nats?.stop(), bareNats?.stop()]);
  removeBuild?.();
  if (userDir) rmSync(userDir, { recursive: true, force: true });
});

describe("the order workflow end to end", () => {
  it("dfut start OrderWorkflow Bob widget-1000 1000 2 --wait prints the id, then the result", async () => {
    const { code, stdout, stderr } = await dfut("start", "OrderWorkflow", "Bob", "widget-1000", "1000", "2", "--wait");
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const [id, result, ...rest] = lines(stdout);
    expect(rest).toEqual([]);
    expect(id).toMatch(/^OrderWorkflow-[0-9a-f]{8}$/);
    expect(JSON.parse(result)).toEqual({
      tracking_id: `trk_${id}`,
      charge_id: `ch_${id}`,
      product_id: "widget-1000",
      quantity: 2,
    });
  });

  it("history prints the event log as a table, and in full with -o json", async () => {
    await dfut("start", "OrderWorkflow", "Ann", "gadget-7", "250", "4", "--id", "order-history", "--wait");
    const text = await dfut("history", "order-history");
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/│ seq\s+│ time\s+│ event\s+│ details/);
    expect(text.stdout).toMatch(/WorkflowStarted\s+│ OrderWorkflow\("Ann", "gadget-7", 250, 4\)/);
    expect(text.stdout).toMatch(/ActivityCompleted\s+│ #1 ChargeCreditCardActivity attempt 1 → \{"chargeId":"ch_order-/);
    expect(text.stdout).toContain("WorkflowCompleted");

    const json = await dfut("history", "order-history", "-o", "json");
    expect(json.code).toBe(0);
    const events = JSON.parse(json.stdout) as Array<{ type: string; seq: number; result?: unknown }>;
    expect(events.map((e) => e.type)).toEqual([...ORDER_EVENT_TYPES]);
    expect(events.at(-1)!.result).toEqual({
      tracking_id: "trk_order-history",
      charge_id: "ch_order-history",
      product_id: "gadget-7",
      quantity: 4,
    });
  });

  it("list, describe and result report the closed workflow", async () => {
    await dfut("start", "OrderWorkflow", "Cy", "w-1", "5", "1", "--id", "order-describe", "--wait");
    const list = await dfut("list", "--type", "OrderWorkflow", "--status", "completed", "-o", "json");
    expect(list.code).toBe(0);
    expect((JSON.parse(list.stdout) as Array<{ workflowId: string }>).map((r) => r.workflowId)).toContain("order-describe");

    const describeText = await dfut("describe", "order-describe");
    expect(describeText.stdout).toMatch(/status\s+│ completed/);
    const described = JSON.parse((await dfut("describe", "order-describe", "-o", "json")).stdout);
    expect(described).toMatchObject({ workflowId: "order-describe", workflowType: "OrderWorkflow", status: "completed" });

    const result = await dfut("result", "order-describe");
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ charge_id: "ch_order-describe" });
  });
});

describe("worker --load", () => {
  it("runs a TypeScript module with an enum, an extension-less import and its own node_modules", async () => {
    const worker = background[1].output();
    expect(worker).toContain("PaintWorkflow(which)");
    expect(worker).toMatch(/activities: .*Paint\(p\)/);
    const { code, stdout } = await dfut("start", "PaintWorkflow", "Blue", "--wait");
    expect(code).toBe(0);
    expect(JSON.parse(lines(stdout)[1])).toBe("PAINTED BLUE!");
  });

  it("start --wait exits non-zero and says why when the workflow fails", async () => {
    const { code, stdout, stderr } = await dfut("start", "BrokenWorkflow", "--id", "broken-1", "--wait");
    expect(code).toBe(1);
    expect(lines(stdout)).toEqual(["broken-1"]);
    expect(stderr.trim()).toBe("dfut: workflow broken-1 failed: Error: the order was broken on purpose");
  });
});

describe("examples/batch.ts: child workflows and continue-as-new from the command line", () => {
  it("runs pages of orders as children, continues as new per page, and shows each run", async () => {
    const batch = await dfut("start", "BatchWorkflow", "7", "3", "--id", "nightly", "--wait", "-o", "json");
    expect(batch.stderr).toBe("");
    const { result } = JSON.parse(batch.stdout) as { result: { processed: number; charged: string[]; runs: number } };
    expect(result).toEqual({ processed: 7, charged: Array.from({ length: 7 }, (_, i) => `ch_nightly-order-${i + 1}`), runs: 3 });

    const described = JSON.parse((await dfut("describe", "nightly", "-o", "json")).stdout) as { runs: string[]; runId: string; continuedFrom: string };
    expect(described.runs).toHaveLength(3);
    expect(described.continuedFrom).toBe(described.runs[1]);
    const text = await dfut("describe", "nightly");
    expect(text.stdout).toMatch(/runs\s+│ 3: /);

    const first = await dfut("history", "nightly", "--run", described.runs[0], "-o", "json");
    expect(first.code).toBe(0);
    const firstRun = JSON.parse(first.stdout) as { type: string }[];
    expect(firstRun.filter((e) => e.type === "ChildWorkflowScheduled")).toHaveLength(3);
    expect(firstRun.at(-1)?.type).toBe("WorkflowContinuedAsNew");
    const current = await dfut("history", "nightly", "-o", "json");
    const events = JSON.parse(current.stdout) as { type: string }[];
    expect(events.filter((e) => e.type === "ChildWorkflowClosed")).toHaveLength(1);

    const child = JSON.parse((await dfut("describe", "nightly-order-7", "-o", "json")).stdout) as { parent: { workflowId: string } };
    expect(child.parent.workflowId).toBe("nightly");

    const refused = await dfut("start", "BatchWorkflow", "1", "--id", "nightly", "--id-reuse", "reject");
    expect(refused.code).not.toBe(0);
    expect(refused.stderr.trim()).toBe(
      'dfut: workflow id "nightly" was used by a run that completed, and the id reuse policy "reject" refuses a new run; choose another id',
    );
    const unknownRun = await dfut("history", "nightly", "--run", "12345678");
    expect(unknownRun.code).not.toBe(0);
    expect(unknownRun.stderr).toMatch(/^dfut: workflow nightly has no run "12345678"/);
    const again = await dfut("start", "BatchWorkflow", "1", "--id", "nightly", "--wait", "-o", "json");
    expect(JSON.parse(again.stdout).result).toMatchObject({ processed: 1, runs: 1 });
  });
});

describe("examples/cart.ts: signal handlers, queries and updates from the command line", () => {
  it("adds by signal, reads by query, refuses a bad checkout, checks out by update", async () => {
    expect((await dfut("start", "CartWorkflow", "--id", "cart-cli")).code).toBe(0);
    expect((await dfut("signal", "cart-cli", "add", "apple")).code).toBe(0);
    const items = await eventually(async () => {
      const q = await dfut("query", "cart-cli", "items");
      return q.code === 0 && JSON.parse(q.stdout).length === 1 ? JSON.parse(q.stdout) : undefined;
    });
    expect(items).toEqual(["apple"]);
    const refused = await dfut("update", "cart-cli", "checkout", "0");
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toBe("dfut: update checkout of workflow cart-cli was rejected: Error: amount must be positive, not 0");
    const unknown = await dfut("query", "cart-cli", "total");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim()).toMatch(/^dfut: query total of workflow cart-cli failed: ReadOnlyViolation: workflow CartWorkflow has no query handler "total" \(it has: items\)$/);
    const paid = await dfut("update", "cart-cli", "checkout", "30", "--update-id", "pay-cart-cli");
    expect(paid.stderr).toBe("");
    expect(JSON.parse(paid.stdout)).toEqual({ receipt: "rcpt-cart-cli-30", items: ["apple"] });
    const again = await dfut("update", "cart-cli", "checkout", "30", "--update-id", "pay-cart-cli");
    expect(JSON.parse(again.stdout)).toEqual({ receipt: "rcpt-cart-cli-30", items: ["apple"] });
    expect(JSON.parse((await dfut("result", "cart-cli")).stdout)).toEqual({ receipt: "rcpt-cart-cli-30", items: ["apple"] });
    expect(JSON.parse((await dfut("query", "cart-cli", "items")).stdout)).toEqual(["apple"]);
  });
});

describe("dfut replay: recorded histories against new code", () => {
  it("passes with the code that recorded them and fails, saying where, with code that changed a step", async () => {
    expect((await dfut("start", "OrderWorkflow", "Cy", "lamp-3", "40", "1", "--id", "replay-1", "--wait")).code).toBe(0);
    const ok = await dfut("replay", "--load", "examples/order.ts", "replay-1");
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);
    expect(lines(ok.stdout)).toEqual([expect.stringMatching(/^ok   replay-1 run \d+ \(OrderWorkflow, 8 events\)$/), "1 replayed: 1 ok"]);

    const dir = mkdtempSync(join(tmpdir(), "dfut-replay-"));
    try {
      writeFileSync(join(dir, "replay-1.json"), (await dfut("history", "replay-1", "-o", "json")).stdout);
      const changed = join(dir, "order-v2.ts");
      writeFileSync(
        changed,
        readFileSync(join(ROOT, "examples/order.ts"), "utf8").replace(
          "const ship = await ctx.executeActivity(ShipPackageActivity, charge);",
          "const ship = await ctx.executeActivity(ShipPackageActivity, { ...charge, gift: true });\n  await ctx.executeActivity(AddActivity, 1, 2);",
        ),
      );
      const failed = await dfut("replay", "--load", changed, "--file", dir);
      expect(failed.code).toBe(1);
      const report = lines(failed.stdout);
      expect(report[0]).toMatch(/^FAIL replay-1 run \d+ \(OrderWorkflow, 8 events\)$/);
      expect(report).toContainEqual(expect.stringMatching(/warning: .*activity ShipPackageActivity with arguments .* but the workflow code now passes .*"gift":true/));
      expect(report).toContainEqual(expect.stringMatching(/at event seq \d+: the history records the workflow completed; the code now does activity AddActivity/));
      expect(report).toContainEqual(expect.stringMatching(/code: .*order-v2\.ts:\d+:\d+$/));
      expect(report.at(-1)).toBe("1 replayed: 0 ok, 1 failed");
      const strict = await dfut("replay", "--load", changed, "--file", join(dir, "replay-1.json"), "--argument-mismatch", "fail", "-o", "json");
      expect(JSON.parse(strict.stdout)[0].failure.divergence.recorded).toMatch(/^activity ShipPackageActivity\(/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const nothing = await dfut("replay", "--load", "examples/order.ts");
    expect(nothing.code).toBe(1);
    expect(nothing.stderr.trim()).toBe("dfut: name what to replay: workflow ids, --file <history.json|folder> or --type <WorkflowType>");
    const bad = await dfut("replay", "--load", "examples/order.ts", "--file", "package.json");
    expect(bad.stderr.trim()).toMatch(/^dfut: --file package.json: not a history/);
  });
});

describe("bulk operations: a selection instead of an id", () => {
  it("cancels 200 workflows a selection matches, after saying how many; signals and terminates by selection too", async () => {
    const client = await DfutClient.connect({ servers: nats.url });
    try {
      await Promise.all(Array.from({ length: 200 }, (_, i) => client.start("ApprovalWorkflow", { args: [`bulk ${i}`], workflowId: `bulk-${i}` })));
      await eventually(async () => ((await client.list({ idPrefix: "bulk-", status: "running" })).length === 200 ? true : undefined), 30_000);
      const asked = await dfut("cancel", "--query", "bulk-", "--reason", "load test over");
      expect(asked.code).toBe(1);
      expect(asked.stderr.trim()).toBe("dfut: 200 workflow(s) match ids bulk-*; pass --yes to cancel them without a question");
      const canceled = await dfut("cancel", "--query", "bulk-", "--reason", "load test over", "--yes");
      expect(canceled.stderr).toBe("");
      expect(lines(canceled.stdout)).toEqual(["cancel: 200 matched, 200 done"]);
      const closed = await eventually(async () => {
        const records = await client.list({ idPrefix: "bulk-", status: "canceled" });
        return records.length === 200 ? records : undefined;
      }, 30_000);
      expect(closed).toHaveLength(200);

      await Promise.all(Array.from({ length: 5 }, (_, i) => client.start("ApprovalWorkflow", { args: [`sig ${i}`], workflowId: `bulk2-${i}` })));
      await eventually(async () => ((await client.list({ idPrefix: "bulk2-", status: "running" })).length === 5 ? true : undefined));
      const signaled = await dfut("signal", "--query", "bulk2-", "--status", "running", "approve", '{"ok":true}', "--yes");
      expect(lines(signaled.stdout)).toEqual(["signal approve: 5 matched, 5 done"]);
      expect(await client.result("bulk2-3")).toMatchObject({ approved: true });

      await Promise.all(Array.from({ length: 3 }, (_, i) => client.start("ApprovalWorkflow", { args: [`t ${i}`], workflowId: `bulk3-${i}` })));
      await eventually(async () => ((await client.list({ idPrefix: "bulk3-", status: "running" })).length === 3 ? true : undefined));
      await client.terminate("bulk3-0");
      await eventually(async () => ((await client.list({ idPrefix: "bulk3-", status: "running" })).length === 2 ? true : undefined));
      const terminated = await dfut("terminate", "--query", "bulk3-", "--yes");
      expect(lines(terminated.stdout)).toEqual(["terminate: 3 matched, 2 done, 1 already closed"]);
      const none = await dfut("cancel", "--query", "nothing-like-this-", "--yes");
      expect(lines(none.stdout)).toEqual(["no workflow matches ids nothing-like-this-*"]);
      const both = await dfut("cancel", "bulk-1", "--query", "bulk-");
      expect(both.stderr.trim()).toBe("dfut: give cancel either a workflow id or --type/--status/--query, not both");
    } finally {
      await client.close();
    }
  });
});

describe("dfut reset", () => {
  it("starts a new run from an event of the old one, and says so; refuses a point that is not an event", async () => {
    await dfut("start", "BrokenWorkflow", "--id", "reset-cli", "--wait");
    const history = JSON.parse((await dfut("history", "reset-cli", "-o", "json")).stdout) as { seq: number; type: string }[];
    const reset = await dfut("reset", "reset-cli", "--to", "last-workflow-task", "--reason", "try again");
    expect(reset.stderr).toBe("");
    expect(lines(reset.stdout)).toEqual([expect.stringMatching(new RegExp(`^reset-cli: run \\d+ goes on from run ${history[0].seq} after event ${history.at(-2)!.seq}$`))]);
    const described = JSON.parse((await dfut("describe", "reset-cli", "-o", "json")).stdout) as { runs?: string[] };
    expect(described.runs?.[0]).toBe(String(history[0].seq));
    const again = JSON.parse((await dfut("reset", "reset-cli", "--to", "last-workflow-task", "-o", "json")).stdout) as Record<string, unknown>;
    const firstReset = /run (\d+) goes on/.exec(reset.stdout)![1];
    expect(again).toMatchObject({ workflowId: "reset-cli", fromRunId: firstReset, runId: expect.stringMatching(/^\d+$/) });
    const bad = await dfut("reset", "reset-cli", "--to", "yesterday");
    expect(bad.stderr.trim()).toBe('dfut: --to must be an event\'s seq or last-workflow-task, not "yesterday"');
    const bulk = await dfut("reset", "--type", "BrokenWorkflow", "--to", "3");
    expect(bulk.stderr.trim()).toBe("dfut: a selection resets each workflow to its own point: use --to last-workflow-task");
  });
});

describe("signals, cancellation and history --follow", () => {
  it("history --follow streams events until the signal completes the workflow", async () => {
    expect((await dfut("start", "ApprovalWorkflow", "invoice-9", "--id", "approval-1")).code).toBe(0);
    const follow = start(exe, ["history", "approval-1", "--follow", "--nats", nats.url]);
    background.push(follow);
    await follow.waitFor("WorkflowStarted");
    const signal = await dfut("signal", "approval-1", "approve", '{"ok":true}');
    expect(signal.code).toBe(0);
    expect(await follow.exited).toBe(0);
    expect(follow.output()).toMatch(/SignalReceived\s+approve \{"ok":true\}/);
    expect(follow.output()).toMatch(/WorkflowCompleted\s+→ \{"item":"invoice-9","approved":true\}/);
  });

  it("cancel ends a waiting workflow, and result then exits non-zero", async () => {
    await dfut("start", "ApprovalWorkflow", "invoice-10", "--id", "approval-2");
    const cancel = await dfut("cancel", "approval-2", "--reason", "customer withdrew");
    expect(cancel.code).toBe(0);
    const result = await dfut("result", "approval-2");
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toMatch(/^dfut: workflow approval-2 (was canceled|failed: CanceledError)/);
  });
});

describe("user mistakes: one line, exit code 1, no stack trace", () => {
  const cases: Array<[string, () => Promise<string[]>, RegExp]> = [
    ["an unknown command", async () => ["frobnicate"], /^dfut: unknown command 'frobnicate'/],
    ["a command with a typo", async () => ["histroy", "x"], /^dfut: unknown command 'histroy'.*Did you mean history\?/],
    ["unreachable NATS", async () => ["list", "--nats", `nats://127.0.0.1:${await freePort()}`], /^dfut: cannot reach NATS at nats:\/\/127\.0\.0\.1:\d+/],
    ["NATS that dfut is not set up on", async () => ["list", "--nats", bareNats.url], /^dfut: dfut is not set up on this NATS server yet \(missing: history streams\); start 'dfut server' once against it$/],
    ["a server named NATS it cannot reach", async () => ["server", "--nats", `nats://127.0.0.1:${await freePort()}`], /^dfut: cannot reach NATS at .*; it was named by --nats, so dfut does not start its own$/],
    ["an unknown workflow id", async () => ["history", "no-such-order", "--nats", nats.url], /^dfut: no workflow with id "no-such-order"$/],
    ["a workflow id NATS cannot carry", async () => ["describe", "a.b", "--nats", nats.url], /^dfut: workflow id "a\.b" contains '\.'/],
    ["bad JSON in --input", async () => ["start", "OrderWorkflow", "--input", "[1,", "--nats", nats.url], /^dfut: --input is not valid JSON/],
    ["an argument that is broken JSON", async () => ["start", "OrderWorkflow", '{"customer":', "--nats", nats.url], /^dfut: argument 1 looks like JSON but does not parse/],
    ["an unknown workflow type", async () => ["start", "NoSuchWorkflow", "--nats", nats.url], /^dfut: unknown workflow type NoSuchWorkflow: .*known: .*OrderWorkflow/],
    ["a workflow id its reuse policy refuses", async () => {
      await dfut("start", "OrderWorkflow", "Ann", "w", "1", "1", "--id", "reuse-refused", "--wait");
      return ["start", "OrderWorkflow", "--id", "reuse-refused", "--id-reuse", "reject", "--nats", nats.url];
    }, /^dfut: workflow id "reuse-refused" was used by a run that completed, and the id reuse policy "reject" refuses a new run; choose another id$/],
    ["a bad --id-reuse", async () => ["start", "OrderWorkflow", "--id-reuse", "never", "--nats", nats.url], /^dfut: .*--id-reuse.*never.*allow, failed-only, reject/],
    ["a module with a syntax error", async () => ["worker", "--load", join(userDir, "syntax.ts")], /^dfut: cannot load .*syntax\.ts: SyntaxError: .*syntax\.ts:3:\d+: /],
    ["a module that throws while loading", async () => ["worker", "--load", join(userDir, "throws.ts")], /^dfut: cannot load .*throws\.ts: refused at load 1 \(at .*throws\.ts:3:\d+\)$/],
    ["a module that does not exist", async () => ["worker", "--load", "nope/missing.ts"], /^dfut: cannot load nope\/missing\.ts: no such file$/],
    ["a worker without --load", async () => ["worker"], /^dfut: dfut worker needs --load <module>/],
    ["a bad --limit", async () => ["list", "--limit", "zero"], /^dfut: --limit must be a positive whole number/],
    ["a bad --output", async () => ["list", "-o", "yaml"], /^dfut: option '-o, --output <format>' argument 'yaml' is invalid/],
    ["a bad --http address", async () => ["server", "--http", "everywhere"], /^dfut: invalid HTTP address "everywhere"/],
  ];
  it.each(cases)("%s", async (_name, args, message) => {
    const result: RunResult = await run(exe, await args());
    expect(result.code, result.stderr).toBe(1);
    expect(lines(result.stderr)).toHaveLength(1);
    expect(result.stderr.trim()).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("dfut dev", () => {
  it("runs server, worker and an embedded nats-server in one process, and stops them all", async () => {
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), "dfut-dev-"));
    try {
      const dev = start(exe, ["dev", "--load", "examples/order.ts", "--embedded-port", String(port), "--data-dir", dataDir, "--no-http"]);
      background.push(dev);
      await dev.waitFor("dfut dev ready");
      const url = `nats://127.0.0.1:${port}`;
      const { code, stdout } = await run(exe, ["start", "OrderWorkflow", "Bob", "widget-1000", "1000", "2", "--wait", "--id", "dev-order", "--nats", url]);
      expect(code).toBe(0);
      expect(JSON.parse(lines(stdout)[1])).toMatchObject({ tracking_id: "trk_dev-order", quantity: 2 });
      expect(await dev.stop("SIGINT")).toBe(0);
      expect(await isListening("127.0.0.1", port)).toBe(false);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("the executable on its own", () => {
  const bare = { cleanEnv: true, env: { PATH: "/nonexistent" } };

  it("runs with an empty environment and no node on PATH", async () => {
    const v = await run(exe, ["--version"], bare);
    expect(v).toEqual({ code: 0, stdout: `${version}\n`, stderr: "" });
    const help = await run(exe, ["--help"], bare);
    expect(help.code).toBe(0);
    for (const command of ["server", "worker", "dev", "start", "history", "list", "describe", "result", "signal", "cancel", "watch"]) {
      expect(help.stdout).toMatch(new RegExp(`^  ${command} `, "m"));
    }
  });

  it("dfut server starts its embedded nats-server without one on PATH, and stops it on SIGTERM", async () => {
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), "dfut-data-"));
    try {
      const server = start(exe, ["server", "--embedded-port", String(port), "--data-dir", dataDir, "--http", "127.0.0.1:0"], bare);
      background.push(server);
      await server.waitFor("dfut server ready");
      expect(server.output()).toContain(`started an embedded nats-server with JetStream there (data in ${dataDir})`);
      const list = await run(exe, ["list", "--nats", `nats://127.0.0.1:${port}`], bare);
      expect(list).toMatchObject({ code: 0, stdout: "no workflow executions\n" });
      expect(await server.stop("SIGTERM")).toBe(0);
      expect(await isListening("127.0.0.1", port)).toBe(false);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("dfut schedule", () => {
  // --nats goes before the subcommand: what follows -- is the workflow's.
  const schedule = (...args: string[]) => run(exe, ["--nats", nats.url, "schedule", ...args]);
  const describeJson = async (id: string) => JSON.parse((await schedule("describe", id, "-o", "json")).stdout) as {
    paused: boolean;
    note?: string;
    nextFires: string[];
    recentRuns: { workflowId: string; status: string; manual?: boolean }[];
  };

  it("create --every, then describe, list, pause, trigger, resume and delete; dfut server fires it", async () => {
    const help = await run(exe, ["--help"]);
    expect(help.stdout).toMatch(/^ {2}schedule /m);
    const created = await schedule("create", "cli-every", "--every", "1s", "--overlap", "allow-all", "--", "OrderWorkflow", "Bob", "widget-1", "10", "1");
    expect(created.stderr).toBe("");
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^created schedule cli-every: every 1s, first fire \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\n$/);

    const fired = await eventually(async () => {
      const d = await describeJson("cli-every");
      return d.recentRuns.find((r) => r.status === "completed");
    }, 20_000, "a completed run of cli-every");
    expect(fired.workflowId).toMatch(/^cli-every-\d{8}T\d{6}Z$/);
    expect(JSON.parse((await dfut("result", fired.workflowId)).stdout)).toMatchObject({ product_id: "widget-1", quantity: 1 });
    const text = await schedule("describe", "cli-every");
    expect(text.stdout).toMatch(/spec\s+│ every 1s/);
    expect(text.stdout).toMatch(/workflow\s+│ OrderWorkflow\("Bob", "widget-1", 10, 1\) queue=default/);
    expect(text.stdout).toMatch(new RegExp(`${fired.workflowId}\\s+│ completed`));
    expect((await schedule("list")).stdout).toMatch(/cli-every\s+│ every 1s\s+│ OrderWorkflow\s+│ active/);

    expect((await schedule("pause", "cli-every", "--note", "maintenance")).stdout).toBe("paused schedule cli-every\n");
    expect(await describeJson("cli-every")).toMatchObject({ paused: true, note: "maintenance" });
    const triggered = await schedule("trigger", "cli-every");
    expect(triggered.code).toBe(0);
    const manualId = triggered.stdout.trim();
    expect(manualId).toMatch(/^cli-every-manual-\d{8}T\d{6}Z$/);
    expect((await dfut("result", manualId)).code).toBe(0);
    expect((await schedule("resume", "cli-every")).stdout).toBe("resumed schedule cli-every\n");
    expect((await describeJson("cli-every")).paused).toBe(false);

    expect((await schedule("delete", "cli-every")).stdout).toBe("deleted schedule cli-every\n");
    expect(JSON.parse((await schedule("list", "-o", "json")).stdout)).not.toContainEqual(expect.objectContaining({ scheduleId: "cli-every" }));
  });

  it("create --cron in a time zone, paused, lists its next fires in that zone", async () => {
    const created = await schedule("create", "cli-cron", "--cron", "30 9 * * MON-FRI", "--timezone", "Europe/Berlin", "--paused", "-o", "json", "--", "OrderWorkflow", "Ann", "w", "1", "1");
    expect(created.stderr).toBe("");
    const d = JSON.parse(created.stdout) as { nextFires: string[]; paused: boolean };
    expect(d.paused).toBe(true);
    expect(d.nextFires).toHaveLength(5);
    for (const t of d.nextFires) expect(new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/Berlin", timeStyle: "short" }).format(new Date(t))).toBe("09:30");
    expect((await schedule("describe", "cli-cron")).stdout).toMatch(/\d\d:\d\d:00Z \(\d{4}-\d\d-\d\d 09:30:00 Europe\/Berlin\)/);
    expect((await schedule("delete", "cli-cron")).code).toBe(0);
  });

  const mistakes: Array<[string, () => Promise<string[]>, RegExp]> = [
    ["an unknown overlap policy", async () => ["create", "bad-1", "--every", "1m", "--overlap", "never", "--", "OrderWorkflow"], /^dfut: option '--overlap <policy>' argument 'never' is invalid\. Allowed choices are skip, buffer-one, allow-all/],
    ["a bad cron field", async () => ["create", "bad-2", "--cron", "0 25 * * *", "--", "OrderWorkflow"], /^dfut: cron expression "0 25 \* \* \*": hour field "25": 25 is outside 0-23$/],
    ["a cron with four fields", async () => ["create", "bad-3", "--cron", "0 3 * *", "--", "OrderWorkflow"], /^dfut: cron expression "0 3 \* \*": expected 5 fields \(minute hour day-of-month month day-of-week\), got 4$/],
    ["both --cron and --every", async () => ["create", "bad-4", "--cron", "* * * * *", "--every", "1m", "--", "OrderWorkflow"], /^dfut: pass either --cron or --every, not both$/],
    ["neither --cron nor --every", async () => ["create", "bad-5", "--", "OrderWorkflow"], /^dfut: a schedule needs --cron "<expression>" or --every <duration>$/],
    ["a bad --every", async () => ["create", "bad-6", "--every", "soon", "--", "OrderWorkflow"], /^dfut: --every must be a duration such as 30s, 5m, 1h or 1d; not "soon"$/],
    ["an unknown time zone", async () => ["create", "bad-7", "--cron", "0 3 * * *", "--timezone", "Mars/Base", "--", "OrderWorkflow"], /^dfut: unknown time zone "Mars\/Base"/],
    ["an existing schedule id", async () => {
      await schedule("create", "cli-taken", "--every", "1h", "--paused", "--", "OrderWorkflow");
      return ["create", "cli-taken", "--every", "1m", "--", "OrderWorkflow"];
    }, /^dfut: a schedule with id "cli-taken" already exists; delete it first or choose another id$/],
    ["an unknown schedule id", async () => ["describe", "no-such-schedule"], /^dfut: no schedule with id "no-such-schedule"$/],
    ["trigger of an unknown schedule id", async () => ["trigger", "no-such-schedule"], /^dfut: no schedule with id "no-such-schedule"$/],
    ["an unknown subcommand", async () => ["frobnicate"], /^dfut: unknown command 'frobnicate'; see 'dfut schedule --help'$/],
  ];
  it.each(mistakes)("%s: one line, exit code 1", async (_name, args, message) => {
    const result = await schedule(...(await args()));
    expect(result.code, result.stderr).toBe(1);
    expect(lines(result.stderr)).toHaveLength(1);
    expect(result.stderr.trim()).toMatch(message);
  });
});

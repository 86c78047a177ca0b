// `dfut watch` in real terminals: the program runs in its own process on a pseudo-terminal,
// against a real nats-server, and is driven by key presses.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AddActivity, ChargeCreditCardActivity, OrderWorkflow, ShipPackageActivity } from "../../examples/order.ts";
import { ROOT, run, start, type Background } from "../cli/dfut.ts";
import { nextReconnect } from "../../src/tui/hooks/useConnection.ts";
import { startEnv, type TestEnv } from "../support/env.ts";
import { watchCommand, type WatchCommand } from "./dfut-command.ts";
import { GateActivity, GatedWorkflow, openGate, SignalledWorkflow } from "./fixtures.ts";
import { ScriptTerminal, TmuxTerminal } from "./terminal.ts";

/** dfut from the sources, for the commands other than watch. */
const bin = join(ROOT, "bin/dfut.mjs");

let env: TestEnv;
let command: WatchCommand;
const terminals: { kill?: () => void; stop?: () => void }[] = [];
const background: Background[] = [];

beforeAll(async () => {
  [env, command] = await Promise.all([startEnv(), watchCommand()]);
  await env.worker({
    workflows: { OrderWorkflow, GatedWorkflow, SignalledWorkflow },
    activities: { ChargeCreditCardActivity, ShipPackageActivity, AddActivity, GateActivity },
  });
}, 180_000);
afterAll(async () => {
  await Promise.all(background.map((b) => b.stop()));
  for (const t of terminals) {
    t.kill?.();
    t.stop?.();
  }
  command?.dispose();
  await env?.stop();
});

describe("dfut watch in a pseudo-terminal", () => {
  it("with --wait-start, waits for the workflow, follows it live to its result, and quits with q (exit code 0)", async () => {
    const term = new ScriptTerminal(command.argv("pty-gated", "--wait-start"), { columns: 100, rows: 30, env: { NATS_URL: env.nats.url } });
    terminals.push(term);
    await term.waitFor("waiting for workflow pty-gated to start");

    await env.client.start(GatedWorkflow, { args: ["pty"], workflowId: "pty-gated" });
    const running = await term.waitFor("#1 GateActivity  attempt 1  running");
    expect(term.text().slice(running)).not.toContain("Result");

    openGate("pty-gated");
    const result = await term.waitFor('Result {"first": "pty done", "sum": 42}', running);
    expect(term.text().slice(running, result)).toContain("#2 AddActivity attempt 1 → 42");
    // Ink drew in the alternate screen, which the program leaves again on exit.
    expect(term.raw()).toContain("\u001B[?1049h");

    term.type("q");
    expect(await term.exited).toBe(0);
    expect(term.raw().lastIndexOf("\u001B[?1049l")).toBeGreaterThan(term.raw().lastIndexOf("\u001B[?1049h"));
  });

  it("quits on Ctrl-C too", async () => {
    await env.client.execute(OrderWorkflow, { args: ["Bob", "widget-1000", 1000, 2], workflowId: "pty-order" });
    const term = new ScriptTerminal(command.argv("pty-order"), { columns: 80, rows: 24, env: { NATS_URL: env.nats.url } });
    terminals.push(term);
    await term.waitFor('Result {"tracking_id": "trk_pty-order"');
    term.type("\u0003");
    expect(await term.exited).toBe(0);
  });
});

describe("an unknown workflow id", () => {
  it("dfut watch and dfut history --follow say there is no such workflow, in one line, and exit non-zero", async () => {
    const term = new ScriptTerminal(command.argv("pty-nobody"), { columns: 100, rows: 30, env: { NATS_URL: env.nats.url } });
    terminals.push(term);
    expect(await term.exited).toBe(1);
    expect(term.text().trim()).toBe(`dfut: no workflow with id "pty-nobody"; 'dfut watch --wait-start pty-nobody' waits for it to start`);
    expect(term.raw()).not.toContain("\u001B[?1049h");

    const follow = await run(process.execPath, [bin, "history", "pty-nobody", "--follow", "--nats", env.nats.url]);
    expect(follow.code).toBe(1);
    expect(follow.stdout).toBe("");
    expect(follow.stderr).toBe('dfut: no workflow with id "pty-nobody"\n');
  });
});

describe("dfut watch on a tmux screen", () => {
  it("fits the window, redraws on resize, and picks from the live list", async () => {
    await env.client.execute(OrderWorkflow, { args: ["Ann", "lamp-7", 5, 1], workflowId: "tmux-order" });
    const term = TmuxTerminal.start(command.argv(), { columns: 100, rows: 20, env: { NATS_URL: env.nats.url } });
    terminals.push(term);
    const list = await term.waitForScreen((s) => s.includes("dfut executions") && s.includes("tmux-order"), "the execution list");
    expect(list).toMatch(/› ● Completed\s+OrderWorkflow\s+tmux-order/);

    // A workflow that starts while the list is open appears at the top.
    await env.client.start(GatedWorkflow, { args: ["tmux"], workflowId: "tmux-gated" });
    await term.waitForScreen((s) => /● Running\s+GatedWorkflow\s+tmux-gated/.test(s), "the new execution, running");
    const rows = term.screen().filter((l) => /^(›| ) ● /.test(l));
    const target = rows.findIndex((l) => l.includes("tmux-gated"));
    for (let i = 0; i < target; i++) term.keys("Down");
    await term.waitForScreen((s) => /› ● Running\s+GatedWorkflow\s+tmux-gated/.test(s), "the cursor on tmux-gated");
    term.keys("Enter");
    await term.waitForScreen((s) => s.includes("#1 GateActivity  attempt 1  running"), "the gated workflow, running");

    term.resize(60, 16);
    // The frame is redrawn for the new size: the header on the first row, nothing left over.
    const narrow = await term.waitForScreen((s) => /^GatedWorkflow {2}tmux-gated +● Running\n/.test(s), "the view redrawn at 60×16");
    const lines = narrow.split("\n");
    expect(lines).toHaveLength(16);
    expect(lines.every((l) => l.length <= 60)).toBe(true);
    expect(lines[0]).toHaveLength(60);
    expect(lines.filter((l) => l.includes("tmux-gated"))).toHaveLength(1);
    expect(narrow).toContain("#1 GateActivity  attempt 1  running");

    openGate("tmux-gated");
    await term.waitForScreen((s) => s.includes("Result") && s.includes("● Completed"), "the result");

    term.keys("Escape");
    const back = await term.waitForScreen((s) => s.includes("dfut executions") && /› ● Completed\s+Gated\S*\s+tmux-gated /.test(s), "the list again");
    expect(back.split("\n").every((l) => l.length <= 60)).toBe(true);
    expect(back).toMatch(/● Completed\s+Order\S*\s+tmux-order /);
    term.keys("q");
    await term.waitForScreen((s) => s.includes("[exit 0]"), "the program to exit with 0");
  });
});

describe("a lost NATS connection", () => {
  it("dfut watch and dfut history --follow say so until NATS is back, then go on without missing or repeating events", async () => {
    await env.client.start(SignalledWorkflow, { workflowId: "pty-conn" });
    const term = TmuxTerminal.start(command.argv("pty-conn"), { columns: 100, rows: 20, env: { NATS_URL: env.nats.url } });
    terminals.push(term);
    const follow = start(process.execPath, [bin, "history", "pty-conn", "--follow", "--nats", env.nats.url]);
    background.push(follow);
    await term.waitForScreen((s) => s.includes("● Running") && s.includes("WorkflowStarted"), "the running workflow");
    await follow.waitFor("WorkflowStarted");

    await env.nats.halt();
    // A request made before this process's own connection is back would be lost.
    const testClientBack = nextReconnect(env.connection.nc);
    try {
      const lost = await term.waitForScreen((s) => /⚠ NATS connection lost; reconnecting since \d\d:\d\d:\d\d \(/.test(s), "the connection-lost line");
      expect(lost).not.toContain("● Running");
      await follow.waitFor("dfut: NATS connection lost; reconnecting…");
    } finally {
      await env.nats.resume();
    }
    await term.waitForScreen((s) => s.includes("● Running") && !s.includes("NATS connection"), "the live view again");
    await follow.waitFor("dfut: NATS connection back");

    expect(await testClientBack.reconnected).toBe(true);
    await env.client.signal("pty-conn", "go", "back");
    await term.waitForScreen((s) => /SignalReceived\s+go "back"/.test(s), "the signal sent after the restart");
    expect(await follow.exited).toBe(0);
    const printed = follow
      .output()
      .split("\n")
      .map((line) => /^(\d+)\s+\d\d:\d\d:\d\d\.\d{3}\s/.exec(line)?.[1])
      .filter((seq): seq is string => seq !== undefined)
      .map(Number);
    expect(printed).toEqual((await env.client.history("pty-conn")).map((e) => e.seq));
  });
});

// `dfut watch` in real terminals: the program runs in its own process on a pseudo-terminal,
// against a real nats-server, and is driven by key presses.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AddActivity, ChargeCreditCardActivity, OrderWorkflow, ShipPackageActivity } from "../../examples/order.ts";
import { startEnv, type TestEnv } from "../support/env.ts";
import { watchCommand, type WatchCommand } from "./dfut-command.ts";
import { GateActivity, GatedWorkflow, openGate } from "./fixtures.ts";
import { ScriptTerminal, TmuxTerminal } from "./terminal.ts";

let env: TestEnv;
let command: WatchCommand;
const terminals: { kill?: () => void; stop?: () => void }[] = [];

beforeAll(async () => {
  [env, command] = await Promise.all([startEnv(), watchCommand()]);
  await env.worker({
    workflows: { OrderWorkflow, GatedWorkflow },
    activities: { ChargeCreditCardActivity, ShipPackageActivity, AddActivity, GateActivity },
  });
}, 180_000);
afterAll(async () => {
  for (const t of terminals) {
    t.kill?.();
    t.stop?.();
  }
  command?.dispose();
  await env?.stop();
});

describe("dfut watch in a pseudo-terminal", () => {
  it("waits for the workflow, follows it live to its result, and quits with q (exit code 0)", async () => {
    const term = new ScriptTerminal(command.argv("pty-gated"), { columns: 100, rows: 30, env: { NATS_URL: env.nats.url } });
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

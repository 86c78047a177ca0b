import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { render, cleanup } from "ink-testing-library";
import { AddActivity, ChargeCreditCardActivity, OrderWorkflow, ShipPackageActivity } from "../../examples/order.ts";
import { BatchWorkflow } from "../../examples/batch.ts";
import { WatchApp } from "../../src/tui/app.tsx";
import { frameWhere, has, seqs, type Rendered } from "./frames.ts";
import { eventually, startEnv, type TestEnv } from "../support/env.ts";
import { PassThrough, Writable } from "node:stream";
import { stripVTControlCharacters } from "node:util";
import { runWatch } from "../../src/tui/watch.tsx";
import {
  DeclinedWorkflow,
  FailThenGateActivity,
  GateActivity,
  GatedWorkflow,
  openGate,
  RefusedActivity,
  RetryWorkflow,
  StepsWorkflow,
} from "./fixtures.ts";

const UP = "\u001B[A";
const DOWN = "\u001B[B";
const ESC = "\u001B";
const ENTER = "\r";

let env: TestEnv;
beforeAll(async () => {
  env = await startEnv();
  await env.worker({
    workflows: { OrderWorkflow, BatchWorkflow, GatedWorkflow, StepsWorkflow, RetryWorkflow, DeclinedWorkflow },
    activities: { ChargeCreditCardActivity, ShipPackageActivity, AddActivity, GateActivity, FailThenGateActivity, RefusedActivity },
  });
});
afterEach(() => cleanup());
afterAll(() => env?.stop());


/** Gives the fake terminal of ink-testing-library a size and tells Ink it changed. */
function resize(ui: Rendered, columns: number, rows: number): void {
  Object.defineProperty(ui.stdout, "columns", { get: () => columns, configurable: true });
  Object.defineProperty(ui.stdout, "rows", { get: () => rows, configurable: true });
  ui.stdout.emit("resize");
}


describe("dfut watch <id>", () => {
  it("names a child's parent, and a parent's children and run", async () => {
    const batch = await env.client.start(BatchWorkflow, { args: [2, 1], workflowId: "tui-batch" });
    await batch.result();
    const child = render(<WatchApp client={env.client} workflowId="tui-batch-order-1" />);
    expect(await frameWhere(child, has("WorkflowCompleted"), "the child")).toContain("child of tui-batch");
    cleanup();
    const parent = render(<WatchApp client={env.client} workflowId="tui-batch" />);
    const frame = await frameWhere(parent, has("WorkflowCompleted", "ChildWorkflowClosed"), "the parent's current run");
    expect(frame).toContain("child tui-batch-order-2");
    expect(frame).toMatch(new RegExp(`run \\d+, continued from ${batch.runId}`));
  });

  it("shows a finished order workflow: header, both activities, Completed and the result", async () => {
    const handle = await env.client.start(OrderWorkflow, { args: ["Bob", "widget-1000", 1000, 2], workflowId: "order-done" });
    await handle.result();
    const ui = render(<WatchApp client={env.client} workflowId="order-done" />);
    const frame = await frameWhere(ui, has("WorkflowCompleted", "Result"), "the completed order");
    expect(frame).toContain("OrderWorkflow");
    expect(frame).toContain("order-done");
    expect(frame).toContain("● Completed");
    expect(frame).toContain("ChargeCreditCardActivity");
    expect(frame).toContain("ShipPackageActivity");
    expect(frame).toContain('Result {"tracking_id": "trk_order-done", "charge_id": "ch_order-done", "product_id": "widget-1000",');
    expect(frame).toContain("8 events");
    expect(seqs(frame)).toHaveLength(8);
    expect(frame).not.toContain("Running");
    for (const line of frame.split("\n")) expect(line.length).toBeLessThanOrEqual(100);
  });

  it("waits for a workflow that has not started, then follows it live to its result", async () => {
    const ui = render(<WatchApp client={env.client} workflowId="gated-later" />);
    await frameWhere(ui, has("waiting for workflow gated-later to start"), "the waiting line");

    await env.client.start(GatedWorkflow, { args: ["first"], workflowId: "gated-later" });
    const running = await frameWhere(ui, has("ActivityStarted", "#1 GateActivity  attempt 1  running"), "the open activity");
    expect(running).toContain("● Running");
    expect(running).toContain("GatedWorkflow");
    expect(running).not.toContain("waiting for workflow");
    expect(running).not.toContain("Result");

    openGate("gated-later");
    const done = await frameWhere(ui, has("● Completed", "Result"), "the result");
    expect(done).toContain('Result {"first": "first done", "sum": 42}');
    expect(done).toContain("#2 AddActivity attempt 1 → 42");
    expect(done).not.toContain("Running\n");
    // Every frame on the way was a live update of the same view: the count of events only grew.
    const counts = ui.frames.map((f) => /(\d+) events?/.exec(f)?.[1]).filter(Boolean).map(Number);
    expect(counts.length).toBeGreaterThan(1);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
  });

  it("scrolls with the arrow keys, follows the tail, and fits a resized terminal", async () => {
    const handle = await env.client.start(StepsWorkflow, { args: [30], workflowId: "steps-30" });
    expect(await handle.result()).toBe(30);
    const history = await env.client.history("steps-30");
    const first = history[0].seq;
    const last = history.at(-1)!.seq;
    const ui = render(<WatchApp client={env.client} workflowId="steps-30" />);
    resize(ui, 100, 20);
    const tail = await frameWhere(ui, has("WorkflowCompleted", "Result 30"), "the tail of the history");
    expect(seqs(tail).at(-1)).toBe(last);
    expect(seqs(tail)).not.toContain(first);
    expect(tail).toContain("live");

    ui.stdin.write("g");
    const top = await frameWhere(ui, (f) => seqs(f)[0] === first, "the first event at the top");
    expect(top).toContain("WorkflowStarted");
    const visible = seqs(top).length;
    expect(visible).toBeGreaterThan(3);

    ui.stdin.write(DOWN);
    await frameWhere(ui, (f) => seqs(f)[0] === history[1].seq, "one row down");
    ui.stdin.write(DOWN);
    await frameWhere(ui, (f) => seqs(f)[0] === history[2].seq, "two rows down");
    ui.stdin.write(UP);
    await frameWhere(ui, (f) => seqs(f)[0] === history[1].seq, "one row back up");

    ui.stdin.write("G");
    await frameWhere(ui, (f) => seqs(f).at(-1) === last, "the tail again");

    resize(ui, 60, 16);
    const narrow = await frameWhere(ui, (f) => seqs(f).length > 0 && seqs(f).length < visible, "a smaller terminal");
    for (const line of narrow.split("\n")) expect(line.length).toBeLessThanOrEqual(60);
    expect(narrow.split("\n").length).toBeLessThan(16);
  });
});

describe("dfut watch <id>, failures", () => {
  it("shows a failed attempt waiting for its retry, then the retry running", async () => {
    const ui = render(<WatchApp client={env.client} workflowId="retry-1" />);
    await env.client.start(RetryWorkflow, { workflowId: "retry-1" });
    const second = await frameWhere(ui, has("#1 FailThenGateActivity  attempt 2  running"), "the second attempt running");
    expect(second).toContain("● Running");
    expect(second).toMatch(/ActivityFailed +#1 FailThenGateActivity attempt 1 ✗ card reader jammed/);
    openGate("retry-1");
    await frameWhere(ui, has("● Completed", 'Result "retried done"'), "the result");
  });

  it("shows a failed workflow with its error", async () => {
    await env.client.start(DeclinedWorkflow, { workflowId: "declined-1" });
    const ui = render(<WatchApp client={env.client} workflowId="declined-1" />);
    const frame = await frameWhere(ui, has("● Failed", "WorkflowFailed"), "the failure");
    expect(frame).toMatch(/^Error ActivityFailure: activity RefusedActivity \(#1\) failed after 1 attempt\(s\): CardDeclined: card\n +declined$/m);
    expect(frame).toMatch(/ActivityFailed +#1 RefusedActivity attempt 1 ✗ CardDeclined: card declined/);
  });
});

/** Terminal-like streams: real Node streams that say they are a TTY (input accepts raw mode). */
function keyboard(): NodeJS.ReadStream {
  return Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => undefined, ref: () => undefined, unref: () => undefined }) as unknown as NodeJS.ReadStream;
}

function screenCapture(): { stream: NodeJS.WriteStream; text(): string } {
  let out = "";
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      out += chunk.toString("utf8");
      done();
    },
  });
  const tty = Object.assign(stream, { isTTY: true, columns: 100, rows: 30 });
  return { stream: tty as unknown as NodeJS.WriteStream, text: () => stripVTControlCharacters(out) };
}

describe("runWatch", () => {
  it("draws live on a terminal and resolves when the user presses q", async () => {
    await env.client.execute(OrderWorkflow, { args: ["Cy", "desk-2", 10, 1], workflowId: "order-q" });
    const stdin = keyboard();
    const screen = screenCapture();
    let finished = false;
    const done = runWatch({ client: env.client, workflowId: "order-q", stdin, stdout: screen.stream }).then(() => (finished = true));
    await eventually(() => screen.text().includes('Result {"tracking_id": "trk_order-q"'), 15_000, "the result on the screen");
    expect(finished).toBe(false);
    stdin.write("q");
    await done;
    expect(finished).toBe(true);
  });

  it("refuses a workflow id that cannot be a subject token", async () => {
    await expect(runWatch({ client: env.client, workflowId: "a.b" })).rejects.toThrow(/workflow id/i);
  });
});

describe("dfut watch (the execution list)", () => {
  it("lists executions live, opens one with Enter and goes back with Esc", async () => {
    const ui = render(<WatchApp client={env.client} />);
    await frameWhere(ui, has("dfut executions", "order-done"), "the list");

    await env.client.start(OrderWorkflow, { args: ["Ann", "lamp-7", 5, 1], workflowId: "order-listed" });
    const listed = await frameWhere(ui, (f) => /order-listed/.test(f) && /● Completed\s+OrderWorkflow\s+order-listed/.test(f), "the new execution, completed");
    // Newest first, with the cursor on it.
    expect(listed.split("\n").find((l) => l.includes("order-listed"))).toMatch(/^› /);

    // Move the cursor to order-done and open it.
    const lines = listed.split("\n").filter((l) => /^(›| ) ● /.test(l));
    const target = lines.findIndex((l) => l.includes("order-done"));
    expect(target).toBeGreaterThan(0);
    for (let i = 0; i < target; i++) ui.stdin.write(DOWN);
    await frameWhere(ui, (f) => (f.split("\n").find((l) => l.includes("order-done")) ?? "").startsWith("›"), "the cursor on order-done");
    ui.stdin.write(ENTER);
    const opened = await frameWhere(ui, has("WorkflowCompleted", 'Result {"tracking_id": "trk_order-done"'), "the opened workflow");
    expect(opened).toContain("esc back");

    ui.stdin.write(ESC);
    await frameWhere(ui, has("dfut executions", "order-listed", "order-done"), "the list again");
  });
});

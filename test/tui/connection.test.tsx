// The watch views while nats-server is down: this file stops and restarts its own server.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { cleanup, render } from "ink-testing-library";
import { WatchApp } from "../../src/tui/app.tsx";
import { frameWhere, has, seqs } from "./frames.ts";
import { eventually, startEnv, type TestEnv } from "../support/env.ts";
import { SignalledWorkflow } from "./fixtures.ts";

const ENTER = "\r";
const ESC = "\u001B";

let env: TestEnv;
let halted = false;
const halt = async () => {
  halted = true;
  await env.nats.halt();
};
const resume = async () => {
  await env.nats.resume();
  halted = false;
};

beforeAll(async () => {
  env = await startEnv();
  await env.worker({ workflows: { SignalledWorkflow }, activities: {} });
});
afterEach(async () => {
  cleanup();
  // A failed test must not leave the next one without a server.
  if (halted) await resume();
});
afterAll(() => env?.stop());

const LOST = /⚠ NATS connection lost; reconnecting since \d\d:\d\d:\d\d \(([^)]+)\)/;


describe("dfut watch <id> without NATS", () => {
  it("says the connection is lost instead of Running, with the clock stopped; once NATS is back the view goes on, complete", async () => {
    await env.client.start(SignalledWorkflow, { workflowId: "conn-wf" });
    const ui = render(<WatchApp client={env.client} workflowId="conn-wf" />);
    await frameWhere(ui, has("● Running", "WorkflowStarted"), "the running workflow");

    await halt();
    const lost = await frameWhere(ui, (f) => LOST.test(f), "the connection-lost line");
    expect(lost).toContain("⚠ Reconnecting");
    expect(lost).not.toContain("● Running");
    // The line counts on while the elapsed time of the workflow stands still.
    const elapsed = /elapsed (\S+)/.exec(lost)?.[1];
    const later = await frameWhere(ui, (f) => LOST.exec(f)?.[1] !== LOST.exec(lost)?.[1], "the connection line counting on");
    expect(/elapsed (\S+)/.exec(later)?.[1]).toBe(elapsed);

    await resume();
    await frameWhere(ui, (f) => f.includes("● Running") && !f.includes("NATS connection"), "the live view again");
    await env.client.signal("conn-wf", "go", "after the restart");
    await frameWhere(ui, (f) => /SignalReceived\s+go "after the restart"/.test(f), "the signal that came after the restart");
    // Every stored event once, in order: nothing missed or repeated across the reconnect.
    await eventually(async () => {
      const stored = (await env.client.history("conn-wf")).map((e) => e.seq);
      const shown = seqs(ui.lastFrame() ?? "");
      return shown.join() === stored.join() || undefined;
    }, 20_000, `the view to show the stored history; last frame:\n${ui.lastFrame()}`);
  });
});

describe("dfut watch (the list) without NATS", () => {
  it("says the connection is lost until NATS is back, then shows executions started since", async () => {
    await env.client.start(SignalledWorkflow, { workflowId: "conn-listed" });
    const ui = render(<WatchApp client={env.client} />);
    await frameWhere(ui, has("dfut executions", "conn-listed"), "the list");

    await halt();
    await frameWhere(ui, (f) => LOST.test(f) && f.includes("conn-listed"), "the connection-lost line over the list");

    await resume();
    await frameWhere(ui, (f) => !f.includes("NATS connection") && f.includes("conn-listed"), "the list without the line");
    await env.client.start(SignalledWorkflow, { workflowId: "conn-after" });
    const after = await frameWhere(ui, (f) => /● Running\s+SignalledWorkflow\s+conn-after/.test(f), "the execution started after the restart");
    expect(after).toContain("conn-listed");
  });

  it("opens a workflow picked while NATS is down once it is back", async () => {
    await env.client.start(SignalledWorkflow, { workflowId: "conn-picked" });
    const ui = render(<WatchApp client={env.client} />);
    await frameWhere(ui, (f) => /› ● Running\s+SignalledWorkflow\s+conn-picked/.test(f), "the list with the cursor on conn-picked");

    await halt();
    await frameWhere(ui, (f) => LOST.test(f), "the connection-lost line");
    ui.stdin.write(ENTER);
    // Its history cannot be read without NATS: the view says it will try again.
    await frameWhere(ui, has("trying again once NATS is back"), "the history feed waiting for NATS");

    await resume();
    const opened = await frameWhere(ui, has("SignalledWorkflow  conn-picked", "WorkflowStarted", "● Running"), "the picked workflow, loaded");
    expect(opened).not.toContain("NATS connection");
    ui.stdin.write(ESC);
    await frameWhere(ui, has("dfut executions", "conn-picked"), "the list again");
  });
});

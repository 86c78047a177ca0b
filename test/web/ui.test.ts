import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { connectDfut, type DfutConnection } from "dfut";
import { buildWeb } from "../../scripts/build-web.mjs";
import { startHttpServer, type HttpServer } from "../../src/api/http.ts";
import { activities, buggyWorkflowFix, workflows } from "../api/workflows.ts";
import { eventually, startEnv, type TestEnv } from "../support/env.ts";
import { launchBrowser, type TestBrowser } from "./browser.ts";

// The README's screenshots are refreshed with DFUT_UPDATE_SCREENSHOTS=1; other runs keep theirs apart.
const screenshots = process.env.DFUT_UPDATE_SCREENSHOTS
  ? fileURLToPath(new URL("../../docs/screenshots/", import.meta.url))
  : `${mkdtempSync(join(tmpdir(), "dfut-screenshots-"))}/`;

let env: TestEnv;
let http: HttpServer;
let browser: TestBrowser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  await buildWeb("dist/web");
  env = await startEnv();
  // Workflows only, for now: activities wait until a test starts their worker.
  await env.worker({ workflows, identity: "worker-0" });
  http = await startHttpServer({ connection: env.connection, addr: "127.0.0.1:0" });
  browser = await launchBrowser();
  page = await browser.browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on("pageerror", (err) => pageErrors.push(err.message));
});
afterAll(async () => {
  await browser?.close();
  await http?.close();
  await env?.stop();
});

async function rowStatus(workflowId: string): Promise<string | null> {
  return page.locator(`tr[data-workflow-id="${workflowId}"] [data-status]`).getAttribute("data-status", { timeout: 1000 }).catch(() => null);
}

describe("the web UI in Chromium", () => {
  it("starts OrderWorkflow from the form and shows it run to Completed live, with both activities", async () => {
    await page.goto(http.url);
    await expect.poll(() => page.getByRole("heading", { name: "Workflows" }).isVisible()).toBe(true);
    await page.getByText("No workflows yet.").waitFor();
    // Marks this document: if the page reloaded, the mark would be gone.
    await page.evaluate(() => ((window as unknown as { dfutMark: number }).dfutMark = 42));

    await page.getByRole("main").getByRole("link", { name: "Start workflow" }).click();
    await page.getByRole("heading", { name: "Start a workflow" }).waitFor();
    await page.getByLabel("Workflow type").selectOption({ label: "OrderWorkflow" });
    await page.getByLabel("customerId").fill("Bob");
    await page.getByLabel("productId").fill("widget-1000");
    await page.getByLabel("amount").fill("1000");
    await page.getByLabel("quantity").fill("2");
    await page.getByLabel(/Workflow ID/).fill("order-ui-1");
    await page.screenshot({ path: `${screenshots}start.png`, fullPage: true });
    await page.getByRole("button", { name: "Start" }).click();

    // The workflow's page, running: its first activity is scheduled, and no worker takes it yet.
    await page.waitForURL(/#\/workflows\/order-ui-1$/);
    const badge = page.locator(".wf-title [data-status]");
    await expect.poll(() => badge.getAttribute("data-status")).toBe("running");
    await page.locator('[data-activity-type="ChargeCreditCardActivity"]').waitFor();

    // An activity worker arrives; the page follows the history as it grows.
    await env.worker({ activities, identity: "worker-1" });
    await expect.poll(() => badge.getAttribute("data-status"), { timeout: 15_000 }).toBe("completed");
    const timeline = page.locator(".timeline");
    await expect.poll(() => timeline.locator('[data-activity-type="ShipPackageActivity"]').count()).toBe(1);
    const text = await timeline.innerText();
    expect(text).toContain("ChargeCreditCardActivity");
    expect(text).toContain("ShipPackageActivity");
    expect(text).toContain("Workflow completed");
    expect(await timeline.locator(".pill-completed").count()).toBe(2);
    // Each activity's steps: scheduled, then started, then completed.
    const charge = await timeline.locator('[data-activity-type="ChargeCreditCardActivity"] .phases').innerText();
    expect(charge).toMatch(/Scheduled[\s\S]*Started[\s\S]*attempt 1[\s\S]*Completed[\s\S]*ran /);
    expect(await page.locator(".io").innerText()).toContain("trk_order-ui-1");

    // Back on the dashboard, still the same document: it lists the workflow as completed.
    await page.getByRole("link", { name: "Workflows" }).click();
    await expect.poll(() => rowStatus("order-ui-1")).toBe("completed");
    expect(await page.evaluate(() => (window as unknown as { dfutMark?: number }).dfutMark)).toBe(42);
  });

  it("the dashboard moves a workflow from Running to Completed without a reload, and filters", async () => {
    await page.evaluate(() => ((window as unknown as { dfutMark: number }).dfutMark = 43));
    await env.client.start("ApprovalWorkflow", { args: ["ann"], workflowId: "approval-ui-1" });
    await expect.poll(() => rowStatus("approval-ui-1")).toBe("running");
    await env.client.signal("approval-ui-1", "approve", { approved: true });
    await expect.poll(() => rowStatus("approval-ui-1")).toBe("completed");

    // More history for the filters and the screenshot: a failure, a cancel, a waiting one, orders.
    await env.client.start("RefusingWorkflow", { args: ["out of stock"], workflowId: "refund-ui-7" });
    await env.client.start("ApprovalWorkflow", { args: ["bo"], workflowId: "approval-ui-2" });
    await env.client.start("ApprovalWorkflow", { args: ["cy"], workflowId: "approval-ui-3" });
    for (const [i, customer] of ["Ada", "Lin", "Sam"].entries()) {
      await env.client.start("OrderWorkflow", { args: [customer, `widget-${i + 2}`, 250 * (i + 1), i + 1], workflowId: `order-ui-${i + 2}` });
    }
    await env.client.cancel("approval-ui-3", "customer called");
    await expect.poll(() => rowStatus("refund-ui-7")).toBe("failed");
    await expect.poll(() => rowStatus("approval-ui-3")).toBe("canceled");
    await expect.poll(() => rowStatus("order-ui-4")).toBe("completed");

    await page.getByRole("button", { name: /^Failed/ }).click();
    await expect.poll(() => page.locator("tbody tr").count()).toBe(1);
    await page.getByRole("button", { name: /^All/ }).click();
    await page.getByLabel("Filter by type").selectOption("ApprovalWorkflow");
    await expect.poll(() => page.locator("tbody tr").count()).toBe(3);
    await page.getByLabel("Filter by type").selectOption("");
    await page.getByLabel("Search by id").fill("order-ui");
    await expect.poll(() => page.locator("tbody tr").count()).toBe(4);
    await page.getByLabel("Search by id").fill("");
    await page.getByLabel("Search by id").blur();
    expect(await page.evaluate(() => (window as unknown as { dfutMark?: number }).dfutMark)).toBe(43);

    await expect.poll(() => page.locator("tbody tr").count()).toBe(8);
    await page.screenshot({ path: `${screenshots}dashboard.png`, fullPage: true });
  });

  it("the workflow page shows a failure expanded, and signals and cancels a running workflow", async () => {
    await page.goto(`${http.url}#/workflows/refund-ui-7`);
    await expect.poll(() => page.locator(".wf-title [data-status]").getAttribute("data-status")).toBe("failed");
    const failedActivity = page.locator('[data-activity-type="RefuseActivity"]');
    await expect.poll(() => failedActivity.innerText()).toContain("refused: out of stock");
    expect(await failedActivity.innerText()).toContain("No retry");

    // Retries are visible: two failed attempts with their errors, then the one that worked.
    await env.client.start("FlakyWorkflow", { args: [30], workflowId: "flaky-ui-1" });
    await page.goto(`${http.url}#/workflows/flaky-ui-1`);
    await expect.poll(() => page.locator(".wf-title [data-status]").getAttribute("data-status")).toBe("completed");
    const flaky = page.locator('[data-activity-type="FlakyChargeActivity"]');
    expect(await flaky.locator(".phase-failed").count()).toBe(2);
    const flakyText = await flaky.innerText();
    expect(flakyText).toContain("card declined (attempt 1)");
    expect(flakyText).toContain("card declined (attempt 2)");
    expect(flakyText).toContain("Will retry at");
    expect(flakyText).toContain("attempt 3");
    await page.screenshot({ path: `${screenshots}workflow-retries.png`, fullPage: true });

    await page.goto(`${http.url}#/workflows/approval-ui-2`);
    const badge = page.locator(".wf-title [data-status]");
    await expect.poll(() => badge.getAttribute("data-status")).toBe("running");
    await page.getByRole("button", { name: "Signal…" }).click();
    await page.getByLabel("Signal name").fill("approve");
    await page.getByLabel(/Payload/).fill('{"approved": false}');
    await page.getByRole("button", { name: "Send signal" }).click();
    await expect.poll(() => badge.getAttribute("data-status")).toBe("completed");
    expect(await page.locator(".timeline").innerText()).toContain("Signal approve");

    await env.client.start("ApprovalWorkflow", { args: ["di"], workflowId: "approval-ui-4" });
    await page.goto(`${http.url}#/workflows/approval-ui-4`);
    await expect.poll(() => badge.getAttribute("data-status")).toBe("running");
    await page.getByRole("button", { name: "Cancel…" }).click();
    await page.getByLabel(/Reason/).fill("not needed");
    await page.getByRole("button", { name: "Cancel workflow" }).click();
    await expect.poll(() => badge.getAttribute("data-status")).toBe("canceled");
    expect(await page.locator(".timeline").innerText()).toContain("Cancellation requested: not needed");

    await page.goto(`${http.url}#/workflows/order-ui-1`);
    await expect.poll(() => page.locator(".timeline .pill-completed").count()).toBe(2);
    await page.screenshot({ path: `${screenshots}workflow.png`, fullPage: true });

    // The table of all events shows each event's typed fields.
    await page.locator(".raw-events summary").click();
    const scheduled = page.locator("table.events tbody tr", { hasText: "ActivityScheduled" }).first();
    expect(await scheduled.innerText()).toContain('"activityType":"ChargeCreditCardActivity","args":["Bob",2000]');
  });

  it("terminates a running workflow after a confirm step, and says when a cancel closed a workflow at once", async () => {
    await env.client.start("ApprovalWorkflow", { args: ["ed"], workflowId: "approval-ui-5" });
    await page.goto(`${http.url}#/workflows/approval-ui-5`);
    const badge = page.locator(".wf-title [data-status]");
    await expect.poll(() => badge.getAttribute("data-status")).toBe("running");
    await page.getByRole("button", { name: "Terminate…" }).click();
    await page.getByLabel(/Reason/).fill("approver left");
    await page.getByRole("button", { name: "Terminate workflow" }).click();
    await page.getByText("This cannot be undone").waitFor();
    await page.getByRole("button", { name: "Yes, terminate" }).click();
    await expect.poll(() => badge.getAttribute("data-status")).toBe("terminated");
    await expect.poll(() => page.locator(".timeline").innerText()).toContain("Workflow terminated: approver left");
    expect(await page.locator(".io").innerText()).toContain("approver left");
    expect(await page.locator(".actions-panel").innerText()).toContain("Terminated.");

    // No worker serves this type: the cancel closes it at once, and the page says so.
    await env.client.start("UnservedWorkflow", { workflowId: "unserved-ui-1" });
    await page.goto(`${http.url}#/workflows/unserved-ui-1`);
    await expect.poll(() => badge.getAttribute("data-status")).toBe("running");
    await page.getByRole("button", { name: "Cancel…" }).click();
    await page.getByRole("button", { name: "Cancel workflow" }).click();
    await expect.poll(() => badge.getAttribute("data-status")).toBe("canceled");
    expect(await page.locator(".actions-panel").innerText()).toContain("Canceled at once");

    await page.getByRole("link", { name: "Workflows" }).click();
    await expect.poll(() => rowStatus("approval-ui-5")).toBe("terminated");
    await page.getByRole("button", { name: /^Terminated/ }).click();
    await expect.poll(() => page.locator("tbody tr").count()).toBe(1);
    await page.getByRole("button", { name: /^All/ }).click();
  });

  it("is readable on a phone", async () => {
    const phone = await browser.browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true });
    try {
      await phone.goto(http.url);
      await phone.locator('tr[data-workflow-id="order-ui-1"]').waitFor();
      // Nothing wider than the screen.
      expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await phone.screenshot({ path: `${screenshots}dashboard-phone.png` });
      await phone.goto(`${http.url}#/workflows/order-ui-1`);
      await phone.locator('.timeline [data-activity-type="ShipPackageActivity"]').waitFor();
      expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await phone.screenshot({ path: `${screenshots}workflow-phone.png`, fullPage: true });
    } finally {
      await phone.close();
    }
  });

  it("a restarted HTTP server, with a new connection and no state, shows the same data", async () => {
    await page.goto(http.url);
    await expect.poll(() => page.locator("tbody tr").count()).toBe(12);
    const before = await page.locator("tbody").innerText();
    const port = new URL(http.url).port;
    await http.close();

    let connection: DfutConnection | undefined;
    try {
      connection = await connectDfut({ servers: env.nats.url });
      http = await startHttpServer({ connection, addr: `127.0.0.1:${port}` });
      await page.reload();
      await expect.poll(() => page.locator("tbody tr").count()).toBe(12);
      // Durations of closed workflows are fixed, so the whole table reads the same.
      expect(await page.locator("tbody").innerText()).toBe(before);
      await page.goto(`${http.url}#/workflows/order-ui-1`);
      await expect.poll(() => page.locator(".timeline .pill-completed").count()).toBe(2);
    } finally {
      await http.close();
      await connection?.close();
      http = await startHttpServer({ connection: env.connection, addr: "127.0.0.1:0" });
    }
    expect(pageErrors).toEqual([]);
  });

  it("links a child workflow to its parent and the parent's timeline to its children, and names the runs", async () => {
    await env.worker({ activities, identity: "worker-batch" });
    const batch = await env.client.start("BatchWorkflow", { args: [3, 2], workflowId: "batch-ui" });
    expect(await batch.result()).toMatchObject({ processed: 3, runs: 2 });
    await page.goto(`${http.url}#/workflows/batch-ui-order-1`);
    const parentLink = page.locator(".wf-parent a");
    await expect.poll(() => parentLink.textContent()).toBe("batch-ui");
    await parentLink.click();
    await page.waitForURL(/#\/workflows\/batch-ui$/);
    const timeline = page.locator(".timeline");
    // The current run started the third order; its card links to that child.
    const childLink = timeline.locator(".wf-link", { hasText: "batch-ui-order-3" });
    await childLink.waitFor();
    await expect.poll(() => page.locator(".wf-runs").textContent()).toBe(batch.runId);
    await page.screenshot({ path: `${screenshots}children.png`, fullPage: true });
    await childLink.click();
    await page.waitForURL(/#\/workflows\/batch-ui-order-3$/);
    await expect.poll(() => page.locator(".wf-title [data-status]").getAttribute("data-status")).toBe("completed");
    expect(pageErrors).toEqual([]);
  });

  it("runs a query from the workflow page's Query box, shows an unknown query's error, and an update's card", async () => {
    // worker-0 serves CounterWorkflow: it is one of the API test workflows.
    await env.client.start("CounterWorkflow", { args: [5], workflowId: "counter-ui-1" });
    await env.client.signal("counter-ui-1", "add", 2);
    expect(await env.client.update("counter-ui-1", "add", 3)).toBe(10);
    await page.goto(`${http.url}#/workflows/counter-ui-1`);
    const badge = page.locator(".wf-title [data-status]");
    await expect.poll(() => badge.getAttribute("data-status")).toBe("running");

    const box = page.getByRole("form", { name: "Query" });
    const answer = box.locator(".query-answer");
    await box.getByLabel("Query name").fill("value");
    await box.getByRole("button", { name: "Run query" }).click();
    await expect.poll(() => answer.getAttribute("data-ok")).toBe("true");
    expect(await answer.getByLabel("query result").innerText()).toBe("10");
    await box.getByLabel("Query name").fill("isAbove");
    await box.getByLabel(/Arguments/).fill("[9]");
    await box.getByRole("button", { name: "Run query" }).click();
    await expect.poll(() => answer.getByLabel("query result").innerText()).toBe("true");

    await box.getByLabel("Query name").fill("nope");
    await box.getByLabel(/Arguments/).fill("");
    await box.getByRole("button", { name: "Run query" }).click();
    await expect.poll(() => answer.getAttribute("data-ok")).toBe("false");
    expect(await answer.getByRole("alert").innerText()).toMatch(/has no query handler "nope" \(it has: value, isAbove\)/);
    await box.getByLabel(/Arguments/).fill("9");
    await box.getByLabel("Query name").fill("isAbove");
    await box.getByRole("button", { name: "Run query" }).click();
    await expect.poll(() => answer.getByRole("alert").innerText()).toContain("must be a JSON array");

    // The update's card: its name, arguments, result and state.
    const update = page.locator('.timeline [data-update-name="add"]');
    await expect.poll(() => update.locator(".pill-completed").count()).toBe(1);
    const card = await update.innerText();
    expect(card).toMatch(/Update add[\s\S]*Completed[\s\S]*args \[3\][\s\S]*result 10/i);

    // Closed, it still answers: a worker replays its history.
    await env.client.signal("counter-ui-1", "finish", null);
    await expect.poll(() => badge.getAttribute("data-status")).toBe("completed");
    await box.getByLabel("Query name").fill("value");
    await box.getByLabel(/Arguments/).fill("");
    await box.getByRole("button", { name: "Run query" }).click();
    await expect.poll(() => answer.getAttribute("data-ok")).toBe("true");
    expect(await answer.getByLabel("query result").innerText()).toBe("10");
    expect(pageErrors).toEqual([]);
  });

  it("lists schedules, shows one's next runs and recent runs with their workflows, and pauses it from its page", async () => {
    await env.client.schedules.create("ui-every", { spec: { every: "1s" }, workflow: "OrderWorkflow", args: ["Zed", "widget-5", 10, 1] });
    await env.client.schedules.create("ui-nightly", {
      spec: { cron: "0 3 * * *", timezone: "Europe/Berlin" },
      workflow: "BatchWorkflow",
      args: [10, 5],
      paused: true,
      note: "until the batch job is ready",
    });
    await page.goto(http.url);
    await page.getByRole("link", { name: "Schedules" }).click();
    await page.getByRole("heading", { name: "Schedules" }).waitFor();
    const every = page.locator('tr[data-schedule-id="ui-every"]');
    await every.waitFor();
    expect(await every.innerText()).toMatch(/ui-every[\s\S]*every 1s[\s\S]*OrderWorkflow[\s\S]*(in \d+ s|now)[\s\S]*Active/i);
    const nightly = page.locator('tr[data-schedule-id="ui-nightly"]');
    expect(await nightly.innerText()).toMatch(/cron 0 3 \* \* \* \(Europe\/Berlin\)[\s\S]*BatchWorkflow/);
    expect(await nightly.locator("[data-state]").getAttribute("data-state")).toBe("paused");

    await every.getByRole("link", { name: "ui-every" }).click();
    await page.waitForURL(/#\/schedules\/ui-every$/);
    await expect.poll(() => page.locator(".next-fires li").count()).toBe(5);
    // The server fires it every second: its runs appear with their workflows' status.
    const runs = page.locator(".schedule-runs tbody tr");
    await expect.poll(() => runs.locator('[data-status="completed"]').count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(2);
    expect(Number(await page.locator('[data-count="started"]').innerText())).toBeGreaterThanOrEqual(2);
    expect(await page.locator('[data-count="overlap-skipped"]').innerText()).toMatch(/^\d+$/);
    await page.screenshot({ path: `${screenshots}schedule.png`, fullPage: true });

    await page.getByLabel("Pause note").fill("paused from the UI");
    await page.getByRole("button", { name: "Pause" }).click();
    const pill = page.locator(".schedule-header [data-state]");
    await expect.poll(() => pill.getAttribute("data-state")).toBe("paused");
    await expect.poll(() => page.locator(".schedule-note").innerText()).toContain("paused from the UI");
    expect(await page.locator(".schedule-header").innerText()).toContain("Paused.");
    await page.getByText("none of these fires until it is resumed").waitFor();
    expect(await env.client.schedules.describe("ui-every")).toMatchObject({ paused: true, note: "paused from the UI" });

    // A recent run links to its workflow's page.
    const firstRun = runs.first();
    const runId = await firstRun.getAttribute("data-workflow-id");
    await firstRun.getByRole("link").click();
    await page.waitForURL(new RegExp(`#/workflows/${runId}$`));
    await expect.poll(() => page.locator(".wf-title [data-status]").getAttribute("data-status")).toBe("completed");

    await page.getByRole("link", { name: "Schedules" }).click();
    await expect.poll(() => page.locator('tr[data-schedule-id="ui-every"] [data-state]').getAttribute("data-state")).toBe("paused");
    await page.screenshot({ path: `${screenshots}schedules.png`, fullPage: true });
    await env.client.schedules.delete("ui-every");
    await env.client.schedules.delete("ui-nightly");
    expect(pageErrors).toEqual([]);
  });

  it("resets a failed workflow from its page after a confirm step, and shows the new run and where it comes from", async () => {
    buggyWorkflowFix.deployed = false;
    const handle = await env.client.start("BuggyWorkflow", { args: ["Uma"], workflowId: "buggy-ui-1" });
    await expect(handle.result()).rejects.toThrow(/a bug after charging Uma/);
    const old = await env.client.history("buggy-ui-1");
    const toSeq = old.at(-2)!.seq;
    await page.goto(`${http.url}#/workflows/buggy-ui-1`);
    const badge = page.locator(".wf-title [data-status]");
    await expect.poll(() => badge.getAttribute("data-status")).toBe("failed");

    // The fix is deployed; the workflow goes on from before its failure.
    buggyWorkflowFix.deployed = true;
    await page.getByRole("button", { name: "Reset…" }).click();
    expect(await page.getByLabel("Reset point").locator("option").allInnerTexts()).toEqual(
      expect.arrayContaining([expect.stringMatching(/^Last workflow task/), expect.stringMatching(/After event \d+ · ActivityCompleted #1/)]),
    );
    await page.getByLabel(/Reason/).fill("bug fixed");
    await page.getByRole("button", { name: "Reset workflow" }).click();
    await page.getByText("Reset buggy-ui-1 to the last workflow task?").waitFor();
    await page.getByRole("button", { name: "Yes, reset" }).click();
    await expect.poll(() => page.locator(".actions-panel").innerText()).toMatch(new RegExp(`Reset: run \\d+ goes on from run ${handle.runId} after event ${toSeq}`));
    await expect.poll(() => badge.getAttribute("data-status"), { timeout: 15_000 }).toBe("completed");
    const started = page.locator(".timeline .tl-started").first();
    expect(await started.innerText()).toContain(`reset from run ${handle.runId} after event ${toSeq} (bug fixed)`);
    expect(await page.locator(".timeline").innerText()).toContain("ShipPackageActivity");
    await expect.poll(() => page.locator(".wf-runs").textContent()).toBe(handle.runId);
    expect(await page.locator(".io").innerText()).toContain("trk_buggy-ui-1");
    await page.screenshot({ path: `${screenshots}workflow-reset.png`, fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});

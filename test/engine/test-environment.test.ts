// dfut/testing: an in-process dfut whose clock jumps over timers.
import { existsSync } from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { WorkflowContext } from "dfut";
import { TestEnvironment } from "dfut/testing";

const DAY = 86_400_000;

async function Note(text: string) {
  return text;
}

/** Waits 30 days, twice a durable timer, then reports what its clock saw. */
async function MonthlyWorkflow(ctx: WorkflowContext) {
  const before = ctx.now().getTime();
  await ctx.sleep(30 * DAY);
  const note = await ctx.executeActivity(Note, "a month later");
  const after = ctx.now().getTime();
  return { note, days: Math.round((after - before) / DAY) };
}

/** Waits for a signal or 2 days, whichever comes first. */
async function ReminderWorkflow(ctx: WorkflowContext) {
  let answered = false;
  ctx.onSignal("answer", () => void (answered = true));
  const inTime = await ctx.condition(() => answered, 2 * DAY);
  return inTime ? "answered" : "reminded";
}

let env: TestEnvironment;
beforeAll(async () => {
  env = await TestEnvironment.create({ workflows: { MonthlyWorkflow, ReminderWorkflow }, activities: { Note } });
});
afterAll(async () => env?.close());

it("skips time while only timers are left: a 30-day sleep completes, and ctx.now() shows the 30 days", async () => {
  const start = env.now().getTime();
  const result = await env.client.execute(MonthlyWorkflow);
  expect(result).toEqual({ note: "a month later", days: 30 });
  expect(env.now().getTime() - start).toBeGreaterThanOrEqual(30 * DAY);
});

it("a signal in time beats the timer; without one the timer fires after the skipped 2 days", async () => {
  const answered = await env.client.start(ReminderWorkflow);
  await answered.signal("answer");
  expect(await answered.result()).toBe("answered");
  expect(await env.client.execute(ReminderWorkflow)).toBe("reminded");
});

it("close() stops everything and removes the temporary store", async () => {
  const other = await TestEnvironment.create({ workflows: { MonthlyWorkflow }, activities: { Note }, timeSkipping: false });
  const handle = await other.client.start(MonthlyWorkflow);
  // Without time skipping, env.sleep moves time by hand.
  await other.sleep(31 * DAY);
  expect(await handle.result()).toEqual({ note: "a month later", days: 31 });
  expect(other.natsUrl).toMatch(/^nats:\/\/127\.0\.0\.1:\d+$/);
  expect(existsSync(other.dataDir!)).toBe(true);
  await other.close();
  expect(existsSync(other.dataDir!)).toBe(false);
});

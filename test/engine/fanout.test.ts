import { afterAll, beforeAll, expect, it } from "vitest";
import type { WorkflowContext } from "dfut";
import { startEnv, type TestEnv } from "../support/env.ts";

const WIDTH = 300;
const runs = new Map<number, number>();
let invocations = 0;

async function Square(i: number): Promise<number> {
  runs.set(i, (runs.get(i) ?? 0) + 1);
  return i * i;
}

async function FanOutWorkflow(ctx: WorkflowContext, width: number) {
  invocations++;
  const squares = await Promise.all(Array.from({ length: width }, (_, i) => ctx.executeActivity(Square, i)));
  return squares.reduce((a, b) => a + b, 0);
}

let env: TestEnv;
beforeAll(async () => {
  env = await startEnv();
  await env.worker({ workflows: { FanOutWorkflow }, activities: { Square } });
});
afterAll(async () => env?.stop());

it("a wide Promise.all is recorded in one pass: no replay from the start, every activity once", async () => {
  const handle = await env.client.start(FanOutWorkflow, { args: [WIDTH] });
  const expected = Array.from({ length: WIDTH }, (_, i) => i * i).reduce((a, b) => a + b, 0);
  expect(await handle.result({ timeoutMs: 60_000 })).toBe(expected);

  // Activities that start while the batch is still being appended used to break its fences, and
  // each broken fence threw the run away and replayed it from the start: quadratic in the width.
  expect(invocations).toBe(1);
  expect([...runs.values()].every((n) => n === 1) && runs.size === WIDTH).toBe(true);
  const history = await handle.history();
  const scheduled = history.filter((e) => e.type === "ActivityScheduled").map((e) => e.type === "ActivityScheduled" && e.activityId);
  expect(scheduled).toEqual(Array.from({ length: WIDTH }, (_, i) => i + 1));
  expect(history.filter((e) => e.type === "WorkflowTaskFailed")).toEqual([]);
});

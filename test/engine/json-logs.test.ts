// --log-format json: one object per line, with the workflow the line is about.
import { Writable } from "node:stream";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { WorkflowContext } from "dfut";
import { jsonLogger, taskFields } from "../../src/common/logger.ts";
import { eventually, startEnv, type TestEnv } from "../support/env.ts";

const lines: string[] = [];
const sink = () =>
  new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split("\n").filter(Boolean));
      done();
    },
  });

/** Uses a real timer: the determinism guard fails its task, which the worker logs. */
async function TimerMisuseWorkflow(_ctx: WorkflowContext) {
  await new Promise((resolve) => setTimeout(resolve, 10));
  return "never";
}

let env: TestEnv;
beforeAll(async () => {
  env = await startEnv();
  await env.worker({ workflows: { TimerMisuseWorkflow }, logger: jsonLogger({ out: sink(), err: sink() }) });
});
afterAll(async () => env?.stop());

it("a failed workflow task is one JSON line with time, level, workflowId, runId and message", async () => {
  const handle = await env.client.start(TimerMisuseWorkflow, { workflowId: "json-logs-1" });
  const line = await eventually(() => lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.workflowId === "json-logs-1"));
  expect(line).toMatchObject({ level: "error", workflowId: "json-logs-1", runId: handle.runId, message: expect.stringMatching(/task failed: NonDeterminismError: .*setTimeout/) });
  expect(Date.parse(line.time as string)).not.toBeNaN();
  expect(Object.keys(line)).toEqual(["time", "level", "workflowId", "runId", "message"]);
  await handle.terminate();
});

it("reads the workflow, activity and attempt of a task message for a line about it", () => {
  const task = new TextEncoder().encode(JSON.stringify({ workflowId: "wf-9", activityType: "Charge", attempt: 3, args: [] }));
  expect(taskFields(task)).toEqual({ workflowId: "wf-9", activity: "Charge", attempt: 3 });
  expect(taskFields(new TextEncoder().encode("not json"))).toEqual({});
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  WorkflowCanceledError,
  WorkflowClosedError,
  WorkflowTerminatedError,
  activityContext,
  type HistoryEvent,
  type WorkflowContext,
} from "dfut";
import { DISPATCHER_CONSUMER, TASK_STREAM, consumerNames, subjects } from "../../src/common/names.ts";
import { eventually, startEnv, type TestEnv } from "../support/env.ts";

async function Echo(value: unknown): Promise<unknown> {
  return value;
}
async function EchoWorkflow(ctx: WorkflowContext, value: unknown) {
  return ctx.executeActivity(Echo, value);
}
async function WaitWorkflow(ctx: WorkflowContext) {
  return ctx.waitForSignal<string>("go");
}
async function SleepyWorkflow(ctx: WorkflowContext) {
  await ctx.sleep(60_000);
  return "slept";
}
/** Awaits a real timer: the workflow's code goes on outside its task, and the workflow is stuck. */
async function StrayWorkflow() {
  await new Promise((resolve) => setTimeout(resolve, 10));
  return "never recorded";
}
const aborted: string[] = [];
async function Forever(): Promise<string> {
  const { signal, workflowId } = activityContext();
  await new Promise((_, reject) =>
    signal.addEventListener("abort", () => {
      aborted.push(workflowId);
      reject(signal.reason);
    }),
  );
  return "never";
}
async function ForeverWorkflow(ctx: WorkflowContext) {
  return ctx.withOptions({ startToCloseTimeout: 120_000 }).executeActivity(Forever);
}

let env: TestEnv;
const encode = (text: string) => new TextEncoder().encode(text);

beforeAll(async () => {
  env = await startEnv();
  await env.worker({
    workflows: { EchoWorkflow, WaitWorkflow, SleepyWorkflow, StrayWorkflow, ForeverWorkflow },
    activities: { Echo, Forever },
  });
});
afterAll(async () => env?.stop());

async function allComplete(count: number, tag: string): Promise<void> {
  const handles = await Promise.all(
    Array.from({ length: count }, (_, i) => env.client.start(EchoWorkflow, { args: [`${tag}-${i}`], workflowId: `${tag}-${i}` })),
  );
  expect(await Promise.all(handles.map((h) => h.result({ timeoutMs: 20_000 })))).toEqual(handles.map((_, i) => `${tag}-${i}`));
}

async function ackPending(stream: string, consumer: string): Promise<number> {
  return (await env.connection.jsm.consumers.info(stream, consumer)).num_ack_pending;
}

describe("a message on a history subject that is not an event", () => {
  it("is shown as undecodable, noted on its workflow, and stops nothing else", async () => {
    const handle = await env.client.start(WaitWorkflow, { workflowId: "poisoned" });
    await eventually(async () => (await env.client.describe("poisoned")).status === "running");
    const { seq } = await env.connection.js.publish(env.connection.layout!.subject("poisoned"), encode("this is {not json"));

    const history = await env.client.history("poisoned");
    const bad = history.find((e) => e.seq === seq) as Extract<HistoryEvent, { type: "Undecodable" }>;
    expect(bad.type).toBe("Undecodable");
    expect(bad.reason).toMatch(/not JSON/);
    expect(bad.raw).toBe("this is {not json");
    const problem = await eventually(async () => (await handle.describe()).problem, 15_000, "the problem note");
    expect(problem).toContain(`seq ${seq}`);
    expect(problem).toMatch(/cannot be decoded/);

    // Dispatch goes on for everyone else, and the dispatcher's acks move past the bad message.
    await allComplete(5, "after-poison");
    await eventually(async () => (await env.connection.jsm.consumers.info(env.connection.layout!.stream("poisoned"), DISPATCHER_CONSUMER)).ack_floor.stream_seq > seq);

    // The workflow itself cannot be replayed past the message: one failed task, not retried forever.
    await handle.signal("go", "now");
    const failed = await eventually(async () => (await handle.history()).find((e) => e.type === "WorkflowTaskFailed"));
    expect(failed.type === "WorkflowTaskFailed" && failed.error.name).toBe("UndecodableEvent");
    expect(failed.type === "WorkflowTaskFailed" && failed.error.message).toContain(`seq ${seq}`);
    await eventually(async () => (await ackPending(TASK_STREAM, consumerNames.workflowTasks("default"))) === 0);

    await handle.terminate("history repaired by hand");
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowTerminatedError);
    expect(await eventually(async () => (await handle.describe()).status === "terminated" || undefined)).toBe(true);
  });

  it("names the field when the message is JSON but not of the event model", async () => {
    await env.client.start(WaitWorkflow, { workflowId: "misshapen" });
    await env.connection.js.publish(env.connection.layout!.subject("misshapen"), encode(JSON.stringify({ type: "ActivityCompleted", time: "now" })));
    await env.connection.js.publish(env.connection.layout!.subject("misshapen"), encode(JSON.stringify({ type: "Nonsense", time: "now" })));
    const [, missing, unknown] = await env.client.history("misshapen");
    expect(missing).toMatchObject({ type: "Undecodable", reason: "it is an ActivityCompleted event whose field activityId is missing" });
    expect(unknown).toMatchObject({ type: "Undecodable", reason: 'its type "Nonsense" is not an event type dfut knows' });
    await env.client.terminate("misshapen");
  });
});

describe("task and timer messages that cannot be decoded", () => {
  it("are set aside at once while every other workflow goes on", async () => {
    const sleepy = await env.client.start(SleepyWorkflow, { workflowId: "sleepy" });
    await eventually(async () => (await sleepy.history()).some((e) => e.type === "TimerStarted"));
    const { js } = env.connection;
    await js.publish(subjects.workflowTask("default"), encode("garbage"));
    await js.publish(subjects.activityTask("default"), encode(JSON.stringify({ workflowId: "x", activityId: "one" })));
    await js.publish(subjects.timer("sleepy", 99), encode("{"));

    await allComplete(3, "after-bad-tasks");
    await eventually(async () => (await ackPending(TASK_STREAM, consumerNames.workflowTasks("default"))) === 0, 15_000, "the bad workflow task to be set aside");
    await eventually(async () => (await ackPending(TASK_STREAM, consumerNames.activityTasks("default"))) === 0, 15_000, "the bad activity task to be set aside");
    const problem = await eventually(async () => (await sleepy.describe()).problem, 15_000, "the timer problem");
    expect(problem).toMatch(/timer message seq \d+ on dfut\.timer\.sleepy\.99 cannot be decoded: it is not JSON/);
    await sleepy.terminate();
  });
});

describe("ending stuck workflows", () => {
  it("a cancel closes a workflow that no worker can run and that never ran", async () => {
    const handle = await env.client.start("NoSuchWorkflow", { workflowId: "unserved" });
    expect(await handle.cancel("not needed")).toBe("canceled");
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowCanceledError);
    expect((await handle.history()).map((e) => e.type)).toEqual(["WorkflowStarted", "CancelRequested", "WorkflowCanceled"]);

    const served = await env.client.start(WaitWorkflow, { workflowId: "served" });
    expect(await served.cancel()).toBe("requested");
    await expect(served.result()).rejects.toBeInstanceOf(WorkflowCanceledError);
  });

  it("result() tells why a workflow is not progressing while it waits", async () => {
    const handle = await env.client.start("AlsoNoSuchWorkflow", { workflowId: "unserved-wait" });
    const problems: (string | undefined)[] = [];
    const result = handle.result({ onProblem: (p) => problems.push(p) });
    await eventually(() => problems.length > 0);
    expect(problems[0]).toContain('queue "default" has registered workflow type AlsoNoSuchWorkflow');
    await handle.terminate();
    await expect(result).rejects.toBeInstanceOf(WorkflowTerminatedError);
  });

  it("terminate ends a workflow whose code is stuck, without running it, and aborts its running activities", async () => {
    const stray = await env.client.start(StrayWorkflow, { workflowId: "stray" });
    await eventually(async () => (await stray.history()).some((e) => e.type === "WorkflowTaskFailed"));
    await stray.terminate("stuck on a real timer");
    const last = (await stray.history()).at(-1)!;
    expect(last).toMatchObject({ type: "WorkflowTerminated", reason: "stuck on a real timer" });
    await expect(stray.result()).rejects.toThrow(/terminated: stuck on a real timer/);
    await expect(stray.signal("go")).rejects.toBeInstanceOf(WorkflowClosedError);
    await expect(stray.terminate()).rejects.toBeInstanceOf(WorkflowClosedError);

    const busy = await env.client.start(ForeverWorkflow, { workflowId: "busy" });
    await eventually(async () => (await busy.history()).some((e) => e.type === "ActivityStarted"));
    await busy.terminate();
    await eventually(() => aborted.includes("busy"));
    expect(await eventually(async () => (await busy.describe()).status === "terminated" || undefined)).toBe(true);
  });
});

describe("an execution index record that is not one", () => {
  it("is listed with a problem instead of failing every listing, and replaced by the next update", async () => {
    const { openKv } = await import("../../src/common/resources.ts");
    const { EXECUTIONS_BUCKET } = await import("../../src/common/names.ts");
    const kv = await openKv(env.connection.nc, EXECUTIONS_BUCKET);
    await kv.put("junk-record", encode("{not a record"));
    const listed = (await env.client.list()).find((r) => r.workflowId === "junk-record");
    expect(listed).toMatchObject({ status: "running", problem: "its execution index record cannot be decoded" });

    const handle = await env.client.start(EchoWorkflow, { args: ["fine"], workflowId: "junk-record" });
    expect(await handle.result()).toBe("fine");
    const record = await eventually(async () => ((await handle.describe()).status === "completed" ? handle.describe() : undefined));
    expect(record.workflowType).toBe("EchoWorkflow");
    expect(record.problem).toBeUndefined();
  });
});

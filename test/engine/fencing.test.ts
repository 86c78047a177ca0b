// Races between writers, scripted: the history, its fences and message ids are a real
// JetStream's; only the order in which two workers see their tasks is chosen by the test.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JsMsg } from "@nats-io/jetstream";
import type { WorkflowContext, WorkflowStarted } from "dfut";
import { appendEvent, readHistory } from "../../src/common/history.ts";
import { openKv } from "../../src/common/resources.ts";
import { encodeJson } from "../../src/common/payload.ts";
import { EXECUTIONS_BUCKET } from "../../src/common/names.ts";
import { WorkflowTaskHandler } from "../../src/worker/workflow-task-handler.ts";
import { MissingTypeHandler } from "../../src/worker/missing-type.ts";
import { silentLogger } from "../../src/common/logger.ts";
import { startEnv, type TestEnv } from "../support/env.ts";

let env: TestEnv;
beforeAll(async () => {
  env = await startEnv();
});
afterAll(() => env?.stop());

async function SignalBetweenSteps(ctx: WorkflowContext) {
  await ctx.executeActivity("First");
  let got = "none";
  void ctx.waitForSignal<string>("s").then((v) => (got = v));
  await ctx.executeActivity("Second");
  return got;
}

async function handler(identity: string): Promise<WorkflowTaskHandler> {
  const executions = await openKv(env.connection.nc, EXECUTIONS_BUCKET);
  return new WorkflowTaskHandler({
    connection: env.connection,
    executions,
    queue: "scripted",
    identity,
    workflows: new Map([["SignalBetweenSteps", SignalBetweenSteps]]),
    cacheSize: 100,
    missingTypes: new MissingTypeHandler(env.connection.jsm, executions, silentLogger),
    logger: silentLogger,
  });
}

/** A delivery of a workflow task, as JetStream would hand it to a worker. */
function delivery(workflowId: string, seq: number, event?: unknown): JsMsg {
  return {
    data: encodeJson({ workflowId, seq, event }),
    info: { deliveryCount: 1 },
    redelivered: false,
    ack() {},
    nak() {},
    term() {},
    working() {},
  } as unknown as JsMsg;
}

const now = () => new Date().toISOString();

describe("fencing", () => {
  it("a stale worker whose command was already stored by another does not skip the events in between", async () => {
    const id = "stale-dup";
    const [a, b] = [await handler("A"), await handler("B")];
    const started: Omit<WorkflowStarted, "seq"> = { type: "WorkflowStarted", time: now(), workflowType: "SignalBetweenSteps", args: [], queue: "scripted", options: {} };
    const s1 = await appendEvent(env.connection, id, started, { expectLastSeq: 0 });
    await a.handle(delivery(id, s1.seq, { ...started, seq: s1.seq })); // A schedules step 1
    const done1 = await appendEvent(env.connection, id, { type: "ActivityCompleted", time: now(), activityId: 1, attempt: 1, result: 1 });
    const signal = await appendEvent(env.connection, id, { type: "SignalReceived", time: now(), name: "s", payload: "hello" });
    await b.handle(delivery(id, signal.seq)); // B, cold, replays all and schedules step 2
    await a.handle(delivery(id, done1.seq)); // A, stale: its step 2 is B's, stored already
    const done2 = await appendEvent(env.connection, id, { type: "ActivityCompleted", time: now(), activityId: 2, attempt: 1, result: 2 });
    await a.handle(delivery(id, done2.seq));

    const history = await readHistory(env.connection, id);
    const completed = history.find((e) => e.type === "WorkflowCompleted");
    expect(completed?.type === "WorkflowCompleted" && completed.result).toBe("hello");
    expect(history.filter((e) => e.type === "ActivityScheduled")).toHaveLength(2);
  });

  it("the client's result() reports only what the stream stored, not a refused publish", async () => {
    const id = "refused-close";
    const h = await env.client.start("NoWorkerForThis", { workflowId: id, queue: "scripted-none" });
    const pending = h.result();
    // A writer with a stale view publishes a completion; the fence refuses it.
    await expect(
      appendEvent(env.connection, id, { type: "WorkflowCompleted", time: now(), result: "never recorded" }, { expectLastSeq: 0 }),
    ).rejects.toThrow();
    // Then a worker runs it and stores the real close.
    async function NoWorkerForThis() {
      return "recorded";
    }
    await env.worker({ queue: "scripted-none", workflows: { NoWorkerForThis } });
    expect(await pending).toBe("recorded");
  });
});

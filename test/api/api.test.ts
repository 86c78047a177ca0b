import { beforeAll, describe, expect, it } from "vitest";
import { Code, ConnectError } from "@connectrpc/connect";
import { durationMs } from "@bufbuild/protobuf/wkt";
import type { HttpServer } from "../../src/api/http.ts";
import { WorkflowStatus, type Workflow } from "../../src/api/gen/dfut/v1/workflow_pb.ts";
import { subjects } from "../../src/common/names.ts";
import { jsonOf, toMillis } from "../../src/web/format.ts";
import { eventually, type TestEnv } from "../support/env.ts";
import { apiFixture, client, rpc } from "./connect.ts";
import { ORDER_EVENT_TYPES } from "../support/order-history.ts";

const fixture = apiFixture();
let env: TestEnv;
let http: HttpServer;
beforeAll(() => {
  ({ env, http } = fixture);
});

describe("runs and children over the API", () => {
  it("a batch of child workflows that continues as new: its runs, each run's history, the children's parent, id reuse", async () => {
    const c = client(http.url);
    const { runId: firstRun } = await c.startWorkflow({ type: "BatchWorkflow", args: [{ kind: { case: "numberValue", value: 4 } }, { kind: { case: "numberValue", value: 2 } }] as never, workflowId: "api-batch" });
    expect(await env.client.result("api-batch")).toMatchObject({ processed: 4, runs: 2 });
    const wf = await eventually(async () => {
      const { workflow } = await c.getWorkflow({ workflowId: "api-batch" });
      return workflow?.status === WorkflowStatus.COMPLETED ? workflow : undefined;
    });
    expect(wf.runs).toEqual([firstRun, wf.runId]);
    expect(wf.continuedFrom).toBe(firstRun);
    const current = (await c.getHistory({ workflowId: "api-batch" })).events;
    expect(current[0].event.case).toBe("workflowStarted");
    expect(current.filter((e) => e.event.case === "childWorkflowScheduled")).toHaveLength(2);
    const first = (await c.getHistory({ workflowId: "api-batch", runId: firstRun })).events;
    expect(first.at(-1)?.event.case).toBe("workflowContinuedAsNew");
    const child = (await c.getWorkflow({ workflowId: "api-batch-order-1" })).workflow;
    expect(child?.parent).toMatchObject({ workflowId: "api-batch", runId: firstRun });

    const reject = rpc(http.url, "StartWorkflow", { type: "BatchWorkflow", args: [1], workflowId: "api-batch", idReuse: "reject" });
    expect(await reject).toMatchObject({ status: 409, body: { code: "already_exists" } });
    expect(await rpc(http.url, "StartWorkflow", { type: "BatchWorkflow", args: [1], workflowId: "api-batch", idReuse: "sometimes" })).toMatchObject({
      status: 400,
      body: { code: "invalid_argument", message: expect.stringMatching(/id_reuse must be one of allow, failed-only, reject/) },
    });
    expect(await rpc(http.url, "GetHistory", { workflowId: "api-batch", runId: "424242" })).toMatchObject({ status: 404 });
  });
});

describe("StartWorkflow, GetWorkflow, GetHistory over Connect JSON", () => {
  it("start an order with JSON args, read its record and its history", async () => {
    const started = await rpc(http.url, "StartWorkflow", {
      type: "OrderWorkflow",
      args: ["Bob", "widget-1000", 1000, 2],
      workflowId: "api-order-1",
    });
    expect(started).toEqual({ status: 200, body: { workflowId: "api-order-1", runId: expect.stringMatching(/^\d+$/) } });
    const result = await env.client.result("api-order-1");
    expect(result).toEqual({ tracking_id: "trk_api-order-1", charge_id: "ch_api-order-1", product_id: "widget-1000", quantity: 2 });

    const got = await eventually(async () => {
      const reply = await rpc(http.url, "GetWorkflow", { workflowId: "api-order-1" });
      const wf = reply.body.workflow as Record<string, unknown>;
      return wf?.status === "WORKFLOW_STATUS_COMPLETED" ? wf : undefined;
    });
    expect(got).toMatchObject({
      workflowId: "api-order-1",
      workflowType: "OrderWorkflow",
      queue: "default",
      args: ["Bob", "widget-1000", 1000, 2],
      result: { tracking_id: "trk_api-order-1", charge_id: "ch_api-order-1" },
    });
    expect(Date.parse(got.startedAt as string)).toBeLessThanOrEqual(Date.parse(got.closedAt as string));

    const history = await rpc(http.url, "GetHistory", { workflowId: "api-order-1" });
    const events = history.body.events as { type: string; seq: string; activityScheduled?: { activityType: string } }[];
    expect(events.map((e) => e.type)).toEqual([...ORDER_EVENT_TYPES]);
    expect(events.filter((e) => e.type === "ActivityScheduled").map((e) => e.activityScheduled?.activityType)).toEqual([
      "ChargeCreditCardActivity",
      "ShipPackageActivity",
    ]);
    const seqs = events.map((e) => Number(e.seq));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });

  it("GetHistory gives every event's fields typed: activities with their options, a retried failure with its error", async () => {
    const c = client(http.url);
    const order = (await c.getHistory({ workflowId: "api-order-1" })).events;
    const kinds = order.map((e) => e.event.case);
    expect(kinds).toEqual(ORDER_EVENT_TYPES.map((type) => type[0].toLowerCase() + type.slice(1)));
    const started = order[0].event;
    if (started.case !== "workflowStarted") throw new Error(`first event is ${started.case}`);
    expect(started.value).toMatchObject({ workflowType: "OrderWorkflow", queue: "default" });
    expect(started.value.args.map(jsonOf)).toEqual(["Bob", "widget-1000", 1000, 2]);

    const scheduled = order.flatMap((e) => (e.event.case === "activityScheduled" ? [e.event.value] : []));
    expect(scheduled.map((s) => [s.activityId, s.activityType])).toEqual([
      [1, "ChargeCreditCardActivity"],
      [2, "ShipPackageActivity"],
    ]);
    const charge = scheduled[0];
    expect(charge.args.map(jsonOf)).toEqual(["Bob", 2000]);
    const options = charge.options;
    expect(options?.queue).toBe("default");
    expect(options?.startToCloseTimeout && durationMs(options.startToCloseTimeout)).toBe(60_000);
    // The defaults, resolved when it was scheduled: unlimited attempts, doubling from 1 s.
    expect(options?.retry).toMatchObject({ maximumAttempts: 0, backoffCoefficient: 2, nonRetryableErrorTypes: [] });
    expect(options?.retry?.initialInterval && durationMs(options.retry.initialInterval)).toBe(1000);
    const completed = order.flatMap((e) => (e.event.case === "activityCompleted" ? [e.event.value] : []));
    expect(completed.map((a) => [a.activityId, a.attempt])).toEqual([
      [1, 1],
      [2, 1],
    ]);
    expect(jsonOf(completed[0].result)).toEqual({ chargeId: "ch_api-order-1", customerId: "Bob", amount: 2000 });
    const closed = order.at(-1)?.event;
    expect(closed?.case === "workflowCompleted" && jsonOf(closed.value.result)).toMatchObject({ tracking_id: "trk_api-order-1" });

    await rpc(http.url, "StartWorkflow", { type: "FlakyWorkflow", args: [30], workflowId: "api-flaky-1" });
    expect(await env.client.result("api-flaky-1")).toBe("charged 30");
    const flaky = (await c.getHistory({ workflowId: "api-flaky-1" })).events;
    const flakyOptions = flaky.flatMap((e) => (e.event.case === "activityScheduled" ? [e.event.value.options] : []));
    expect(flakyOptions.map((o) => o?.retry?.maximumAttempts)).toEqual([5]);
    const failures = flaky.flatMap((e) => (e.event.case === "activityFailed" ? [{ time: e.time, ...e.event.value }] : []));
    expect(failures.map((f) => [f.attempt, f.error?.name, f.error?.message, f.willRetry])).toEqual([
      [1, "Error", "card declined (attempt 1)", true],
      [2, "Error", "card declined (attempt 2)", true],
    ]);
    for (const failure of failures) {
      expect(toMillis(failure.nextAttemptAt)).toBeGreaterThanOrEqual(toMillis(failure.time) ?? Infinity);
    }
    const attempts = flaky.flatMap((e) => (e.event.case === "activityStarted" ? [e.event.value] : []));
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
    expect(attempts.every((a) => a.worker !== "")).toBe(true);

    // The same over plain JSON, as curl sees it.
    const raw = await rpc(http.url, "GetHistory", { workflowId: "api-flaky-1" });
    const rawEvents = raw.body.events as Record<string, unknown>[];
    expect(rawEvents.find((e) => e.type === "ActivityScheduled")).toMatchObject({
      activityScheduled: {
        activityType: "FlakyChargeActivity",
        args: [30],
        options: { startToCloseTimeout: "60s", retry: { initialInterval: "0.050s", backoffCoefficient: 1, maximumAttempts: 5 } },
      },
    });
    expect(rawEvents.find((e) => e.type === "ActivityFailed")).toMatchObject({
      activityFailed: { activityId: 1, attempt: 1, error: { name: "Error", message: "card declined (attempt 1)" }, willRetry: true },
    });
    expect(rawEvents.every((e) => !("attributes" in e))).toBe(true);
  });

  it("reads work with HTTP GET too (the read RPCs have no side effects)", async () => {
    const message = encodeURIComponent(JSON.stringify({ workflowId: "api-order-1" }));
    const res = await fetch(new URL(`dfut.v1.WorkflowService/GetWorkflow?encoding=json&message=${message}`, http.url));
    expect(res.status).toBe(200);
    expect(((await res.json()) as { workflow: { workflowId: string } }).workflow.workflowId).toBe("api-order-1");
  });

  it("a second start of an id whose run is open is already_exists", async () => {
    // A type no worker serves: the run stays open (and out of the listings other tests check).
    const first = { type: "NobodyServesWorkflow", args: [], workflowId: "api-open-1", skipTypeCheck: true };
    expect((await rpc(http.url, "StartWorkflow", first)).status).toBe(200);
    const again = await rpc(http.url, "StartWorkflow", first);
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: "already_exists" });
    expect(again.body.message).toContain("api-open-1");
  });

  it("bad requests are invalid_argument with a clear message, never a stack", async () => {
    const noType = await rpc(http.url, "StartWorkflow", { args: [] });
    expect(noType).toMatchObject({ status: 400, body: { code: "invalid_argument" } });
    expect(noType.body.message).toMatch(/type is required/);

    const badId = await rpc(http.url, "StartWorkflow", { type: "OrderWorkflow", workflowId: "has.dot" });
    expect(badId).toMatchObject({ status: 400, body: { code: "invalid_argument" } });
    expect(badId.body.message).toContain("has.dot");

    const badJson = await fetch(new URL("dfut.v1.WorkflowService/StartWorkflow", http.url), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: "{not json",
    });
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toMatchObject({ code: "invalid_argument" });

    const badToken = await rpc(http.url, "ListWorkflows", { pageToken: "garbage" });
    expect(badToken).toMatchObject({ status: 400, body: { code: "invalid_argument" } });
    for (const reply of [noType, badId, badToken]) expect(JSON.stringify(reply.body)).not.toMatch(/\n\s+at /);
  });

  it("unknown ids are not_found", async () => {
    for (const method of ["GetWorkflow", "GetHistory", "CancelWorkflow", "TerminateWorkflow"]) {
      const reply = await rpc(http.url, method, { workflowId: "no-such-workflow" });
      expect(reply, method).toMatchObject({ status: 404, body: { code: "not_found" } });
      expect(reply.body.message).toContain("no-such-workflow");
    }
    const signal = await rpc(http.url, "SignalWorkflow", { workflowId: "no-such-workflow", name: "approve" });
    expect(signal).toMatchObject({ status: 404, body: { code: "not_found" } });
    await expect(drain(client(http.url).watchHistory({ workflowId: "no-such-workflow" }))).rejects.toMatchObject({ code: Code.NotFound });
  });
});

describe("SignalWorkflow and CancelWorkflow", () => {
  it("a signal's JSON payload reaches the workflow; signaling a closed workflow is failed_precondition", async () => {
    await rpc(http.url, "StartWorkflow", { type: "ApprovalWorkflow", args: ["ann"], workflowId: "api-approval-1" });
    const missingName = await rpc(http.url, "SignalWorkflow", { workflowId: "api-approval-1" });
    expect(missingName).toMatchObject({ status: 400, body: { code: "invalid_argument" } });
    const signaled = await rpc(http.url, "SignalWorkflow", { workflowId: "api-approval-1", name: "approve", payload: { approved: true } });
    expect(signaled.status).toBe(200);
    expect(await env.client.result("api-approval-1")).toEqual({ requester: "ann", decision: { approved: true } });
    const late = await rpc(http.url, "SignalWorkflow", { workflowId: "api-approval-1", name: "approve", payload: 1 });
    expect(late).toMatchObject({ status: 400, body: { code: "failed_precondition" } });
    expect(late.body.message).toContain("completed");
  });

  it("cancel closes a waiting workflow as canceled; a second cancel is failed_precondition", async () => {
    await rpc(http.url, "StartWorkflow", { type: "ApprovalWorkflow", args: ["bo"], workflowId: "api-approval-2" });
    const canceled = await rpc(http.url, "CancelWorkflow", { workflowId: "api-approval-2", reason: "changed my mind" });
    // A worker serves the type, so the cancel is only requested: closed is false, which JSON leaves out.
    expect(canceled).toEqual({ status: 200, body: {} });
    await expect(env.client.result("api-approval-2")).rejects.toThrow(/canceled: changed my mind/);
    const again = await rpc(http.url, "CancelWorkflow", { workflowId: "api-approval-2" });
    expect(again).toMatchObject({ status: 400, body: { code: "failed_precondition" } });
  });

  it("a failed workflow shows its error", async () => {
    await rpc(http.url, "StartWorkflow", { type: "RefusingWorkflow", args: ["out of stock"], workflowId: "api-refused-1" });
    await expect(env.client.result("api-refused-1")).rejects.toThrow(/refused: out of stock/);
    const wf = await eventually(async () => {
      const { workflow } = await client(http.url).getWorkflow({ workflowId: "api-refused-1" });
      return workflow?.status === WorkflowStatus.FAILED ? workflow : undefined;
    });
    expect(wf.error?.message).toContain("refused: out of stock");
  });
});

describe("ListWorkflows and ListWorkflowTypes", () => {
  it("filters by status, type and id prefix, and pages without overlap", async () => {
    await Promise.all(
      [1, 2, 3, 4, 5].map((i) => env.client.start("OrderWorkflow", { args: ["Pat", `p-${i}`, i, 1], workflowId: `api-page-${i}` })),
    );
    await Promise.all([1, 2, 3, 4, 5].map((i) => env.client.result(`api-page-${i}`)));
    const c = client(http.url);
    await eventually(async () => {
      const page = await c.listWorkflows({ idPrefix: "api-page-", status: WorkflowStatus.COMPLETED });
      return page.totalSize === 5 ? page : undefined;
    });
    const seen: string[] = [];
    let pageToken = "";
    let pages = 0;
    do {
      const page = await c.listWorkflows({ idPrefix: "api-page-", pageSize: 2, pageToken });
      expect(page.totalSize).toBe(5);
      seen.push(...page.workflows.map((w) => w.workflowId));
      pageToken = page.nextPageToken;
      pages++;
    } while (pageToken);
    expect(pages).toBe(3);
    expect([...seen].sort()).toEqual(["api-page-1", "api-page-2", "api-page-3", "api-page-4", "api-page-5"]);

    const approvals = await c.listWorkflows({ workflowType: "ApprovalWorkflow" });
    expect(approvals.workflows.map((w) => w.workflowId).sort()).toEqual(["api-approval-1", "api-approval-2"]);
    const canceled = await c.listWorkflows({ status: WorkflowStatus.CANCELED });
    expect(canceled.workflows.map((w) => w.workflowId)).toEqual(["api-approval-2"]);
    const negative = await rpc(http.url, "ListWorkflows", { pageSize: -1 });
    expect(negative).toMatchObject({ status: 400, body: { code: "invalid_argument" } });
  });

  it("lists what running workers registered, with parameter names and queue", async () => {
    const { workflowTypes } = await client(http.url).listWorkflowTypes({});
    const order = workflowTypes.find((t) => t.name === "OrderWorkflow");
    expect(order).toMatchObject({ parameters: ["customerId", "productId", "amount", "quantity"], queue: "default", workers: 1 });
    expect(workflowTypes.map((t) => t.name)).toEqual(["ApprovalWorkflow", "BatchWorkflow", "BuggyWorkflow", "CounterWorkflow", "FlakyWorkflow", "OrderWorkflow", "RefusingWorkflow"]);
  });
});

describe("TerminateWorkflow, and a cancel that closes at once", () => {
  it("terminates a workflow waiting for a signal: status terminated, history ends with WorkflowTerminated; closed ones are failed_precondition", async () => {
    const c = client(http.url);
    await rpc(http.url, "StartWorkflow", { type: "ApprovalWorkflow", args: ["gus"], workflowId: "api-term-1" });
    await eventually(async () => ((await c.getWorkflow({ workflowId: "api-term-1" })).workflow?.status === WorkflowStatus.RUNNING) || undefined);
    const terminated = await rpc(http.url, "TerminateWorkflow", { workflowId: "api-term-1", reason: "approver left" });
    expect(terminated).toEqual({ status: 200, body: {} });
    await expect(env.client.result("api-term-1")).rejects.toThrow(/terminated: approver left/);

    const wf = await eventually(async () => {
      const { workflow } = await c.getWorkflow({ workflowId: "api-term-1" });
      return workflow?.status === WorkflowStatus.TERMINATED ? workflow : undefined;
    });
    expect(wf.error?.message).toBe("approver left");
    expect(wf.closedAt).toBeDefined();
    const { events } = await c.getHistory({ workflowId: "api-term-1" });
    expect(events[0].type).toBe("WorkflowStarted");
    expect(events.at(-1)).toMatchObject({ type: "WorkflowTerminated", event: { case: "workflowTerminated", value: { reason: "approver left" } } });
    const { workflows: listed } = await c.listWorkflows({ status: WorkflowStatus.TERMINATED });
    expect(listed.map((w) => w.workflowId)).toEqual(["api-term-1"]);

    for (const [workflowId, status] of [
      ["api-term-1", "terminated"],
      ["api-approval-1", "completed"],
    ]) {
      const again = await rpc(http.url, "TerminateWorkflow", { workflowId });
      expect(again, workflowId).toMatchObject({ status: 400, body: { code: "failed_precondition" } });
      expect(again.body.message).toContain(`is already ${status}`);
    }
  });

  it("a stored message that is not an event comes through GetHistory and WatchHistory as Undecodable, with its seq, reason and time", async () => {
    const c = client(http.url);
    await env.client.start("ApprovalWorkflow", { args: ["hal"], workflowId: "api-poison-1" });
    const before = Date.now();
    const { seq } = await env.connection.js.publish(env.connection.layout!.subject("api-poison-1"), new TextEncoder().encode("not {json"));
    const undecodable = {
      seq: BigInt(seq),
      type: "Undecodable",
      event: { case: "undecodable", value: { reason: expect.stringMatching(/not JSON/), raw: "not {json" } },
    };
    const read = (await c.getHistory({ workflowId: "api-poison-1" })).events.find((e) => e.seq === BigInt(seq));
    expect(read).toMatchObject(undecodable);

    await c.terminateWorkflow({ workflowId: "api-poison-1", reason: "bad message" });
    const watched = [];
    for await (const message of c.watchHistory({ workflowId: "api-poison-1" })) watched.push(...message.events);
    const seen = watched.find((e) => e.seq === BigInt(seq));
    expect(seen).toMatchObject(undecodable);
    expect(watched.at(-1)?.type).toBe("WorkflowTerminated");
    // Both carry the time the stream stored the message.
    expect(toMillis(read?.time)).toBeGreaterThan(before - 5_000);
    expect(Math.abs((toMillis(seen?.time) ?? 0) - (toMillis(read?.time) ?? 0))).toBeLessThanOrEqual(1);
  });

  it("a cancel of a workflow whose type no worker serves closes it at once (closed: true)", async () => {
    const started = await rpc(http.url, "StartWorkflow", { type: "NoWorkerWorkflow", workflowId: "api-unserved-1", skipTypeCheck: true });
    expect(started.status).toBe(200);
    const canceled = await rpc(http.url, "CancelWorkflow", { workflowId: "api-unserved-1", reason: "wrong type" });
    expect(canceled).toEqual({ status: 200, body: { closed: true } });
    await expect(env.client.result("api-unserved-1")).rejects.toThrow(/canceled: wrong type/);
    const { events } = await client(http.url).getHistory({ workflowId: "api-unserved-1" });
    expect(events.map((e) => e.type)).toEqual(["WorkflowStarted", "CancelRequested", "WorkflowCanceled"]);
  });
});

describe("live streams", () => {
  it("WatchWorkflows sends the index, then the start and the close of a new workflow", async () => {
    const abort = new AbortController();
    const stream = client(http.url).watchWorkflows({ idPrefix: "api-live-" }, { signal: abort.signal });
    const seen = new Map<string, Workflow>();
    const statuses: WorkflowStatus[] = [];
    let started = false;
    let signaled = false;
    try {
      for await (const message of stream) {
        for (const wf of message.upserted) {
          seen.set(wf.workflowId, wf);
          if (wf.workflowId === "api-live-1") statuses.push(wf.status);
        }
        if (message.caughtUp && !started) {
          expect(seen.size).toBe(0);
          started = true;
          await env.client.start("ApprovalWorkflow", { args: ["cy"], workflowId: "api-live-1" });
        }
        // Signaled only once the stream showed it running, so both states must come through.
        if (statuses.includes(WorkflowStatus.RUNNING) && !signaled) {
          signaled = true;
          await env.client.signal("api-live-1", "approve", { approved: false });
        }
        if (seen.get("api-live-1")?.status === WorkflowStatus.COMPLETED) break;
      }
    } finally {
      abort.abort();
    }
    expect(statuses[0]).toBe(WorkflowStatus.RUNNING);
    expect(statuses.at(-1)).toBe(WorkflowStatus.COMPLETED);
    expect(seen.get("api-live-1")?.result).toBeDefined();
  });

  it("WatchWorkflows with a status filter removes rows that stop matching", async () => {
    await env.client.start("ApprovalWorkflow", { args: ["di"], workflowId: "api-live-2" });
    const abort = new AbortController();
    const removed: string[] = [];
    const shown = new Set<string>();
    try {
      for await (const message of client(http.url).watchWorkflows({ status: WorkflowStatus.RUNNING, idPrefix: "api-live-2" }, { signal: abort.signal })) {
        for (const wf of message.upserted) shown.add(wf.workflowId);
        removed.push(...message.removed);
        if (message.caughtUp && shown.has("api-live-2") && removed.length === 0) await env.client.cancel("api-live-2");
        if (removed.length > 0) break;
      }
    } finally {
      abort.abort();
    }
    expect(removed).toEqual(["api-live-2"]);
  });

  it("WatchHistory sends what is recorded, then each new event, and ends after the close", async () => {
    await env.client.start("ApprovalWorkflow", { args: ["ed"], workflowId: "api-live-3" });
    const types: string[] = [];
    let signaled = false;
    let first = true;
    for await (const message of client(http.url).watchHistory({ workflowId: "api-live-3" })) {
      // What was recorded before the call comes as one message.
      if (first) expect(message).toMatchObject({ caughtUp: true, events: [expect.objectContaining({ type: "WorkflowStarted" })] });
      first = false;
      types.push(...message.events.map((e) => e.type));
      if (message.caughtUp && !signaled) {
        signaled = true;
        await env.client.signal("api-live-3", "approve", { approved: true });
      }
    }
    // The stream ended by itself after the closing event.
    expect(types[0]).toBe("WorkflowStarted");
    expect(types).toContain("SignalReceived");
    expect(types.at(-1)).toBe("WorkflowCompleted");
  });
});

describe("stream clean-up", () => {
  it("a stream the client leaves releases its JetStream consumer", async () => {
    const consumers = async () => {
      let n = 0;
      for await (const _ of await env.connection.jsm.consumers.list("DFUT_HISTORY")) n++;
      return n;
    };
    const before = await consumers();
    await env.client.start("ApprovalWorkflow", { args: ["fay"], workflowId: "api-leave-1" });
    const abort = new AbortController();
    for await (const message of client(http.url).watchHistory({ workflowId: "api-leave-1" }, { signal: abort.signal })) {
      if (message.caughtUp) break;
    }
    abort.abort();
    await eventually(async () => ((await consumers()) === before ? true : undefined), 10_000, "the ordered consumer to go");
    await env.client.cancel("api-leave-1");
  });
});

async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of stream) {
    // read to the end
  }
}

export { ConnectError };

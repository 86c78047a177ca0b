// ResetWorkflow, BulkOperation and the schedule RPCs against a real server: what they do, what
// they answer, and their refusals with their codes.
import { beforeAll, describe, expect, it } from "vitest";
import { Code, ConnectError } from "@connectrpc/connect";
import { fromJson, type JsonValue, type MessageInitShape } from "@bufbuild/protobuf";
import { durationFromMs, durationMs, timestampDate, ValueSchema } from "@bufbuild/protobuf/wkt";
import { authProblem } from "../../src/api/auth.ts";
import type { HttpServer } from "../../src/api/http.ts";
import {
  OverlapPolicy,
  ScheduleRunState,
  WorkflowStatus,
  type BulkOperationRequestSchema,
  type BulkOperationResponse,
  type Schedule,
} from "../../src/api/gen/dfut/v1/workflow_pb.ts";
import { eventually, type TestEnv } from "../support/env.ts";
import { apiFixture, client, rpc } from "./connect.ts";
import { buggyWorkflowFix } from "./workflows.ts";

const fixture = apiFixture();
let env: TestEnv;
let http: HttpServer;
beforeAll(() => {
  ({ env, http } = fixture);
});

const json = (value: JsonValue) => fromJson(ValueSchema, value);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The code a call failed with. */
async function codeOf(call: Promise<unknown>): Promise<Code | "ok"> {
  try {
    await call;
    return "ok";
  } catch (err) {
    return ConnectError.from(err).code;
  }
}

type BulkRequest = MessageInitShape<typeof BulkOperationRequestSchema>;

async function collect(request: BulkRequest): Promise<BulkOperationResponse[]> {
  const messages: BulkOperationResponse[] = [];
  for await (const message of client(http.url).bulkOperation(request)) messages.push(message);
  return messages;
}

async function startBuggy(workflowId: string): Promise<string> {
  const { runId } = await client(http.url).startWorkflow({ type: "BuggyWorkflow", args: [json("ann")], workflowId });
  await expect(env.client.result(workflowId)).rejects.toThrow(/a bug after charging ann/);
  return runId;
}

describe("ResetWorkflow", () => {
  it("goes on with fixed code from before a failure, without running the finished step again, and names where it comes from", async () => {
    buggyWorkflowFix.deployed = false;
    const c = client(http.url);
    const firstRun = await startBuggy("api-reset-1");
    const old = (await c.getHistory({ workflowId: "api-reset-1" })).events;
    expect(old.at(-1)?.type).toBe("WorkflowFailed");

    buggyWorkflowFix.deployed = true;
    const reset = await c.resetWorkflow({ workflowId: "api-reset-1", reason: "bug fixed" });
    // 0 is the last workflow task: the event before the close.
    expect(reset).toMatchObject({ fromRunId: firstRun, toSeq: old.at(-2)!.seq });
    expect(Number(reset.runId)).toBeGreaterThan(Number(old.at(-1)!.seq));
    expect(await env.client.result("api-reset-1")).toEqual({ charge_id: "ch_api-reset-1", tracking_id: "trk_api-reset-1" });

    const events = (await c.getHistory({ workflowId: "api-reset-1" })).events;
    expect(events[0].seq).toBe(BigInt(reset.runId));
    const started = events[0].event.case === "workflowStarted" ? events[0].event.value : undefined;
    // The new run carries the old one's events after its start up to to_seq.
    const carried = old.filter((e) => e.seq > old[0].seq && e.seq <= reset.toSeq && e.type !== "WorkflowTaskFailed").length;
    expect(carried).toBeGreaterThan(0);
    expect(started?.reset).toMatchObject({ fromRunId: firstRun, toSeq: reset.toSeq, reason: "bug fixed", carriedEvents: carried });
    // The charge is carried, not run again: the new run schedules only the shipment.
    const scheduled = events.flatMap((e) => (e.event.case === "activityScheduled" ? [e.event.value.activityType] : []));
    expect(scheduled).toEqual(["ShipPackageActivity"]);
    const record = await eventually(async () => {
      const { workflow } = await c.getWorkflow({ workflowId: "api-reset-1" });
      return workflow?.status === WorkflowStatus.COMPLETED ? workflow : undefined;
    });
    expect(record.runs).toEqual([firstRun, reset.runId]);

    // As JSON: the reset's fields in the run's WorkflowStarted.
    const history = await rpc(http.url, "GetHistory", { workflowId: "api-reset-1" });
    const first = (history.body.events as { workflowStarted?: { reset?: unknown } }[])[0];
    expect(first.workflowStarted?.reset).toEqual({ fromRunId: firstRun, toSeq: String(reset.toSeq), reason: "bug fixed", carriedEvents: carried });
    // A run that did not begin by a reset has none.
    const oldJson = await rpc(http.url, "GetHistory", { workflowId: "api-reset-1", runId: firstRun });
    expect((oldJson.body.events as { workflowStarted?: { reset?: unknown } }[])[0].workflowStarted).not.toHaveProperty("reset");
  });

  it("resets an open run to an event of an earlier run by JSON, terminating the open one", async () => {
    buggyWorkflowFix.deployed = false;
    const firstRun = await startBuggy("api-reset-2");
    const old = (await client(http.url).getHistory({ workflowId: "api-reset-2" })).events;
    const charged = old.find((e) => e.type === "ActivityCompleted")!;
    // Still buggy: the reset run fails again, and the next reset goes back to the first run.
    const again = await rpc(http.url, "ResetWorkflow", { workflowId: "api-reset-2", toSeq: String(charged.seq) });
    expect(again).toMatchObject({ status: 200, body: { fromRunId: firstRun, toSeq: String(charged.seq), runId: expect.stringMatching(/^\d+$/) } });
    await expect(env.client.result("api-reset-2")).rejects.toThrow(/a bug/);

    buggyWorkflowFix.deployed = true;
    const fixed = await rpc(http.url, "ResetWorkflow", { workflowId: "api-reset-2", toSeq: Number(charged.seq), runId: firstRun, reason: "fixed" });
    expect(fixed).toMatchObject({ status: 200, body: { fromRunId: firstRun } });
    expect(await env.client.result("api-reset-2")).toMatchObject({ tracking_id: "trk_api-reset-2" });

    // An open run is terminated by the reset, with the reason.
    const waiting = await client(http.url).startWorkflow({ type: "ApprovalWorkflow", args: [json("bo")], workflowId: "api-reset-open" });
    const reset = await client(http.url).resetWorkflow({ workflowId: "api-reset-open", reason: "moved" });
    const closedRun = (await client(http.url).getHistory({ workflowId: "api-reset-open", runId: waiting.runId })).events;
    expect(closedRun.at(-1)).toMatchObject({ type: "WorkflowTerminated", event: { value: { reason: `reset to event ${reset.toSeq}: moved` } } });
    await env.client.signal("api-reset-open", "approve", { approved: true });
    expect(await env.client.result("api-reset-open")).toEqual({ requester: "bo", decision: { approved: true } });
  });

  it("refuses an unknown workflow or run, an event the run does not have, one that closes it, and a negative seq", async () => {
    buggyWorkflowFix.deployed = true;
    const c = client(http.url);
    await c.startWorkflow({ type: "BuggyWorkflow", args: [json("cy")], workflowId: "api-reset-3" });
    await env.client.result("api-reset-3");
    const events = (await c.getHistory({ workflowId: "api-reset-3" })).events;
    expect(await rpc(http.url, "ResetWorkflow", { workflowId: "api-reset-nope" })).toMatchObject({ status: 404, body: { code: "not_found" } });
    expect(await rpc(http.url, "ResetWorkflow", { workflowId: "api-reset-3", runId: "999999" })).toMatchObject({ status: 404 });
    expect(await rpc(http.url, "ResetWorkflow", { workflowId: "api-reset-3", toSeq: 999_999 })).toMatchObject({
      status: 400,
      body: { code: "invalid_argument", message: expect.stringContaining("has no event seq 999999") },
    });
    expect(await rpc(http.url, "ResetWorkflow", { workflowId: "api-reset-3", toSeq: Number(events.at(-1)!.seq) })).toMatchObject({
      status: 400,
      body: { message: expect.stringContaining("closes the run") },
    });
    expect(await rpc(http.url, "ResetWorkflow", { workflowId: "api-reset-3", toSeq: -3 })).toMatchObject({
      status: 400,
      body: { message: expect.stringContaining("to_seq must be an event's seq") },
    });
    expect(await rpc(http.url, "ResetWorkflow", {})).toMatchObject({ status: 400, body: { message: "workflow_id is required" } });
  });
});

describe("BulkOperation", () => {
  const cancel: BulkRequest["action"] = { case: "cancel", value: { reason: "bulk cleanup" } };

  it("cancels the workflows an id prefix selects: the count first, then progress, then the report; a closed one is skipped", async () => {
    const c = client(http.url);
    const ids = Array.from({ length: 20 }, (_, i) => `api-bulk-${String(i).padStart(2, "0")}`);
    for (const workflowId of ids) await c.startWorkflow({ type: "ApprovalWorkflow", args: [json(workflowId)], workflowId });
    await c.startWorkflow({ type: "ApprovalWorkflow", args: [json("done")], workflowId: "api-bulk-closed" });
    await env.client.signal("api-bulk-closed", "approve", { approved: true });
    await env.client.result("api-bulk-closed");
    // Not matched: another prefix.
    await c.startWorkflow({ type: "ApprovalWorkflow", args: [json("other")], workflowId: "api-bulky-1" });
    await eventually(async () => ((await env.client.list({ idPrefix: "api-bulk-" })).length === 21 ? true : undefined));

    const dry = await collect({ selection: { idPrefix: "api-bulk-" }, action: cancel, dryRun: true });
    expect(dry).toHaveLength(1);
    expect(dry[0]).toMatchObject({ matched: 21, done: 0, finished: true });
    expect((await c.getWorkflow({ workflowId: "api-bulk-00" })).workflow?.status).toBe(WorkflowStatus.RUNNING);

    const messages = await collect({ selection: { idPrefix: "api-bulk-" }, action: cancel });
    expect(messages[0]).toMatchObject({ matched: 21, done: 0, skipped: 0, failed: 0, finished: false });
    expect(messages.at(-1)).toMatchObject({ matched: 21, done: 21, skipped: 1, failed: 0, finished: true });
    expect(messages.filter((m) => m.finished)).toHaveLength(1);
    const done = messages.map((m) => m.done);
    expect(done).toEqual([...done].sort((a, b) => a - b));
    expect(messages.flatMap((m) => m.failures)).toEqual([]);

    await eventually(async () => ((await env.client.list({ idPrefix: "api-bulk-", status: "canceled" })).length === 20 ? true : undefined));
    const { events } = await c.getHistory({ workflowId: "api-bulk-07" });
    expect(events.find((e) => e.type === "CancelRequested")?.event.value).toMatchObject({ reason: "bulk cleanup" });
    expect((await c.getWorkflow({ workflowId: "api-bulky-1" })).workflow?.status).toBe(WorkflowStatus.RUNNING);

    // Nothing left running to cancel: all skipped.
    const again = await collect({ selection: { idPrefix: "api-bulk-", status: WorkflowStatus.CANCELED }, action: cancel });
    expect(again.at(-1)).toMatchObject({ matched: 20, done: 20, skipped: 20, finished: true });
    // No match: one message.
    expect(await collect({ selection: { idPrefix: "api-bulk-nothing" }, action: cancel })).toMatchObject([{ matched: 0, finished: true }]);
  });

  it("signals, terminates and resets by selection; a failure is reported with its workflow and message", async () => {
    const c = client(http.url);
    for (const workflowId of ["api-bulksig-1", "api-bulksig-2"]) await c.startWorkflow({ type: "ApprovalWorkflow", args: [json("s")], workflowId });
    const signaled = await collect({
      selection: { idPrefix: "api-bulksig-", workflowType: "ApprovalWorkflow" },
      action: { case: "signal", value: { name: "approve", payload: json({ approved: true }) } },
    });
    expect(signaled.at(-1)).toMatchObject({ matched: 2, done: 2, skipped: 0, failed: 0, finished: true });
    expect(await env.client.result("api-bulksig-2")).toEqual({ requester: "s", decision: { approved: true } });

    await c.startWorkflow({ type: "ApprovalWorkflow", args: [json("t")], workflowId: "api-bulkterm-1" });
    const terminated = await collect({ selection: { idPrefix: "api-bulkterm-" }, action: { case: "terminate", value: { reason: "gone" } } });
    expect(terminated.at(-1)).toMatchObject({ matched: 1, done: 1, finished: true });
    await eventually(async () => ((await c.getWorkflow({ workflowId: "api-bulkterm-1" })).workflow?.status === WorkflowStatus.TERMINATED ? true : undefined));

    // Failed workflows of a type, reset after the fix: each goes on from its own last workflow task.
    buggyWorkflowFix.deployed = false;
    for (const id of ["api-bulkreset-1", "api-bulkreset-2", "api-bulkreset-3"]) await startBuggy(id);
    await eventually(async () => ((await env.client.list({ idPrefix: "api-bulkreset-", status: "failed" })).length === 3 ? true : undefined));
    buggyWorkflowFix.deployed = true;
    const reset = await collect({
      selection: { idPrefix: "api-bulkreset-", workflowType: "BuggyWorkflow", status: WorkflowStatus.FAILED },
      action: { case: "reset", value: { reason: "fixed in bulk" } },
    });
    expect(reset.at(-1)).toMatchObject({ matched: 3, done: 3, skipped: 0, failed: 0, finished: true });
    for (const id of ["api-bulkreset-1", "api-bulkreset-2", "api-bulkreset-3"]) {
      expect(await env.client.result(id)).toMatchObject({ tracking_id: `trk_${id}` });
    }

    // A batch's run started children, which a reset does not carry: that reset fails, and says why.
    await c.startWorkflow({ type: "BatchWorkflow", args: [json(2), json(2)], workflowId: "api-bulkfail-batch" });
    await env.client.result("api-bulkfail-batch");
    await eventually(async () => ((await env.client.list({ idPrefix: "api-bulkfail-batch", workflowType: "BatchWorkflow", status: "completed" })).length === 1 ? true : undefined));
    const failed = await collect({ selection: { idPrefix: "api-bulkfail-", workflowType: "BatchWorkflow" }, action: { case: "reset", value: {} } });
    expect(failed.at(-1)).toMatchObject({ matched: 1, done: 1, failed: 1, finished: true });
    expect(failed.flatMap((m) => m.failures)).toEqual([
      expect.objectContaining({ workflowId: "api-bulkfail-batch", message: expect.stringContaining("child workflow step") }),
    ]);
  });

  it("refuses an empty selection, a missing action and a signal without a name, before doing anything", async () => {
    const refused = async (request: BulkRequest) => {
      try {
        await collect(request);
      } catch (err) {
        const e = ConnectError.from(err);
        return { code: e.code, message: e.rawMessage };
      }
      return { code: "ok" as const, message: "" };
    };
    expect(await refused({ action: cancel })).toEqual({
      code: Code.InvalidArgument,
      message: "selection must set workflow_type, status or id_prefix (an empty selection would match every workflow)",
    });
    expect(await refused({ selection: {}, action: cancel, dryRun: true })).toMatchObject({ code: Code.InvalidArgument });
    expect(await refused({ selection: { idPrefix: "api-bulk-" } })).toMatchObject({ code: Code.InvalidArgument, message: expect.stringContaining("an action is required") });
    expect(await refused({ selection: { idPrefix: "api-bulk-" }, action: { case: "signal", value: {} } })).toMatchObject({
      code: Code.InvalidArgument,
      message: "signal.name is required: the signal's name",
    });
  });
});

describe("schedules", () => {
  /** The schedule as DescribeSchedule tells it. */
  const describeIt = async (scheduleId: string): Promise<Schedule> => (await client(http.url).describeSchedule({ scheduleId })).schedule!;

  it("creates an every-1s schedule whose fires show in DescribeSchedule's recent runs; pause, trigger, resume, delete", async () => {
    const c = client(http.url);
    const { schedule: created } = await c.createSchedule({
      scheduleId: "api-every",
      spec: { every: durationFromMs(1000) },
      workflowType: "OrderWorkflow",
      args: [json("Sue"), json("widget-9"), json(10), json(1)],
      note: "owned by the API tests",
    });
    expect(created).toMatchObject({
      scheduleId: "api-every",
      specText: "every 1s",
      workflowType: "OrderWorkflow",
      queue: "default",
      overlap: OverlapPolicy.SKIP,
      paused: false,
      note: "owned by the API tests",
      recentRuns: [],
    });
    expect(durationMs(created!.catchupWindow!)).toBe(60_000);
    expect(durationMs(created!.spec!.every!)).toBe(1000);
    expect(created!.nextFires).toHaveLength(5);
    const fires = created!.nextFires.map((t) => timestampDate(t).getTime());
    expect(fires.every((t, i) => t % 1000 === 0 && (i === 0 || t - fires[i - 1] === 1000))).toBe(true);

    // The server's scheduler fires it: started runs, with their workflows' status.
    const fired = await eventually(async () => {
      const d = await describeIt("api-every");
      const completed = d.recentRuns.filter((r) => r.state === ScheduleRunState.STARTED && r.status === WorkflowStatus.COMPLETED);
      return completed.length >= 2 ? d : undefined;
    }, 20_000);
    expect(fired.recentRuns.every((r) => r.workflowId.startsWith("api-every-") && !r.manual)).toBe(true);
    expect(Number(fired.counters?.started)).toBeGreaterThanOrEqual(2);
    const run = fired.recentRuns.find((r) => r.status === WorkflowStatus.COMPLETED)!;
    expect(await env.client.result(run.workflowId)).toMatchObject({ product_id: "widget-9" });
    const { schedules } = await c.listSchedules({});
    expect(schedules.find((s) => s.scheduleId === "api-every")).toMatchObject({ specText: "every 1s", workflowType: "OrderWorkflow", paused: false, problem: "" });
    expect(schedules.find((s) => s.scheduleId === "api-every")?.nextFire).toBeDefined();
    expect(schedules.find((s) => s.scheduleId === "api-every")?.lastRun?.workflowId).toMatch(/^api-every-/);

    // Paused, it fires no more (a fire being started at the pause may still finish).
    await c.pauseSchedule({ scheduleId: "api-every", note: "maintenance" });
    const paused = await describeIt("api-every");
    expect(paused).toMatchObject({ paused: true, note: "maintenance" });
    const listed = (await c.listSchedules({})).schedules.find((s) => s.scheduleId === "api-every");
    expect(listed).toMatchObject({ paused: true, note: "maintenance" });
    expect(listed?.nextFire).toBeUndefined();
    await sleep(1500);
    const before = Number((await describeIt("api-every")).counters?.started);
    await sleep(2000);
    expect(Number((await describeIt("api-every")).counters?.started)).toBe(before);

    // A trigger starts one run even while paused.
    const triggered = await c.triggerSchedule({ scheduleId: "api-every" });
    expect(triggered.workflowId).toMatch(/^api-every-manual-/);
    expect(triggered.runId).toMatch(/^\d+$/);
    expect(await env.client.result(triggered.workflowId)).toMatchObject({ product_id: "widget-9" });
    const afterTrigger = await describeIt("api-every");
    expect(afterTrigger.recentRuns[0]).toMatchObject({ workflowId: triggered.workflowId, manual: true, state: ScheduleRunState.STARTED });
    expect(Number(afterTrigger.counters?.started)).toBe(before + 1);

    // Resumed, it fires again; the note is cleared.
    await c.resumeSchedule({ scheduleId: "api-every" });
    expect(await describeIt("api-every")).toMatchObject({ paused: false, note: "" });
    await eventually(async () => (Number((await describeIt("api-every")).counters?.started) > before + 1 ? true : undefined), 10_000);

    await c.deleteSchedule({ scheduleId: "api-every" });
    expect(await codeOf(c.describeSchedule({ scheduleId: "api-every" }))).toBe(Code.NotFound);
    expect((await c.listSchedules({})).schedules.map((s) => s.scheduleId)).not.toContain("api-every");
    // Its workflows stay.
    expect((await c.getWorkflow({ workflowId: run.workflowId })).workflow?.status).toBe(WorkflowStatus.COMPLETED);
  });

  it("creates a paused cron schedule in a time zone by JSON: its fields, its next fires at 03:00 Berlin time", async () => {
    const created = await rpc(http.url, "CreateSchedule", {
      scheduleId: "api-cron",
      spec: { cron: "0 3 * * *", timezone: "Europe/Berlin", jitter: "30s" },
      workflowType: "OrderWorkflow",
      args: ["Tom", "widget-3", 5, 1],
      overlap: "OVERLAP_POLICY_BUFFER_ONE",
      catchupWindow: "300s",
      paused: true,
    });
    expect(created.status).toBe(200);
    const schedule = created.body.schedule as Record<string, unknown>;
    expect(schedule).toMatchObject({
      scheduleId: "api-cron",
      spec: { cron: "0 3 * * *", timezone: "Europe/Berlin", jitter: "30s" },
      specText: "cron 0 3 * * * (Europe/Berlin), jitter 30s",
      args: ["Tom", "widget-3", 5, 1],
      overlap: "OVERLAP_POLICY_BUFFER_ONE",
      catchupWindow: "300s",
      paused: true,
      counters: {},
    });
    const berlin = new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/Berlin", hour: "2-digit", minute: "2-digit", hour12: false });
    const nextFires = schedule.nextFires as string[];
    expect(nextFires).toHaveLength(5);
    expect(nextFires.map((t) => berlin.format(new Date(t)))).toEqual(Array(5).fill("03:00"));
    const described = await rpc(http.url, "DescribeSchedule", { scheduleId: "api-cron" });
    expect(described).toMatchObject({ status: 200, body: { schedule: { scheduleId: "api-cron", paused: true } } });
    expect(await rpc(http.url, "DeleteSchedule", { scheduleId: "api-cron" })).toEqual({ status: 200, body: {} });
  });

  it("refuses a taken id, bad specs and policies, an unknown type, and unknown or malformed ids, with their codes", async () => {
    const c = client(http.url);
    const base = { workflowType: "OrderWorkflow", spec: { every: "60s" }, paused: true };
    expect((await rpc(http.url, "CreateSchedule", { scheduleId: "api-taken", ...base })).status).toBe(200);
    expect(await rpc(http.url, "CreateSchedule", { scheduleId: "api-taken", ...base })).toMatchObject({
      status: 409,
      body: { code: "already_exists", message: expect.stringContaining('a schedule with id "api-taken" already exists') },
    });
    const refusals: [unknown, RegExp][] = [
      [{ ...base, spec: { cron: "61 * * * *" } }, /minute/i],
      [{ ...base, spec: { cron: "* * * * *", every: "60s" } }, /either a cron expression or an interval/],
      [{ ...base, spec: {} }, /needs a cron expression or an interval/],
      [{ ...base, spec: undefined }, /spec is required/],
      [{ ...base, spec: { every: "1.500s" } }, /whole number of seconds/],
      [{ ...base, spec: { every: "60s", timezone: "Europe/Berlin" } }, /a time zone applies to cron schedules only/],
      [{ ...base, spec: { cron: "0 3 * * *", timezone: "Mars/Olympus" } }, /Mars\/Olympus/],
      [{ ...base, spec: { every: "60s", jitter: "-5s" } }, /spec.jitter must be a whole number of milliseconds/],
      [{ ...base, catchupWindow: "0.5s" }, /catch-up window must be at least 1s/],
      [{ ...base, overlap: 9 }, /not an overlap policy/],
      [{ ...base, workflowType: "" }, /workflow_type is required/],
      [{ ...base, workflowType: "NoSuchWorkflow" }, /NoSuchWorkflow/],
    ];
    for (const [body, message] of refusals) {
      const reply = await rpc(http.url, "CreateSchedule", { scheduleId: "api-bad", ...(body as object) });
      expect(reply, JSON.stringify(body)).toMatchObject({ status: 400, body: { code: "invalid_argument", message: expect.stringMatching(message) } });
    }
    expect(await rpc(http.url, "CreateSchedule", { scheduleId: "api bad", ...base })).toMatchObject({ status: 400, body: { message: expect.stringContaining("contains") } });
    expect(await rpc(http.url, "CreateSchedule", { ...base })).toMatchObject({ status: 400, body: { message: "schedule_id is required" } });
    expect(await rpc(http.url, "CreateSchedule", { scheduleId: "api-bad", ...base, overlap: "OVERLAP_POLICY_NOPE" })).toMatchObject({ status: 400 });
    // Past the type check on request.
    expect((await rpc(http.url, "CreateSchedule", { scheduleId: "api-untyped", ...base, workflowType: "NoSuchWorkflow", skipTypeCheck: true })).status).toBe(200);
    expect((await c.listSchedules({})).schedules.map((s) => s.scheduleId)).toEqual(expect.arrayContaining(["api-taken", "api-untyped"]));
    expect((await c.listSchedules({})).schedules.map((s) => s.scheduleId)).not.toContain("api-bad");

    for (const method of ["DescribeSchedule", "PauseSchedule", "ResumeSchedule", "TriggerSchedule", "DeleteSchedule"]) {
      expect(await rpc(http.url, method, { scheduleId: "api-nope" }), method).toMatchObject({
        status: 404,
        body: { code: "not_found", message: 'no schedule with id "api-nope"' },
      });
      expect(await rpc(http.url, method, { scheduleId: "a/b" }), method).toMatchObject({ status: 400, body: { code: "invalid_argument" } });
    }
    await c.deleteSchedule({ scheduleId: "api-taken" });
    await c.deleteSchedule({ scheduleId: "api-untyped" });
  });
});

describe("auth", () => {
  it("the new changing RPCs need the token when one is set; reading schedules does not", () => {
    for (const method of ["ResetWorkflow", "BulkOperation", "CreateSchedule", "PauseSchedule", "ResumeSchedule", "TriggerSchedule", "DeleteSchedule"]) {
      expect(authProblem(method, undefined, "secret"), method).toMatch(/needs "Authorization: Bearer <token>"/);
      expect(authProblem(method, "Bearer secret", "secret"), method).toBeUndefined();
    }
    for (const method of ["ListSchedules", "DescribeSchedule"]) expect(authProblem(method, undefined, "secret"), method).toBeUndefined();
  });
});

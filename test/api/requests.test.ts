// QueryWorkflow and UpdateWorkflow against a real server: answers, refusals and their codes.
import { beforeAll, describe, expect, it } from "vitest";
import { Code, ConnectError } from "@connectrpc/connect";
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import type { HttpServer } from "../../src/api/http.ts";
import { startHttpServer } from "../../src/api/http.ts";
import { jsonOf } from "../../src/web/format.ts";
import { eventually, type TestEnv } from "../support/env.ts";
import { apiFixture, client, rpc } from "./connect.ts";

const fixture = apiFixture();
let env: TestEnv;
let http: HttpServer;
beforeAll(() => {
  ({ env, http } = fixture);
});

const json = (value: JsonValue) => fromJson(ValueSchema, value);

async function startCounter(workflowId: string, start: number): Promise<void> {
  const started = await rpc(http.url, "StartWorkflow", { type: "CounterWorkflow", args: [start], workflowId });
  expect(started.status).toBe(200);
}

async function eventTypes(workflowId: string): Promise<string[]> {
  const { events } = await client(http.url).getHistory({ workflowId });
  return events.map((e) => e.type);
}

describe("QueryWorkflow", () => {
  it("answers from the workflow's state, with arguments, records nothing, and answers a closed workflow too", async () => {
    await startCounter("req-query-1", 5);
    expect(await rpc(http.url, "QueryWorkflow", { workflowId: "req-query-1", name: "value" })).toEqual({ status: 200, body: { result: 5 } });
    await env.client.signal("req-query-1", "add", 2);
    await eventually(async () => (await rpc(http.url, "QueryWorkflow", { workflowId: "req-query-1", name: "value" })).body.result === 7);
    const c = client(http.url);
    expect(jsonOf((await c.queryWorkflow({ workflowId: "req-query-1", name: "isAbove", args: [json(6)] })).result)).toBe(true);
    expect(jsonOf((await c.queryWorkflow({ workflowId: "req-query-1", name: "isAbove", args: [json(7)] })).result)).toBe(false);
    const before = await eventTypes("req-query-1");
    await rpc(http.url, "QueryWorkflow", { workflowId: "req-query-1", name: "value", timeout: "5s" });
    expect(await eventTypes("req-query-1")).toEqual(before);

    await env.client.signal("req-query-1", "finish", null);
    expect(await env.client.result("req-query-1")).toBe(7);
    expect(await rpc(http.url, "QueryWorkflow", { workflowId: "req-query-1", name: "value" })).toEqual({ status: 200, body: { result: 7 } });
  });

  it("an unknown query name is failed_precondition naming the handlers there are; bad requests are invalid_argument", async () => {
    await startCounter("req-query-2", 1);
    const unknown = await rpc(http.url, "QueryWorkflow", { workflowId: "req-query-2", name: "nope" });
    expect(unknown).toMatchObject({ status: 400, body: { code: "failed_precondition" } });
    expect(unknown.body.message).toMatch(/^query nope of workflow req-query-2 failed: .*has no query handler "nope" \(it has: value, isAbove\)/);
    expect(JSON.stringify(unknown.body)).not.toMatch(/\n\s+at /);
    await expect(client(http.url).queryWorkflow({ workflowId: "req-query-2", name: "nope" })).rejects.toMatchObject({ code: Code.FailedPrecondition });

    const noName = await rpc(http.url, "QueryWorkflow", { workflowId: "req-query-2" });
    expect(noName).toMatchObject({ status: 400, body: { code: "invalid_argument", message: expect.stringMatching(/name is required/) } });
    const zero = await rpc(http.url, "QueryWorkflow", { workflowId: "req-query-2", name: "value", timeout: "0s" });
    expect(zero).toMatchObject({ status: 400, body: { code: "invalid_argument", message: expect.stringMatching(/timeout must be positive/) } });
    const missing = await rpc(http.url, "QueryWorkflow", { workflowId: "no-such-workflow", name: "value" });
    expect(missing).toMatchObject({ status: 404, body: { code: "not_found" } });
  });
});

describe("UpdateWorkflow", () => {
  it("returns the handler's result and the update's id; the same id runs once; both events are in the history", async () => {
    await startCounter("req-update-1", 5);
    const added = await rpc(http.url, "UpdateWorkflow", { workflowId: "req-update-1", name: "add", args: [3] });
    expect(added).toEqual({ status: 200, body: { updateId: expect.stringMatching(/^[0-9a-f]{16}$/), result: 8 } });

    const once = { workflowId: "req-update-1", name: "add", args: [10], updateId: "add-ten", timeout: "10s" };
    expect(await rpc(http.url, "UpdateWorkflow", once)).toEqual({ status: 200, body: { updateId: "add-ten", result: 18 } });
    expect(await rpc(http.url, "UpdateWorkflow", once)).toEqual({ status: 200, body: { updateId: "add-ten", result: 18 } });
    expect((await rpc(http.url, "QueryWorkflow", { workflowId: "req-update-1", name: "value" })).body.result).toBe(18);

    const { events } = await client(http.url).getHistory({ workflowId: "req-update-1" });
    const accepted = events.flatMap((e) => (e.event.case === "updateAccepted" ? [e.event.value] : []));
    expect(accepted.map((a) => [a.name, a.updateId, a.args.map(jsonOf)])).toEqual([
      ["add", added.body.updateId, [3]],
      ["add", "add-ten", [10]],
    ]);
    const completed = events.flatMap((e) => (e.event.case === "updateCompleted" ? [e.event.value] : []));
    expect(completed.map((c) => [c.updateId, jsonOf(c.result)])).toEqual([
      [added.body.updateId, 8],
      ["add-ten", 18],
    ]);
  });

  it("a rejected update is failed_precondition with the validator's message, and leaves no UpdateAccepted", async () => {
    await startCounter("req-update-2", 5);
    const rejected = await rpc(http.url, "UpdateWorkflow", { workflowId: "req-update-2", name: "add", args: [-4] });
    expect(rejected).toMatchObject({ status: 400, body: { code: "failed_precondition" } });
    expect(rejected.body.message).toBe("update add of workflow req-update-2 was rejected: Error: cannot add -4: the counter only goes up");
    expect(JSON.stringify(rejected.body)).not.toMatch(/\n\s+at /);
    const err = await client(http.url)
      .updateWorkflow({ workflowId: "req-update-2", name: "add", args: [json("lots")] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect(err).toMatchObject({ code: Code.FailedPrecondition, rawMessage: expect.stringMatching(/cannot add "lots": the counter only goes up/) });
    const noHandler = await rpc(http.url, "UpdateWorkflow", { workflowId: "req-update-2", name: "reset" });
    expect(noHandler).toMatchObject({ status: 400, body: { code: "failed_precondition", message: expect.stringMatching(/^update reset of workflow req-update-2 was rejected/) } });

    const types = await eventTypes("req-update-2");
    expect(types).not.toContain("UpdateAccepted");
    expect(types).not.toContain("UpdateCompleted");
    expect((await rpc(http.url, "QueryWorkflow", { workflowId: "req-update-2", name: "value" })).body.result).toBe(5);
  });

  it("a handler that fails is aborted with its error, which the history records", async () => {
    await startCounter("req-update-3", 999);
    const failed = await rpc(http.url, "UpdateWorkflow", { workflowId: "req-update-3", name: "add", args: [5], updateId: "too-much" });
    expect(failed).toMatchObject({ status: 409, body: { code: "aborted" } });
    expect(failed.body.message).toBe("update add of workflow req-update-3 failed: OverflowError: 999 + 5 is more than this counter holds");
    const { events } = await client(http.url).getHistory({ workflowId: "req-update-3" });
    const completed = events.find((e) => e.event.case === "updateCompleted");
    expect(completed?.event.value).toMatchObject({ updateId: "too-much", error: { name: "OverflowError" } });
    expect(completed?.event.case === "updateCompleted" && completed.event.value.result).toBeUndefined();
  });

  it("checks its request: a name, an update id of the allowed characters, a positive timeout, a known workflow", async () => {
    await startCounter("req-update-4", 0);
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ workflowId: "req-update-4" }, /name is required/],
      [{ workflowId: "req-update-4", name: "add", args: [1], updateId: "has space" }, /update_id must be 1 to 100 letters, digits, "-" or "_".*"has space"/],
      [{ workflowId: "req-update-4", name: "add", args: [1], updateId: "x".repeat(101) }, /update_id must be/],
      [{ workflowId: "req-update-4", name: "add", args: [1], timeout: "-1s" }, /timeout must be positive/],
      [{ name: "add" }, /workflow_id is required/],
    ];
    for (const [body, message] of cases) {
      expect(await rpc(http.url, "UpdateWorkflow", body), JSON.stringify(body)).toMatchObject({ status: 400, body: { code: "invalid_argument", message: expect.stringMatching(message) } });
    }
    expect(await rpc(http.url, "UpdateWorkflow", { workflowId: "no-such-workflow", name: "add", args: [1] })).toMatchObject({ status: 404, body: { code: "not_found" } });
    expect(await eventTypes("req-update-4")).not.toContain("UpdateAccepted");
  });
});

describe("a workflow type no running worker serves", () => {
  it("is unavailable for queries and updates, saying so", async () => {
    const started = await rpc(http.url, "StartWorkflow", { type: "NobodyWorkflow", workflowId: "req-lonely-1", skipTypeCheck: true });
    expect(started.status).toBe(200);
    for (const method of ["QueryWorkflow", "UpdateWorkflow"]) {
      const reply = await rpc(http.url, method, { workflowId: "req-lonely-1", name: "anything" });
      expect(reply, method).toMatchObject({ status: 503, body: { code: "unavailable" } });
      expect(reply.body.message, method).toMatch(/no worker on queue "default" serves workflow type NobodyWorkflow, so none can answer for req-lonely-1/);
    }
  });
});

describe("with an auth token", () => {
  it("UpdateWorkflow needs the bearer token; QueryWorkflow, a read, does not", async () => {
    const token = "upd4te-token";
    const guarded = await startHttpServer({ connection: env.connection, addr: "127.0.0.1:0", authToken: token });
    try {
      await startCounter("req-auth-1", 2);
      const update = { workflowId: "req-auth-1", name: "add", args: [1] };
      const refused = await rpc(guarded.url, "UpdateWorkflow", update);
      expect(refused).toMatchObject({ status: 401, body: { code: "unauthenticated", message: expect.stringMatching(/UpdateWorkflow needs "Authorization: Bearer <token>"/) } });
      expect(await rpc(guarded.url, "UpdateWorkflow", update, { Authorization: `Bearer ${token}` })).toMatchObject({ status: 200, body: { result: 3 } });
      expect(await rpc(guarded.url, "QueryWorkflow", { workflowId: "req-auth-1", name: "value" })).toEqual({ status: 200, body: { result: 3 } });
    } finally {
      await guarded.close();
    }
  });
});

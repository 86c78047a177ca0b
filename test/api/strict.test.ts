import { beforeAll, describe, expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import type { HttpServer } from "../../src/api/http.ts";
import { eventually, type TestEnv } from "../support/env.ts";
import { apiFixture, client, rpc, rpcText, SERVICE_PATH } from "./connect.ts";

const fixture = apiFixture();
let env: TestEnv;
let http: HttpServer;
beforeAll(() => {
  ({ env, http } = fixture);
});

describe("StartWorkflow checks the type as dfut start does", () => {
  it("refuses a type no running worker registers, naming the known ones, unless skipTypeCheck", async () => {
    const unknown = await rpc(http.url, "StartWorkflow", { type: "NoSuchWorkflow", args: [], workflowId: "strict-type-1" });
    expect(unknown).toMatchObject({ status: 400, body: { code: "invalid_argument" } });
    expect(unknown.body.message).toBe(
      "unknown workflow type NoSuchWorkflow: no running worker on queue default registers it " +
        "(known: ApprovalWorkflow, BatchWorkflow, BuggyWorkflow, CounterWorkflow, FlakyWorkflow, OrderWorkflow, RefusingWorkflow), or set skipTypeCheck to true to start it anyway",
    );
    await expect(env.client.describe("strict-type-1")).rejects.toMatchObject({ code: "not_found" });

    const otherQueue = await rpc(http.url, "StartWorkflow", { type: "OrderWorkflow", queue: "elsewhere" });
    expect(otherQueue).toMatchObject({ status: 400, body: { code: "invalid_argument" } });
    expect(otherQueue.body.message).toMatch(/no running worker on queue elsewhere registers it \(a worker on queue default does; set queue to default\)/);

    const skipped = await rpc(http.url, "StartWorkflow", { type: "NoSuchWorkflow", args: [], workflowId: "strict-type-2", skipTypeCheck: true });
    expect(skipped).toEqual({ status: 200, body: { workflowId: "strict-type-2", runId: expect.stringMatching(/^\d+$/) } });
    expect((await env.client.describe("strict-type-2")).workflowType).toBe("NoSuchWorkflow");
    await env.client.cancel("strict-type-2");

    // The Connect client (as the web UI uses it) starts a registered type as before.
    const { workflowId } = await client(http.url).startWorkflow({ type: "ApprovalWorkflow", args: [], workflowId: "strict-type-3" });
    expect(workflowId).toBe("strict-type-3");
    await env.client.cancel(workflowId);
  });
});

describe("requests are read strictly", () => {
  it("an unknown field is invalid_argument naming it, and the workflow is not started", async () => {
    const typo = await rpc(http.url, "StartWorkflow", { type: "ApprovalWorkflow", args: ["x"], workflowID: "strict-field-1" });
    expect(typo).toMatchObject({ status: 400, body: { code: "invalid_argument" } });
    expect(typo.body.message).toMatch(/^unknown field "workflowID" in StartWorkflowRequest; did you mean "workflowId"\?/);
    expect(typo.body.message).toContain("type, args, workflowId, queue, skipTypeCheck");
    const listed = await env.client.list({ workflowType: "ApprovalWorkflow" });
    expect(listed.map((r) => r.args)).not.toContainEqual(["x"]);

    // The proto field names are fields too.
    const snake = await rpc(http.url, "StartWorkflow", { type: "ApprovalWorkflow", args: ["y"], workflow_id: "strict-field-2" });
    expect(snake).toEqual({ status: 200, body: { workflowId: "strict-field-2", runId: expect.stringMatching(/^\d+$/) } });
    await env.client.cancel("strict-field-2");

    const signal = await rpc(http.url, "SignalWorkflow", { workflowId: "strict-field-2", signal: "approve" });
    expect(signal).toMatchObject({ status: 400, body: { code: "invalid_argument" } });
    expect(signal.body.message).toMatch(/^unknown field "signal" in SignalWorkflowRequest/);

    const message = encodeURIComponent(JSON.stringify({ workflowID: "strict-field-2" }));
    const get = await fetch(new URL(`${SERVICE_PATH}/GetWorkflow?encoding=json&message=${message}`, http.url));
    expect(get.status).toBe(400);
    expect(await get.json()).toMatchObject({ code: "invalid_argument", message: expect.stringMatching(/unknown field "workflowID" in GetWorkflowRequest/) });

    const notObject = await rpcText(http.url, "StartWorkflow", '["ApprovalWorkflow"]');
    expect(notObject).toMatchObject({ status: 400, body: { code: "invalid_argument" } });
    expect(notObject.body.message).toMatch(/must be a JSON object/);
  });

  it("a number out of a double's range is invalid_argument naming it, not an internal error", async () => {
    const start = await rpcText(http.url, "StartWorkflow", '{"type":"OrderWorkflow","args":["Bob","w",1e400,1]}');
    expect(start).toMatchObject({ status: 400, body: { code: "invalid_argument" } });
    expect(start.body.message).toMatch(/^the number 1e400 is out of range/);

    const signal = await rpcText(http.url, "SignalWorkflow", '{"workflowId":"strict-field-2","name":"approve","payload":{"n":-1e999}}');
    expect(signal).toMatchObject({ status: 400, body: { code: "invalid_argument" } });
    expect(signal.body.message).toContain("-1e999");

    // In the binary format a double can be infinite; that is refused as well.
    const binary = client(http.url, undefined, true);
    const infinite = create(ValueSchema, { kind: { case: "numberValue", value: Number.POSITIVE_INFINITY } });
    await expect(binary.startWorkflow({ type: "ApprovalWorkflow", args: [infinite] })).rejects.toMatchObject({
      code: Code.InvalidArgument,
      rawMessage: expect.stringMatching(/argument 1 .*Infinity/),
    });
  });

  it("an integer beyond 2^53 is refused rather than rounded, with a hint to pass it as a string", async () => {
    const big = await rpcText(http.url, "StartWorkflow", '{"type":"ApprovalWorkflow","args":[12345678901234567890],"workflowId":"strict-int-1"}');
    expect(big).toMatchObject({ status: 400, body: { code: "invalid_argument" } });
    expect(big.body.message).toMatch(/^the integer 12345678901234567890 is beyond 2\^53/);
    expect(big.body.message).toContain('pass it as a string ("12345678901234567890")');
    await expect(env.client.describe("strict-int-1")).rejects.toMatchObject({ code: "not_found" });

    // What a double carries exactly still goes through, and so does the string.
    const exact = await rpcText(
      http.url,
      "StartWorkflow",
      '{"type":"ApprovalWorkflow","args":[9007199254740991,-9007199254740991,0.1,1e300,"12345678901234567890"],"workflowId":"strict-int-2"}',
    );
    expect(exact).toEqual({ status: 200, body: { workflowId: "strict-int-2", runId: expect.stringMatching(/^\d+$/) } });
    const record = await eventually(async () => (await env.client.describe("strict-int-2").catch(() => undefined)));
    expect(record.args).toEqual([9007199254740991, -9007199254740991, 0.1, 1e300, "12345678901234567890"]);
    await env.client.cancel("strict-int-2");
  });

  it("a wrong Content-Type is 415 with a body that says what is accepted", async () => {
    const post = (method: string, contentType: string | undefined) =>
      fetch(new URL(`${SERVICE_PATH}/${method}`, http.url), {
        method: "POST",
        headers: contentType ? { "Content-Type": contentType } : {},
        body: new Blob(['{"type":"ApprovalWorkflow"}']),
      });
    for (const contentType of ["text/plain", "application/x-www-form-urlencoded", undefined]) {
      const res = await post("StartWorkflow", contentType);
      expect(res.status, contentType).toBe(415);
      const body = (await res.json()) as { code: string; message: string };
      expect(body.code).toBe("invalid_argument");
      expect(body.message).toContain(contentType === undefined ? "no Content-Type" : `Content-Type "${contentType}"`);
      expect(body.message).toContain("application/json or application/proto");
    }
    // Streaming calls take the Connect protocol's streaming types.
    const stream = await post("WatchHistory", "application/json");
    expect(stream.status).toBe(415);
    expect(((await stream.json()) as { message: string }).message).toContain("application/connect+json or application/connect+proto");

    const get = await fetch(new URL(`${SERVICE_PATH}/GetWorkflow?encoding=xml&message=%7B%7D`, http.url));
    expect(get.status).toBe(415);
    expect(((await get.json()) as { message: string }).message).toContain("encoding=json or encoding=proto");
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHttpServer, type HttpServer } from "../../src/api/http.ts";
import { startEnv, type TestEnv } from "../support/env.ts";
import { postUnfinished, rpc } from "./connect.ts";
import { activities, workflows } from "./workflows.ts";

let env: TestEnv;
let http: HttpServer;
const token = "limits-token";
const auth = { Authorization: `Bearer ${token}` };

beforeAll(async () => {
  env = await startEnv();
  await env.worker({ workflows, activities });
  http = await startHttpServer({ connection: env.connection, addr: "127.0.0.1:0", authToken: token });
});
afterAll(async () => {
  await http?.close();
  await env?.stop();
});

/** The start of a StartWorkflow body whose one argument goes on and on. */
const head = '{"type":"ApprovalWorkflow","args":["';
const json = { "Content-Type": "application/json" };

describe("request bodies: the token is checked before the body, and the body is capped", () => {
  it("a huge StartWorkflow without the token is answered 401 while almost all of its body is still unsent", async () => {
    const declared = 300 * 1024 * 1024;
    const sized = await postUnfinished(http.url, "StartWorkflow", { headers: { ...json, "Content-Length": String(declared) }, head });
    expect(sized).toMatchObject({ status: 401, body: { code: "unauthenticated" }, finished: false });
    expect(sized.body.message).toMatch(/Authorization: Bearer/);
    expect(sized.sent).toBeLessThan(declared / 1000);

    const chunked = await postUnfinished(http.url, "StartWorkflow", { headers: json, head });
    expect(chunked).toMatchObject({ status: 401, body: { code: "unauthenticated" }, finished: false });

    // A wrong token is refused the same way.
    const wrong = await postUnfinished(http.url, "SignalWorkflow", {
      headers: { ...json, Authorization: "Bearer nope", "Content-Length": String(declared) },
      head: '{"workflowId":"x","name":"s","payload":"',
    });
    expect(wrong).toMatchObject({ status: 401, body: { code: "unauthenticated" }, finished: false });
  });

  it("a body over the cap is 413 naming the limit: at once for its Content-Length, and a chunked one once it passes the cap", async () => {
    const limit = env.connection.maxPayload + 64 * 1024;
    const sized = await postUnfinished(http.url, "StartWorkflow", { headers: { ...json, ...auth, "Content-Length": String(limit + 1) }, head });
    expect(sized).toMatchObject({ status: 413, body: { code: "resource_exhausted" }, finished: false });
    expect(sized.body.message).toContain(`${limit + 1} bytes`);
    expect(sized.body.message).toContain(`at most ${limit} bytes`);
    expect(sized.sent).toBe(head.length);

    const chunked = await postUnfinished(http.url, "StartWorkflow", {
      headers: { ...json, ...auth },
      head,
      more: { chunk: Buffer.alloc(64 * 1024, "a"), upTo: 16 * limit },
    });
    expect(chunked).toMatchObject({ status: 413, body: { code: "resource_exhausted" }, finished: false });
    expect(chunked.body.message).toContain(`at most ${limit} bytes`);
    expect(chunked.sent).toBeLessThan(16 * limit);

    // Reads are capped too, token or not.
    const read = await postUnfinished(http.url, "ListWorkflows", { headers: { ...json, "Content-Length": String(10 * limit) }, head: "{" });
    expect(read).toMatchObject({ status: 413, body: { code: "resource_exhausted" } });
  });

  it("a body under the cap is served as before", async () => {
    const big = "x".repeat(256 * 1024);
    const started = await rpc(http.url, "StartWorkflow", { type: "ApprovalWorkflow", args: [big], workflowId: "limits-big-1" }, auth);
    expect(started).toEqual({ status: 200, body: { workflowId: "limits-big-1", runId: expect.stringMatching(/^\d+$/) } });
    const signaled = await rpc(http.url, "SignalWorkflow", { workflowId: "limits-big-1", name: "approve", payload: { approved: true } }, auth);
    expect(signaled.status).toBe(200);
    expect(await env.client.result("limits-big-1")).toEqual({ requester: big, decision: { approved: true } });
  });
});

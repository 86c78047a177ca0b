import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DfutError } from "dfut";
import { isLoopback, parseAddress } from "../../src/api/address.ts";
import { startHttpServer } from "../../src/api/http.ts";
import { startEnv, type TestEnv } from "../support/env.ts";
import { client, rpc } from "./connect.ts";
import { activities, workflows } from "./workflows.ts";

let env: TestEnv;

beforeAll(async () => {
  env = await startEnv();
  await env.worker({ workflows, activities });
});
afterAll(async () => {
  await env?.stop();
});

describe("where the API may listen", () => {
  it("parses host:port forms and knows loopback", () => {
    expect(parseAddress("127.0.0.1:8080")).toEqual({ host: "127.0.0.1", port: 8080 });
    expect(parseAddress("[::1]:9")).toEqual({ host: "::1", port: 9 });
    expect(parseAddress(":8080")).toEqual({ host: "0.0.0.0", port: 8080 });
    for (const host of ["127.0.0.1", "127.1.2.3", "::1", "localhost", "LOCALHOST"]) expect(isLoopback(host), host).toBe(true);
    for (const host of ["0.0.0.0", "::", "10.0.0.1", "example.com"]) expect(isLoopback(host), host).toBe(false);
    for (const bad of ["8080", "host:", "host:99999", "a:b:c"]) {
      expect(() => parseAddress(bad), bad).toThrow(expect.objectContaining({ code: "invalid_argument" }));
    }
  });

  it("refuses a non-loopback address without a token, with a clear invalid_argument", async () => {
    for (const addr of ["0.0.0.0:0", ":0"]) {
      const err = await startHttpServer({ connection: env.connection, addr }).catch((e: unknown) => e);
      expect(err, addr).toBeInstanceOf(DfutError);
      expect((err as DfutError).code).toBe("invalid_argument");
      expect((err as DfutError).message).toMatch(/auth token/);
      expect((err as DfutError).message).toMatch(/--insecure-no-auth/);
    }
  });

  it("serves a non-loopback address with insecureNoAuth, without asking for a token", async () => {
    const http = await startHttpServer({ connection: env.connection, addr: "0.0.0.0:0", insecureNoAuth: true });
    try {
      const started = await rpc(http.url, "StartWorkflow", { type: "OrderWorkflow", args: ["Al", "w", 1, 1], workflowId: "auth-open-1" });
      expect(started).toEqual({ status: 200, body: { workflowId: "auth-open-1", runId: expect.stringMatching(/^\d+$/) } });
    } finally {
      await http.close();
    }
  });

  it("says so when the port is taken", async () => {
    const first = await startHttpServer({ connection: env.connection, addr: "127.0.0.1:0" });
    try {
      const err = await startHttpServer({ connection: env.connection, addr: `127.0.0.1:${new URL(first.url).port}` }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "unavailable" });
      expect((err as Error).message).toMatch(/in use/);
    } finally {
      await first.close();
    }
  });

  it("on loopback without a token, answers only loopback Host names (no DNS rebinding)", async () => {
    const http = await startHttpServer({ connection: env.connection, addr: "127.0.0.1:0" });
    try {
      const port = Number(new URL(http.url).port);
      const status = (host: string) =>
        new Promise<number>((resolve, reject) => {
          const req = request({ host: "127.0.0.1", port, path: "/", headers: { Host: host } }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          });
          req.on("error", reject);
          req.end();
        });
      expect(await status("evil.example:80")).toBe(403);
      expect(await status(`localhost:${port}`)).not.toBe(403);
      expect(await status(`127.0.0.1:${port}`)).not.toBe(403);
    } finally {
      await http.close();
    }
  });
});

describe("with an auth token", () => {
  const token = "s3cret-token";

  it("mutating RPCs need the bearer token; reads do not", async () => {
    const http = await startHttpServer({ connection: env.connection, addr: "0.0.0.0:0", authToken: token });
    try {
      const start = { type: "ApprovalWorkflow", args: ["ann"], workflowId: "auth-1" };
      const none = await rpc(http.url, "StartWorkflow", start);
      expect(none).toMatchObject({ status: 401, body: { code: "unauthenticated" } });
      expect(none.body.message).toMatch(/Authorization: Bearer/);
      const wrong = await rpc(http.url, "StartWorkflow", start, { Authorization: "Bearer nope" });
      expect(wrong).toMatchObject({ status: 401, body: { code: "unauthenticated" } });
      const basic = await rpc(http.url, "StartWorkflow", start, { Authorization: `Basic ${token}` });
      expect(basic).toMatchObject({ status: 401, body: { code: "unauthenticated" } });

      const ok = await rpc(http.url, "StartWorkflow", start, { Authorization: `Bearer ${token}` });
      expect(ok).toEqual({ status: 200, body: { workflowId: "auth-1", runId: expect.stringMatching(/^\d+$/) } });

      for (const [method, body] of [
        ["SignalWorkflow", { workflowId: "auth-1", name: "approve", payload: true }],
        ["CancelWorkflow", { workflowId: "auth-1" }],
        ["TerminateWorkflow", { workflowId: "auth-1" }],
      ] as const) {
        expect(await rpc(http.url, method, body), method).toMatchObject({ status: 401, body: { code: "unauthenticated" } });
      }
      expect(await rpc(http.url, "SignalWorkflow", { workflowId: "auth-1", name: "approve", payload: true }, { Authorization: `Bearer ${token}` })).toMatchObject({
        status: 200,
      });
      expect(await env.client.result("auth-1")).toEqual({ requester: "ann", decision: true });

      // Reads stay open, unary and streaming.
      expect((await rpc(http.url, "GetWorkflow", { workflowId: "auth-1" })).status).toBe(200);
      expect((await rpc(http.url, "ListWorkflowTypes", {})).status).toBe(200);
      const types: string[] = [];
      for await (const message of client(http.url).watchHistory({ workflowId: "auth-1" })) types.push(...message.events.map((e) => e.type));
      expect(types.at(-1)).toBe("WorkflowCompleted");

      // A Connect client that sends the token may do everything.
      const authed = client(http.url, token);
      const { workflowId } = await authed.startWorkflow({ type: "ApprovalWorkflow", args: [], workflowId: "auth-2" });
      await authed.cancelWorkflow({ workflowId, reason: "test" });
      await expect(env.client.result("auth-2")).rejects.toThrow(/canceled/);
      await authed.startWorkflow({ type: "ApprovalWorkflow", args: [], workflowId: "auth-3" });
      await authed.terminateWorkflow({ workflowId: "auth-3", reason: "test" });
      await expect(env.client.result("auth-3")).rejects.toThrow(/terminated: test/);
    } finally {
      await http.close();
    }
  });
});

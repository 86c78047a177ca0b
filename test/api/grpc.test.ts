/**
 * The API over gRPC as outside callers make it: generated-style gRPC clients over HTTP/2 (h2c
 * with prior knowledge, and TLS with ALPN), `buf curl --protocol grpc`, and HTTP/1.1 callers
 * (Connect JSON, gRPC-Web, the web page) on the same port.
 */
import { execFile, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect as connectHttp2, constants as h2, type ClientHttp2Session, type IncomingHttpHeaders } from "node:http2";
import { request as httpsRequest } from "node:https";
import { connect as netConnect } from "node:net";
import { tmpdir } from "node:os";
import { connect as tlsConnect, type TLSSocket } from "node:tls";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WorkflowService, WorkflowStatus } from "../../src/api/gen/dfut/v1/workflow_pb.ts";
import { startHttpServer, type HttpServer } from "../../src/api/http.ts";
import type { TestEnv } from "../support/env.ts";
import { apiFixture, rpc, SERVICE_PATH } from "./connect.ts";
import { ApprovalWorkflow } from "./workflows.ts";

const repo = fileURLToPath(new URL("../..", import.meta.url));
const buf = join(repo, "node_modules/.bin/buf");
const temp = mkdtempSync(join(tmpdir(), "dfut-grpc-"));

// A web UI of our own, so that the page test does not depend on a build of src/web.
const INDEX = "<!doctype html><title>dfut grpc test</title>\n";
const webDir = join(temp, "web");
mkdirSync(webDir);
writeFileSync(join(webDir, "index.html"), INDEX);
process.env.DFUT_WEB_DIR = webDir;

const fixture = apiFixture();
let env: TestEnv;
let http: HttpServer;
let tls: HttpServer;
let authed: HttpServer;
let ca: Buffer;
const token = "grpc-token";

beforeAll(async () => {
  ({ env, http } = fixture);
  // A self-signed certificate for 127.0.0.1, which the clients below trust as their CA.
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
    "-keyout", join(temp, "key.pem"), "-out", join(temp, "cert.pem"),
    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
  ], { stdio: "ignore" }); // prettier-ignore
  ca = readFileSync(join(temp, "cert.pem"));
  tls = await startHttpServer({ connection: env.connection, addr: "127.0.0.1:0", tls: { cert: ca, key: readFileSync(join(temp, "key.pem")) } });
  authed = await startHttpServer({ connection: env.connection, addr: "127.0.0.1:0", authToken: token });
});
afterAll(async () => {
  await tls?.close();
  await authed?.close();
  rmSync(temp, { recursive: true, force: true });
});

const bearer =
  (secret: string): Interceptor =>
  (next) =>
  (req) => {
    req.header.set("Authorization", `Bearer ${secret}`);
    return next(req);
  };

function grpcClient(baseUrl: string, options: { ca?: Buffer; token?: string } = {}): Client<typeof WorkflowService> {
  const transport = createGrpcTransport({
    baseUrl,
    nodeOptions: options.ca ? { ca: options.ca } : {},
    interceptors: options.token ? [bearer(options.token)] : [],
  });
  return createClient(WorkflowService, transport);
}

const args = (...values: JsonValue[]) => values.map((v) => fromJson(ValueSchema, v));

/** Start, get, history, and a WatchHistory stream that ends with the workflow: what a gRPC client does. */
async function orderRoundTrip(c: Client<typeof WorkflowService>, workflowId: string): Promise<void> {
  const started = await c.startWorkflow({ type: "OrderWorkflow", args: args("Ann", "widget-7", 700, 1), workflowId });
  expect(started).toMatchObject({ workflowId, runId: expect.stringMatching(/^\d+$/) });

  const watched: string[] = [];
  let caughtUp = false;
  for await (const message of c.watchHistory({ workflowId })) {
    watched.push(...message.events.map((e) => e.type));
    caughtUp ||= message.caughtUp;
  }
  expect(caughtUp).toBe(true);
  expect(watched[0]).toBe("WorkflowStarted");
  expect(watched.at(-1)).toBe("WorkflowCompleted");

  const { workflow } = await c.getWorkflow({ workflowId });
  expect(workflow).toMatchObject({ workflowId, runId: started.runId, workflowType: "OrderWorkflow", status: WorkflowStatus.COMPLETED });
  const { events } = await c.getHistory({ workflowId });
  expect(events.map((e) => e.type)).toEqual(watched);
}

/** An HTTP/2 session of our own, for what a client library would not send. */
async function h2Session(url: string, options: { ca?: Buffer } = {}): Promise<ClientHttp2Session> {
  const session = connectHttp2(url, options);
  await new Promise<void>((resolve, reject) => session.once("connect", () => resolve()).once("error", reject));
  return session;
}

interface H2Reply {
  headers: IncomingHttpHeaders;
  /** Empty for a "Trailers-Only" answer, whose status is in the headers. */
  trailers: IncomingHttpHeaders;
  body: string;
}

/** One request with its whole body. */
function h2Request(session: ClientHttp2Session, headers: Record<string, string>, body: Buffer | string = ""): Promise<H2Reply> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers, { endStream: body === "" });
    let replyHeaders: IncomingHttpHeaders = {};
    let trailers: IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    stream.on("response", (h) => (replyHeaders = h));
    stream.on("trailers", (t) => (trailers = t));
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => resolve({ headers: replyHeaders, trailers, body: Buffer.concat(chunks).toString("utf8") }));
    stream.on("error", reject);
    if (body !== "") stream.end(body);
  });
}

interface H2EarlyReply {
  headers: IncomingHttpHeaders;
  /** Request bytes written when the answer came. */
  sent: number;
  /** How the server ended the stream that the client never finished. */
  rstCode: number;
}

/**
 * A gRPC call whose message announces 300 MiB and never ends: after its first bytes, `more`
 * more are written, 64 KiB at a time, while the stream lasts. Only a server that decides
 * before the message is complete answers, and only one that then ends the stream lets this
 * resolve.
 */
function h2Unfinished(session: ClientHttp2Session, headers: Record<string, string>, more = 0): Promise<H2EarlyReply> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers, { endStream: false });
    let sent = 0;
    let answer: { headers: IncomingHttpHeaders; sent: number } | undefined;
    stream.on("response", (h) => (answer = { headers: h, sent }));
    stream.resume();
    // Only so that a server that waits for the rest fails the test with a message, not a timeout.
    const guard = setTimeout(() => {
      stream.close(h2.NGHTTP2_CANCEL);
      reject(new Error(answer ? "answered, but the stream was left open" : `no answer after ${sent} bytes: the server waits for the rest`));
    }, 30_000);
    stream.on("error", reject);
    stream.on("close", () => {
      clearTimeout(guard);
      if (answer) resolve({ ...answer, rstCode: stream.rstCode ?? -1 });
      else reject(new Error(`closed unanswered after ${sent} bytes`));
    });
    const write = (chunk: Buffer) => {
      sent += chunk.length;
      return stream.write(chunk);
    };
    write(envelope(300 * 1024 * 1024, Buffer.from("\n\x0dApprovalWork")));
    const chunk = Buffer.alloc(64 * 1024, "a");
    const pump = () => {
      while (!answer && !stream.closed && sent < more) if (!write(chunk)) return void stream.once("drain", pump);
    };
    pump();
  });
}

/** A gRPC message frame that announces `length` bytes and carries `start` of them. */
function envelope(length: number, start: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(length, 1);
  return Buffer.concat([head, start]);
}

const run = promisify(execFile);

/** `buf curl`, as a gRPC user would run it; its output goes to the test log. */
async function bufCurl(flags: string[], url: string): Promise<unknown> {
  const argv = ["curl", "--protocol", "grpc", "--schema", "proto", ...flags, url];
  const { stdout, stderr } = await run(buf, argv, { cwd: repo, timeout: 60_000 }).catch((err: { stdout?: string; stderr?: string; message: string }) => {
    throw new Error(`buf ${argv.join(" ")} failed: ${err.message}\n${err.stdout ?? ""}${err.stderr ?? ""}`);
  });
  console.log(`$ buf ${argv.join(" ")}\n${stdout}${stderr}`);
  return JSON.parse(stdout);
}

describe("gRPC over cleartext HTTP/2 (h2c with prior knowledge)", () => {
  it("a gRPC client starts a workflow, watches its history to the end, and reads it and its history back", async () => {
    await orderRoundTrip(grpcClient(http.url), "grpc-h2c-1");
  });

  it("buf curl --protocol grpc --http2-prior-knowledge answers ListWorkflowTypes with JSON", async () => {
    const reply = await bufCurl(["--http2-prior-knowledge"], `${http.url}${SERVICE_PATH}/ListWorkflowTypes`);
    expect(reply).toMatchObject({ workflowTypes: expect.arrayContaining([expect.objectContaining({ name: "OrderWorkflow", queue: "default" })]) });
  });

  it("an unknown method is UNIMPLEMENTED, a bad argument INVALID_ARGUMENT, a missing workflow NOT_FOUND, in gRPC's own form", async () => {
    const c = grpcClient(http.url);
    await expect(c.getWorkflow({ workflowId: "grpc-no-such-workflow" })).rejects.toMatchObject({ code: Code.NotFound });
    await expect(c.startWorkflow({ type: "NoSuchWorkflow", args: [], workflowId: "grpc-bad-1" })).rejects.toMatchObject({ code: Code.InvalidArgument });
    const session = await h2Session(http.url);
    try {
      const reply = await h2Request(session, { ":method": "POST", ":path": `/${SERVICE_PATH}/NoSuchMethod`, "content-type": "application/grpc" }, envelope(0, Buffer.alloc(0)));
      expect(reply.headers).toMatchObject({ ":status": 200, "grpc-status": String(Code.Unimplemented) });
      expect(decodeURIComponent(String(reply.headers["grpc-message"]))).toContain("NoSuchMethod");
    } finally {
      session.close();
    }
  });

  it("a message over the cap is RESOURCE_EXHAUSTED naming the limit, and the connection goes on serving", async () => {
    const c = grpcClient(http.url);
    const limit = env.connection.maxPayload + 64 * 1024;
    const err = await c.startWorkflow({ type: "ApprovalWorkflow", args: args("x".repeat(limit + 1)), workflowId: "grpc-big-1" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.ResourceExhausted);
    expect((err as ConnectError).rawMessage).toContain(`at most ${limit} bytes`);
    // Just its stream was ended: the same session takes the next call.
    expect((await c.listWorkflowTypes({})).workflowTypes.length).toBeGreaterThan(0);
    const fits = await c.startWorkflow({ type: "ApprovalWorkflow", args: args("y".repeat(256 * 1024)), workflowId: "grpc-big-2" });
    expect(fits.workflowId).toBe("grpc-big-2");
    await c.cancelWorkflow({ workflowId: "grpc-big-2" });
  });

  it("gRPC's JSON flavour is as strict as Connect JSON: an integer beyond 2^53 is INVALID_ARGUMENT", async () => {
    const transport = createGrpcTransport({ baseUrl: http.url, useBinaryFormat: false });
    const json = createClient(WorkflowService, transport);
    expect((await json.listWorkflowTypes({})).workflowTypes.length).toBeGreaterThan(0);
    const session = await h2Session(http.url);
    try {
      const message = Buffer.from('{"type":"ApprovalWorkflow","args":[9007199254740993],"workflowId":"grpc-json-1"}');
      const headers = { ":method": "POST", ":path": `/${SERVICE_PATH}/StartWorkflow`, "content-type": "application/grpc+json" };
      const reply = await h2Request(session, headers, envelope(message.length, message));
      expect(reply.headers).toMatchObject({ ":status": 200, "grpc-status": String(Code.InvalidArgument) });
      expect(decodeURIComponent(String(reply.headers["grpc-message"]))).toMatch(/beyond 2\^53/);
    } finally {
      session.close();
    }
  });

  it("on loopback without a token, an HTTP/2 :authority that is not loopback is refused (no DNS rebinding)", async () => {
    const session = await h2Session(http.url);
    try {
      const evil = await h2Request(session, { ":method": "GET", ":path": "/", ":authority": "evil.example" });
      expect(evil.headers[":status"]).toBe(403);
      const fine = await h2Request(session, { ":method": "GET", ":path": "/" });
      expect(fine).toMatchObject({ headers: { ":status": 200 }, body: INDEX });
    } finally {
      session.close();
    }
  });
});

describe("HTTP/1.1 on the same port", () => {
  it("tells the protocols apart when the first bytes trickle in: an HTTP/1.1 request, the HTTP/2 preface", async () => {
    const port = Number(new URL(http.url).port);
    const exchange = (parts: Buffer[], enough: (got: Buffer) => boolean) =>
      new Promise<Buffer>((resolve, reject) => {
        const socket = netConnect(port, "127.0.0.1");
        let got = Buffer.alloc(0);
        socket.on("data", (chunk: Buffer) => {
          got = Buffer.concat([got, chunk]);
          if (enough(got)) {
            socket.destroy();
            resolve(got);
          }
        });
        socket.on("error", reject);
        const next = (i: number) => {
          if (i === parts.length) return;
          socket.write(parts[i]);
          setTimeout(() => next(i + 1), 5);
        };
        socket.once("connect", () => next(0));
      });
    const request = Buffer.from(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`);
    const http1 = await exchange([...request].map((b) => Buffer.from([b])), (got) => got.includes(INDEX));
    expect(http1.toString("latin1")).toMatch(/^HTTP\/1\.1 200 OK\r\n/);

    const preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    const emptySettings = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]);
    const http2 = await exchange([preface.subarray(0, 1), preface.subarray(1, 7), preface.subarray(7), emptySettings], (got) => got.length >= 9);
    expect(http2[3]).toBe(4); // the server's first frame: its SETTINGS
  });

  it("Connect JSON, gRPC-Web, a Connect client and the web page still answer, and Connect works over HTTP/2 too", async () => {
    const types = await rpc(http.url, "ListWorkflowTypes", {});
    expect(types).toMatchObject({ status: 200, body: { workflowTypes: expect.arrayContaining([expect.objectContaining({ name: "OrderWorkflow" })]) } });
    const page = await fetch(http.url);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await page.text()).toBe(INDEX);

    const grpcWeb = createClient(WorkflowService, createGrpcWebTransport({ baseUrl: http.url, httpVersion: "1.1" }));
    await orderRoundTrip(grpcWeb, "grpc-web-1");
    await expect(grpcWeb.getWorkflow({ workflowId: "grpc-web-no-such" })).rejects.toMatchObject({ code: Code.NotFound });

    const connectH2 = createClient(WorkflowService, createConnectTransport({ baseUrl: http.url, httpVersion: "2" }));
    await orderRoundTrip(connectH2, "grpc-connect-h2-1");
  });
});

describe("closing the server", () => {
  it("ends its open HTTP/2 streams and sessions, and resolves", async () => {
    const server = await startHttpServer({ connection: env.connection, addr: "127.0.0.1:0" });
    const c = grpcClient(server.url);
    await env.client.start(ApprovalWorkflow, { workflowId: "grpc-close-1", args: ["bo"] });
    const watching = (async () => {
      for await (const message of c.watchHistory({ workflowId: "grpc-close-1" })) if (message.caughtUp) void server.close();
    })();
    await expect(watching).rejects.toBeInstanceOf(ConnectError);
    await server.close();
    await env.client.cancel("grpc-close-1");
  });
});

describe("over TLS (--tls-cert, --tls-key)", () => {
  it("gRPC over HTTP/2 by ALPN h2, with the test CA", async () => {
    expect(tls.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/$/);
    const session = await h2Session(tls.url, { ca });
    expect(session.alpnProtocol).toBe("h2");
    session.close();
    await orderRoundTrip(grpcClient(tls.url, { ca }), "grpc-tls-1");
  });

  it("Connect JSON and the web page over HTTPS/1.1 (no ALPN, or ALPN http/1.1)", async () => {
    const get = (path: string, method = "GET", body?: string) =>
      new Promise<{ status: number; body: string; alpn: string | false | null }>((resolve, reject) => {
        // Node's https client offers no ALPN: the server takes that as HTTP/1.1.
        const req = httpsRequest(new URL(path, tls.url), { method, ca, headers: body ? { "Content-Type": "application/json" } : {} }, (res) => {
          const alpn = (res.socket as TLSSocket).alpnProtocol;
          let text = "";
          res.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text, alpn }));
        });
        req.on("error", reject);
        req.end(body);
      });
    const page = await get("/");
    expect(page).toMatchObject({ status: 200, body: INDEX, alpn: false });
    const offered = await new Promise<string | false | null>((resolve, reject) => {
      const socket = tlsConnect({ host: "127.0.0.1", port: Number(new URL(tls.url).port), ca, ALPNProtocols: ["http/1.1"] }, () => {
        resolve(socket.alpnProtocol);
        socket.destroy();
      });
      socket.on("error", reject);
    });
    expect(offered).toBe("http/1.1");
    const types = await get(`/${SERVICE_PATH}/ListWorkflowTypes`, "POST", "{}");
    expect(types.status).toBe(200);
    expect(JSON.parse(types.body)).toMatchObject({ workflowTypes: expect.arrayContaining([expect.objectContaining({ name: "OrderWorkflow" })]) });
  });

  it("buf curl --protocol grpc over https with --cacert", async () => {
    const reply = await bufCurl(["--cacert", join(temp, "cert.pem")], `${tls.url}${SERVICE_PATH}/ListWorkflowTypes`);
    expect(reply).toMatchObject({ workflowTypes: expect.arrayContaining([expect.objectContaining({ name: "OrderWorkflow" })]) });
  });
});

describe("with an auth token, over gRPC", () => {
  it("a mutating call without the token is UNAUTHENTICATED, with it OK; reads need none", async () => {
    const anonymous = grpcClient(authed.url);
    const err = await anonymous.startWorkflow({ type: "ApprovalWorkflow", args: args("ann"), workflowId: "grpc-auth-1" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.Unauthenticated);
    expect((err as ConnectError).rawMessage).toMatch(/Authorization: Bearer/);
    await expect(grpcClient(authed.url, { token: "nope" }).startWorkflow({ type: "ApprovalWorkflow", args: [], workflowId: "grpc-auth-1" })).rejects.toMatchObject({
      code: Code.Unauthenticated,
    });

    const withToken = grpcClient(authed.url, { token });
    const started = await withToken.startWorkflow({ type: "ApprovalWorkflow", args: args("ann"), workflowId: "grpc-auth-1" });
    expect(started.workflowId).toBe("grpc-auth-1");
    await expect(anonymous.signalWorkflow({ workflowId: "grpc-auth-1", name: "approve", payload: fromJson(ValueSchema, true) })).rejects.toMatchObject({
      code: Code.Unauthenticated,
    });
    await withToken.signalWorkflow({ workflowId: "grpc-auth-1", name: "approve", payload: fromJson(ValueSchema, true) });
    expect(await env.client.result("grpc-auth-1")).toEqual({ requester: "ann", decision: true });
    const { workflow } = await anonymous.getWorkflow({ workflowId: "grpc-auth-1" });
    expect(workflow?.workflowId).toBe("grpc-auth-1");
  });

  it("a huge gRPC StartWorkflow without the token is answered while its message is still unsent; one over the cap once it passes it", async () => {
    const session = await h2Session(authed.url);
    try {
      const headers = { ":method": "POST", ":path": `/${SERVICE_PATH}/StartWorkflow`, "content-type": "application/grpc", te: "trailers" };
      const reply = await h2Unfinished(session, headers);
      expect(reply).toMatchObject({ headers: { ":status": 200, "grpc-status": String(Code.Unauthenticated) }, rstCode: h2.NGHTTP2_NO_ERROR });
      expect(decodeURIComponent(String(reply.headers["grpc-message"]))).toMatch(/Authorization: Bearer/);

      // With the token, a message past the cap is refused once it passes it, and its stream ended.
      const limit = env.connection.maxPayload + 64 * 1024;
      const big = await h2Unfinished(session, { ...headers, authorization: `Bearer ${token}` }, 16 * limit);
      expect(big).toMatchObject({ headers: { ":status": 200, "grpc-status": String(Code.ResourceExhausted) }, rstCode: h2.NGHTTP2_NO_ERROR });
      expect(big.sent).toBeGreaterThan(limit);
      expect(big.sent).toBeLessThan(16 * limit);
      // And the session is fine for the next call.
      const read = await h2Request(session, { ...headers, ":path": `/${SERVICE_PATH}/ListWorkflowTypes` }, envelope(0, Buffer.alloc(0)));
      expect(read).toMatchObject({ headers: { ":status": 200 }, trailers: { "grpc-status": "0" } });
      expect(read.body).toContain("OrderWorkflow");
    } finally {
      session.close();
    }
  });
});


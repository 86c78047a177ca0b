/** Talking to the API the way outside callers do: raw Connect JSON over fetch, or a Connect client. */
import { request } from "node:http";
import { createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll } from "vitest";
import { WorkflowService } from "../../src/api/gen/dfut/v1/workflow_pb.ts";
import { startHttpServer, type HttpServer } from "../../src/api/http.ts";
import { startEnv, type TestEnv } from "../support/env.ts";
import { activities, workflows } from "./workflows.ts";

export const SERVICE_PATH = "dfut.v1.WorkflowService";

export interface RpcReply {
  status: number;
  body: Record<string, unknown>;
}

/** One unary call in the Connect protocol with JSON, as curl would make it. */
export async function rpc(baseUrl: string, method: string, body: unknown, headers: Record<string, string> = {}): Promise<RpcReply> {
  return rpcText(baseUrl, method, JSON.stringify(body), headers);
}

/** The same with the body as written, for JSON that JSON.stringify would not produce. */
export async function rpcText(baseUrl: string, method: string, body: string, headers: Record<string, string> = {}): Promise<RpcReply> {
  const res = await fetch(new URL(`${SERVICE_PATH}/${method}`, baseUrl), {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body,
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

export interface EarlyReply extends RpcReply {
  /** Body bytes the client had written when the answer came. */
  sent: number;
  /** Whether the client had finished its body by then. */
  finished: boolean;
}

export interface UnfinishedUpload {
  headers: Record<string, string>;
  /** Written right after the headers. */
  head: string;
  /** Then this chunk again and again while the server reads, up to `upTo` bytes in all. */
  more?: { chunk: Buffer; upTo: number };
}

/**
 * POSTs a body that is never finished and waits for the answer: only a server that decides
 * before the body is complete answers at all.
 */
export function postUnfinished(baseUrl: string, method: string, upload: UnfinishedUpload): Promise<EarlyReply> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = request(new URL(`${SERVICE_PATH}/${method}`, baseUrl), { method: "POST", headers: upload.headers });
    const fail = (err: Error) => {
      clearTimeout(guard);
      req.destroy();
      reject(err);
    };
    // Only so that a server waiting for the rest fails the test with a message, not a timeout.
    const guard = setTimeout(() => fail(new Error(`no answer after ${sent} bytes of the body: the server waits for the rest`)), 30_000);
    // Once answered, the server may close the connection under the unfinished body.
    req.on("error", (err) => answered || fail(err));
    req.on("response", (res) => {
      answered = true;
      const finished = req.writableEnded;
      const sentThen = sent;
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", fail);
      res.on("end", () => {
        clearTimeout(guard);
        req.destroy();
        const text = Buffer.concat(chunks).toString("utf8");
        resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, sent: sentThen, finished });
      });
    });
    const write = (chunk: string | Buffer): boolean => {
      sent += Buffer.byteLength(chunk);
      return req.write(chunk);
    };
    write(upload.head);
    const { more } = upload;
    if (!more) return;
    const pump = () => {
      while (!answered && sent < more.upTo) {
        if (!write(more.chunk)) {
          req.once("drain", pump);
          return;
        }
      }
    };
    pump();
  });
}

export function client(baseUrl: string, token?: string, useBinaryFormat = false): Client<typeof WorkflowService> {
  const transport = createConnectTransport({
    baseUrl,
    httpVersion: "1.1",
    useBinaryFormat,
    interceptors: token
      ? [
          (next) => (req) => {
            req.header.set("Authorization", `Bearer ${token}`);
            return next(req);
          },
        ]
      : [],
  });
  return createClient(WorkflowService, transport);
}

/**
 * For one test file: a real nats-server, a dfut server, a worker of the API test workflows and
 * the HTTP API on a free loopback port, started before the tests and stopped after them.
 */
export function apiFixture(options: { authToken?: string } = {}): { readonly env: TestEnv; readonly http: HttpServer } {
  const fixture = {} as { env: TestEnv; http: HttpServer };
  beforeAll(async () => {
    fixture.env = await startEnv();
    await fixture.env.worker({ workflows, activities });
    fixture.http = await startHttpServer({ connection: fixture.env.connection, addr: "127.0.0.1:0", ...options });
  });
  afterAll(async () => {
    await fixture.http?.close();
    await fixture.env?.stop();
  });
  return fixture;
}

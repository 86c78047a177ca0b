/**
 * The HTTP face of `dfut server`: the dfut.v1.WorkflowService ConnectRPC API and the web UI
 * on one node:http server.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createConnectRouter } from "@connectrpc/connect";
import type { DfutConnection } from "../common/connection.ts";
import { DfutError } from "../common/errors.ts";
import { formatUrl, hostOf, isLoopback, parseAddress } from "./address.ts";
import type { ErrorReporter } from "./errors.ts";
import { WorkflowService } from "./gen/dfut/v1/workflow_pb.ts";
import { bodyLimit, COMPRESSIONS } from "./body.ts";
import { createRpcHandler } from "./rpc-handler.ts";
import { createWorkflowService } from "./service.ts";
import { loadWebAssets, serveStatic } from "./static.ts";

export interface HttpServerOptions {
  connection: DfutConnection;
  /** host:port to listen on. Default 127.0.0.1:8080. */
  addr: string;
  /** When set, mutating RPCs need `Authorization: Bearer <authToken>`. Required off loopback. */
  authToken?: string;
  /** Allows a non-loopback address without a token: anyone who reaches it may start and cancel workflows. */
  insecureNoAuth?: boolean;
  /** Told about unexpected failures. Default: console.error. */
  report?: ErrorReporter;
}

export interface HttpServer {
  /** Base URL, e.g. http://127.0.0.1:8080/ */
  url: string;
  close(): Promise<void>;
}

export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const { host, port } = parseAddress(options.addr);
  const loopback = isLoopback(host);
  const token = options.authToken?.trim() || undefined;
  if (!loopback && !token && !options.insecureNoAuth) {
    throw new DfutError(
      "invalid_argument",
      `refusing to serve the API on ${options.addr} without an auth token: it is reachable from other machines. ` +
        "Pass --auth-token <secret> (or set DFUT_AUTH_TOKEN), bind to 127.0.0.1, or pass --insecure-no-auth to accept the risk",
    );
  }
  const report = options.report ?? ((err: unknown) => console.error(`dfut api: ${(err as Error)?.stack ?? err}`));
  const assets = loadWebAssets();
  const { maxPayload } = options.connection;
  const router = createConnectRouter({
    acceptCompression: [...COMPRESSIONS],
    // Bounds what Connect itself decompresses and parses (stream messages, GET queries).
    readMaxBytes: bodyLimit(maxPayload),
    jsonOptions: { ignoreUnknownFields: false },
  });
  router.service(WorkflowService, createWorkflowService({ connection: options.connection, report }));
  const rpc = createRpcHandler({
    router,
    token,
    maxPayload,
    report,
    fallback: (req, res) => {
      if (looksLikeRpc(req.url ?? "/")) return unknownProcedure(req, res);
      serveStatic(assets, req, res);
    },
  });

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    // On loopback without a token, only loopback Host names: a web page that rebinds its own
    // DNS name to 127.0.0.1 cannot talk to this server.
    if (loopback && !token && !isLoopback(hostOf(req.headers.host ?? ""))) {
      res.writeHead(403, { "Content-Type": "text/plain; charset=utf-8" });
      res.end(`Host ${JSON.stringify(req.headers.host ?? "")} is not allowed; use 127.0.0.1 or localhost\n`);
      return;
    }
    rpc(req, res);
  };
  const server = createServer(listener);
  // A client that waits for "100 Continue" gets it only once the headers pass (see createRpcHandler).
  server.on("checkContinue", listener);
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) => {
      const reason = err.code === "EADDRINUSE" ? "the address is in use" : err.code === "EACCES" ? "permission denied" : err.message;
      reject(new DfutError("unavailable", `cannot listen on ${options.addr}: ${reason}`, { cause: err }));
    });
    server.listen(port, host, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  return {
    url: formatUrl(host, bound.port),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Streams (WatchWorkflows, WatchHistory) stay open until their clients go; end them.
        server.closeAllConnections();
      }),
  };
}

/** "/package.Service/Method": a call the router did not know, not a file. */
function looksLikeRpc(url: string): boolean {
  return /^\/[A-Za-z_][\w]*(\.[A-Za-z_]\w*)+\/[A-Za-z_]\w*$/.test(new URL(url, "http://localhost").pathname);
}

/** What the Connect protocol answers for a procedure that does not exist. */
function unknownProcedure(req: IncomingMessage, res: ServerResponse): void {
  const path = new URL(req.url ?? "/", "http://localhost").pathname;
  res.writeHead(404, { "Content-Type": "application/json" });
  res.end(JSON.stringify({ code: "unimplemented", message: `no procedure ${path.slice(1)}; see dfut.v1.WorkflowService` }));
}

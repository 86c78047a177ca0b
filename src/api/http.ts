/**
 * The HTTP face of `dfut server`: the dfut.v1.WorkflowService API (Connect, gRPC and gRPC-Web)
 * and the web UI on one port, over HTTP/1.1 and HTTP/2 (h2c, or TLS with ALPN).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { createSecureContext } from "node:tls";
import { Code, ConnectError, createConnectRouter } from "@connectrpc/connect";
import type { DfutConnection } from "../common/connection.ts";
import { DfutError } from "../common/errors.ts";
import { formatUrl, hostOf, isLoopback, parseAddress } from "./address.ts";
import type { ErrorReporter } from "./errors.ts";
import { WorkflowService } from "./gen/dfut/v1/workflow_pb.ts";
import { bodyLimit, COMPRESSIONS } from "./body.ts";
import { listen, type Listener, type NodeRequest, type NodeResponse, type TlsFiles } from "./listener.ts";
import { answerError, createRpcHandler } from "./rpc-handler.ts";
import { createWorkflowService } from "./service.ts";
import { loadWebAssets, serveStatic } from "./static.ts";
import { metrics, PROMETHEUS_CONTENT_TYPE } from "../common/metrics.ts";

export interface HttpServerOptions {
  connection: DfutConnection;
  /** host:port to listen on. Default 127.0.0.1:8080. */
  addr: string;
  /** When set, mutating RPCs need `Authorization: Bearer <authToken>`. Required off loopback. */
  authToken?: string;
  /** Allows a non-loopback address without a token: anyone who reaches it may start and cancel workflows. */
  insecureNoAuth?: boolean;
  /**
   * PEM certificate and key: the port then speaks TLS only, HTTP/2 or HTTP/1.1 by ALPN.
   * Default: none, and the port takes cleartext HTTP/1.1 and HTTP/2 with prior knowledge (h2c).
   */
  tls?: TlsFiles;
  /** Told about unexpected failures. Default: console.error. */
  report?: ErrorReporter;
}

export type { TlsFiles };

export interface HttpServer {
  /** Base URL, e.g. http://127.0.0.1:8080/ (https:// with TLS) */
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
  if (options.tls) checkTls(options.tls);
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
      if (req.method === "GET" && new URL(req.url ?? "/", "http://localhost").pathname === "/metrics") {
        // This process's metrics (a server's; in `dfut dev` its worker's too), for Prometheus.
        const out = res as ServerResponse;
        metrics.render().then(
          (text) => out.writeHead(200, { "content-type": PROMETHEUS_CONTENT_TYPE }).end(text),
          (err: unknown) => out.writeHead(500, { "content-type": "text/plain" }).end(`metrics failed: ${(err as Error)?.message ?? err}\n`),
        );
        return;
      }
      // Over HTTP/2 these are http2's compatibility objects, which have what serveStatic uses.
      serveStatic(assets, req as IncomingMessage, res as ServerResponse);
    },
  });

  // Also told of requests that wait for "100 Continue": they get it only once the headers pass (see createRpcHandler).
  const onRequest = (req: NodeRequest, res: NodeResponse) => {
    // On loopback without a token, only loopback Host names: a web page that rebinds its own
    // DNS name to 127.0.0.1 cannot talk to this server. HTTP/2 names it in :authority.
    const authority = req.headers[":authority"] ?? req.headers.host ?? "";
    if (loopback && !token && !isLoopback(hostOf(String(authority)))) {
      res.statusCode = 403;
      res.setHeader("Content-Type", "text/plain; charset=utf-8");
      res.end(`Host ${JSON.stringify(authority)} is not allowed; use 127.0.0.1 or localhost\n`);
      return;
    }
    rpc(req, res);
  };
  let listener: Listener;
  try {
    listener = await listen({ host, port, tls: options.tls, onRequest });
  } catch (err) {
    const { code, message } = err as NodeJS.ErrnoException;
    const reason = code === "EADDRINUSE" ? "the address is in use" : code === "EACCES" ? "permission denied" : message;
    throw new DfutError("unavailable", `cannot listen on ${options.addr}: ${reason}`, { cause: err });
  }
  const url = new URL(formatUrl(host, listener.port));
  if (options.tls) url.protocol = "https:";
  return { url: url.href, close: listener.close };
}

/** A certificate and key that TLS cannot use fail here, not at the first connection. */
function checkTls(tls: TlsFiles): void {
  try {
    createSecureContext(tls);
  } catch (err) {
    throw new DfutError("invalid_argument", `the TLS certificate and key cannot be used: ${(err as Error).message}`, { cause: err });
  }
}

/** "/package.Service/Method": a call the router did not know, not a file. */
function looksLikeRpc(url: string): boolean {
  return /^\/[A-Za-z_][\w]*(\.[A-Za-z_]\w*)+\/[A-Za-z_]\w*$/.test(new URL(url, "http://localhost").pathname);
}

/** A procedure that does not exist: 404 and unimplemented in Connect's form, UNIMPLEMENTED in gRPC's. */
function unknownProcedure(req: NodeRequest, res: NodeResponse): void {
  const path = new URL(req.url ?? "/", "http://localhost").pathname;
  answerError(req, res, 404, new ConnectError(`no procedure ${path.slice(1)}; see dfut.v1.WorkflowService`, Code.Unimplemented));
}

/**
 * One port for HTTP/1.1 and HTTP/2. Without TLS, each connection's first bytes decide: the
 * HTTP/2 connection preface (h2c with prior knowledge, as gRPC clients and
 * `buf curl --http2-prior-knowledge` send it) goes to an http2 server, anything else to an
 * http server. With TLS, ALPN decides (h2, else http/1.1) in one http2 secure server.
 */
import { createServer as createHttp1Server, type IncomingMessage, type ServerResponse } from "node:http";
import {
  createSecureServer,
  createServer as createHttp2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type Http2Session,
  type Settings,
} from "node:http2";
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from "node:net";

export type NodeRequest = IncomingMessage | Http2ServerRequest;
export type NodeResponse = ServerResponse | Http2ServerResponse;
export type RequestListener = (req: NodeRequest, res: NodeResponse) => void;

export interface TlsFiles {
  /** PEM certificate chain. */
  cert: string | Buffer;
  /** PEM private key. */
  key: string | Buffer;
}

export interface ListenOptions {
  host: string;
  port: number;
  /** When set, the port speaks TLS only (ALPN h2 and http/1.1); else cleartext HTTP/1.1 and h2c. */
  tls?: TlsFiles;
  /** Every request, of either version; also told of `Expect: 100-continue` requests, unanswered. */
  onRequest: RequestListener;
}

export interface Listener {
  port: number;
  /** Stops listening and ends every connection, streams included. */
  close(): Promise<void>;
}

/** What an HTTP/2 client with prior knowledge sends first (RFC 9113, section 3.4). */
const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/** A connection that has not said which protocol it speaks by then is closed (http's headersTimeout). */
const SNIFF_TIMEOUT_MS = 60_000;

/** Per session; a client asking for more waits (Go's gRPC server allows 250 by default). */
const H2_SETTINGS: Settings = { maxConcurrentStreams: 100 };

export async function listen(options: ListenOptions): Promise<Listener> {
  const sockets = new Set<Socket>();
  const sessions = new Set<Http2Session>();
  const track = <T extends Socket | Http2Session>(set: Set<T>, item: T) => {
    set.add(item);
    item.once("close", () => set.delete(item));
  };
  const { onRequest } = options;
  let route: (socket: Socket) => void;
  /** The servers that never listen themselves: they get their connections from `outer`. */
  let inner: Server[];
  if (options.tls) {
    const secure = createSecureServer({ ...options.tls, allowHTTP1: true, settings: H2_SETTINGS });
    secure.on("request", onRequest).on("checkContinue", onRequest);
    secure.on("session", (session) => track(sessions, session));
    secure.on("secureConnection", (socket) => track(sockets, socket));
    route = (socket) => secure.emit("connection", socket);
    inner = [secure];
  } else {
    const http1 = createHttp1Server(onRequest);
    http1.on("checkContinue", onRequest);
    const http2 = createHttp2Server({ settings: H2_SETTINGS });
    http2.on("request", onRequest).on("checkContinue", onRequest);
    http2.on("session", (session) => track(sessions, session));
    route = (socket) => sniff(socket, (isHttp2) => (isHttp2 ? http2 : http1).emit("connection", socket));
    inner = [http1, http2];
  }

  const outer = createNetServer({ noDelay: true }, (socket) => {
    track(sockets, socket);
    route(socket);
  });
  await new Promise<void>((resolve, reject) => {
    outer.once("error", reject);
    outer.listen(options.port, options.host, () => {
      outer.off("error", reject);
      resolve();
    });
  });
  // http's servers (and http2's with allowHTTP1) start enforcing headersTimeout and
  // requestTimeout on "listening"; theirs is this one.
  for (const server of inner) server.emit("listening");

  return {
    port: (outer.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        outer.close(() => resolve());
        for (const server of inner) server.close();
        // Streams (WatchWorkflows, WatchHistory) stay open until their clients go; end them.
        for (const session of sessions) session.destroy();
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/**
 * Reads until the bytes either stop matching the HTTP/2 preface or are all of it, then hands
 * the socket on with those bytes put back: http2 reads what is buffered, http reads it once
 * the socket flows again.
 */
function sniff(socket: Socket, handOver: (isHttp2: boolean) => void): void {
  let seen: Buffer = Buffer.alloc(0);
  const stop = () => {
    socket.off("data", onData).off("error", onGone).off("end", onGone).off("timeout", onGone);
    socket.setTimeout(0);
  };
  const onData = (chunk: Buffer) => {
    seen = seen.length ? Buffer.concat([seen, chunk]) : chunk;
    const n = Math.min(seen.length, PREFACE.length);
    const isHttp2 = seen.subarray(0, n).equals(PREFACE.subarray(0, n));
    if (isHttp2 && seen.length < PREFACE.length) return;
    stop();
    socket.pause();
    socket.unshift(seen);
    handOver(isHttp2);
    if (!isHttp2) socket.resume();
  };
  // Before a server has it, nothing answers: a reset, a close or silence just ends it.
  const onGone = () => {
    stop();
    socket.destroy();
  };
  socket.on("data", onData).on("error", onGone).on("end", onGone).on("timeout", onGone);
  socket.setTimeout(SNIFF_TIMEOUT_MS);
}

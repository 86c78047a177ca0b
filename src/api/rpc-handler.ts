/**
 * Serves a ConnectRouter over node:http and node:http2, as connectNodeAdapter does, but first
 * settles what the headers alone settle (the token, the content type, the declared size), so
 * that a refused request's body is never read. A body is read up to a cap, and JSON strictly.
 * It speaks the three protocols of the router: Connect, gRPC and gRPC-Web; a refusal is
 * answered in the protocol of the request.
 */
import type { OutgoingHttpHeaders } from "node:http";
import { constants as h2 } from "node:http2";
import type { DescMethod, JsonValue } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { createAsyncIterable, type UniversalHandler } from "@connectrpc/connect/protocol";
import {
  codeToHttpStatus,
  codeToString,
  contentTypeStreamRegExp,
  contentTypeUnaryRegExp,
  parseContentType,
} from "@connectrpc/connect/protocol-connect";
import { parseContentType as parseGrpcContentType, setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import { parseContentType as parseGrpcWebContentType } from "@connectrpc/connect/protocol-grpc-web";
import { universalRequestFromNodeRequest, universalResponseToNodeResponse } from "@connectrpc/connect-node";
import { authProblem } from "./auth.ts";
import { bodyLimit, COMPRESSIONS, decompress, ENVELOPE_BYTES, readBody } from "./body.ts";
import { toConnectError, type ErrorReporter } from "./errors.ts";
import type { NodeRequest, NodeResponse, RequestListener } from "./listener.ts";
import { parseRequestJson } from "./strict-json.ts";

export interface RpcHandlerOptions {
  router: ConnectRouter;
  /** When set, mutating RPCs need it as a bearer token. */
  token: string | undefined;
  /** The NATS server's max_payload: no request needs to be much larger. */
  maxPayload: number;
  report: ErrorReporter;
  /** For requests that are not one of the router's procedures. */
  fallback(req: NodeRequest, res: NodeResponse): void;
}

/** How a call is framed, from its Content-Type: refusals are answered the same way. */
type Protocol = "connect" | "grpc" | "grpc-web";

function protocolOf(req: NodeRequest): Protocol {
  const contentType = req.headers["content-type"] ?? null;
  if (parseGrpcContentType(contentType)) return "grpc";
  // grpc-web-text (base64) is not one Connect speaks.
  if (parseGrpcWebContentType(contentType)?.text === false) return "grpc-web";
  return "connect";
}

/** A refusal with its own HTTP status, where the code's usual one would say less. */
class HttpRefusal extends ConnectError {
  readonly status: number;
  constructor(status: number, code: Code, message: string) {
    super(message, code);
    this.status = status;
  }
}

/**
 * Also meant as the server's "checkContinue" listener: a client that sent
 * `Expect: 100-continue` gets the go-ahead only when the headers pass.
 */
export function createRpcHandler(options: RpcHandlerOptions): RequestListener {
  const procedures = new Map(options.router.handlers.map((h) => [h.requestPath, h]));
  const limit = bodyLimit(options.maxPayload);
  const limitText = `at most ${limit} bytes (the NATS server's max_payload of ${options.maxPayload} plus ${ENVELOPE_BYTES / 1024} KiB)`;
  const advice = "send less, as arguments and payloads must fit in one NATS message";
  const tooLarge = (what: string) => new HttpRefusal(413, Code.ResourceExhausted, `${what}: this server accepts ${limitText}; ${advice}`);

  function checkHeaders(method: DescMethod, req: NodeRequest, protocol: Protocol): void {
    const unauthenticated = authProblem(method.name, req.headers.authorization, options.token);
    if (unauthenticated) throw new HttpRefusal(401, Code.Unauthenticated, unauthenticated);
    if (req.method === "POST" && protocol === "connect") checkContentType(method, req);
    if (req.method === "GET") checkEncodingParam(method, req);
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > limit) throw tooLarge(`the request body is ${declared} bytes, too large`);
  }

  /** A POST's body: parsed JSON for unary Connect JSON calls, else the bytes for Connect to parse. */
  async function readPost(method: DescMethod, req: NodeRequest, header: Headers, protocol: Protocol): Promise<JsonValue | AsyncIterable<Uint8Array>> {
    let bytes = await readBody(req, limit);
    if (!bytes) throw tooLarge("the request body is too large");
    if (protocol !== "connect") {
      await checkEnvelopedJson(method, bytes, header);
      return createAsyncIterable([bytes]);
    }
    if (method.methodKind !== "unary") return createAsyncIterable([bytes]);
    const compression = COMPRESSIONS.find((c) => c.name === header.get("content-encoding"));
    if (compression) {
      bytes = await decompress(bytes, compression, limit);
      if (!bytes) throw tooLarge("the request body is too large once decompressed");
      header.delete("content-encoding");
    }
    if (parseContentType(header.get("content-type"))?.binary) return createAsyncIterable([bytes]);
    return parseRequestJson(new TextDecoder().decode(bytes), method.input);
  }

  /**
   * gRPC's JSON flavour (application/grpc+json, application/grpc-web+json) is held to the
   * same rules: its one message is checked here, then Connect reads the bytes as they came.
   */
  async function checkEnvelopedJson(method: DescMethod, bytes: Uint8Array, header: Headers): Promise<void> {
    const contentType = header.get("content-type");
    const binary = parseGrpcContentType(contentType)?.binary ?? parseGrpcWebContentType(contentType)?.binary ?? true;
    if (binary || bytes.length < 5) return;
    const flags = bytes[0];
    const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(1);
    // Not one whole message: Connect says what is wrong with it.
    if ((flags & ~1) !== 0 || 5 + length !== bytes.length) return;
    let message: Uint8Array | undefined = bytes.subarray(5);
    if (flags & 1) {
      const compression = COMPRESSIONS.find((c) => c.name === header.get("grpc-encoding"));
      if (!compression) return;
      message = await decompress(message, compression, limit);
      if (!message) throw tooLarge("the request message is too large once decompressed");
    }
    parseRequestJson(new TextDecoder().decode(message), method.input);
  }

  async function serve(procedure: UniversalHandler, req: NodeRequest, res: NodeResponse): Promise<void> {
    const protocol = protocolOf(req);
    try {
      checkHeaders(procedure.method, req, protocol);
      if (req.method === "GET") checkGetMessage(procedure.method, req);
      if (expectsContinue(req)) res.writeContinue();
      const uReq = universalRequestFromNodeRequest(req, res, undefined, undefined);
      const body = req.method === "POST" ? await readPost(procedure.method, req, uReq.header, protocol) : uReq.body;
      const uRes = await procedure({ ...uReq, body });
      await universalResponseToNodeResponse(uRes, res).catch((err: unknown) => {
        if (ConnectError.from(err).code !== Code.Aborted) options.report(err);
      });
    } catch (err) {
      if (isGone(req, res)) return;
      const error = toConnectError(err, options.report);
      answerError(req, res, err instanceof HttpRefusal ? err.status : codeToHttpStatus(error.code), error);
    }
  }

  return (req, res) => {
    const procedure = procedures.get((req.url ?? "").split("?", 1)[0]);
    if (procedure) {
      void serve(procedure, req, res);
      return;
    }
    if (expectsContinue(req)) res.writeContinue();
    options.fallback(req, res);
  };
}

function isGone(req: NodeRequest, res: NodeResponse): boolean {
  if ("stream" in req) return req.stream.destroyed || req.stream.closed;
  return (res as { destroyed?: boolean }).destroyed === true || req.socket.destroyed;
}

function expectsContinue(req: NodeRequest): boolean {
  return req.headers.expect?.toLowerCase() === "100-continue";
}

/** For the Connect protocol: gRPC and gRPC-Web calls are known by their types (see protocolOf). */
function checkContentType(method: DescMethod, req: NodeRequest): void {
  const contentType = req.headers["content-type"];
  const unary = method.methodKind === "unary";
  if ((unary ? contentTypeUnaryRegExp : contentTypeStreamRegExp).test(contentType ?? "")) {
    const encoding = req.headers["content-encoding"];
    if (!unary || !encoding || encoding === "identity" || COMPRESSIONS.some((c) => c.name === encoding)) return;
    const known = COMPRESSIONS.map((c) => c.name).join(" or ");
    throw new HttpRefusal(415, Code.Unimplemented, `Content-Encoding "${encoding}" is not accepted; send the body as it is or with ${known}`);
  }
  const sent = contentType === undefined ? "no Content-Type" : `Content-Type ${JSON.stringify(contentType)}`;
  const accepted =
    (unary
      ? "application/json or application/proto (the Connect protocol)"
      : "application/connect+json or application/connect+proto (the Connect protocol for streaming calls)") +
    ", application/grpc (gRPC, over HTTP/2) or application/grpc-web (gRPC-Web), each also as +proto or +json";
  throw new HttpRefusal(415, Code.InvalidArgument, `${method.name} was sent ${sent}; it accepts ${accepted}`);
}

const readOnly = (method: DescMethod) => method.methodKind === "unary" && method.idempotency === MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS;

/** Connect's GET form: ?encoding=json|proto&message=…; other methods Connect refuses itself. */
function checkEncodingParam(method: DescMethod, req: NodeRequest): void {
  if (!readOnly(method)) return;
  const encoding = queryOf(req).get("encoding");
  if (encoding === "json" || encoding === "proto") return;
  const sent = encoding === null ? "no encoding parameter" : `encoding=${encoding}`;
  throw new HttpRefusal(415, Code.InvalidArgument, `${method.name} was sent with ${sent}; a GET takes encoding=json or encoding=proto (the Connect protocol)`);
}

/** The JSON of a GET is held to the same rules as a POST's; Connect then reads it itself. */
function checkGetMessage(method: DescMethod, req: NodeRequest): void {
  const query = queryOf(req);
  if (!readOnly(method) || query.get("encoding") !== "json" || query.has("compression")) return;
  const message = query.get("message") ?? "";
  parseRequestJson(query.get("base64") === "1" ? Buffer.from(message, "base64url").toString("utf8") : message, method.input);
}

function queryOf(req: NodeRequest): URLSearchParams {
  return new URL(req.url ?? "/", "http://localhost").searchParams;
}

/**
 * Answers a call that will not be served, in its own protocol: Connect with the HTTP status and
 * a JSON error; gRPC and gRPC-Web with 200 and the status in the headers ("Trailers-Only").
 * Over HTTP/1.1, a request whose body is still coming gets its connection closed; over HTTP/2,
 * just its stream, once the answer is out.
 */
export function answerError(req: NodeRequest, res: NodeResponse, status: number, error: ConnectError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const protocol = protocolOf(req);
  const headers: OutgoingHttpHeaders = {};
  let body = "";
  if (protocol === "connect") {
    body = JSON.stringify({ code: codeToString(error.code), message: error.rawMessage });
    headers["content-type"] = "application/json";
  } else {
    status = 200;
    headers["content-type"] = req.headers["content-type"];
    setTrailerStatus(new Headers(), error).forEach((value, key) => (headers[key] = value));
  }
  headers["content-length"] = Buffer.byteLength(body);
  if ("stream" in req) {
    // What Node does itself for a request it never read, also for one it stopped reading:
    // RST_STREAM NO_ERROR once the answer is out, "send no more".
    const { stream } = req;
    stream.once("finish", () => setImmediate(() => stream.closed || stream.close(h2.NGHTTP2_NO_ERROR)));
  } else {
    // Else Node would read the rest of the body, however long, to keep the connection.
    const hasBody = req.headers["transfer-encoding"] !== undefined || Number(req.headers["content-length"] ?? 0) > 0;
    if (hasBody && !req.complete) headers.connection = "close";
  }
  // Set, not passed to writeHead: an HTTP/2 answer without a body then ends in its HEADERS frame.
  res.statusCode = status;
  for (const [key, value] of Object.entries(headers)) if (value !== undefined) res.setHeader(key, value);
  if (body) res.end(body);
  else res.end();
}

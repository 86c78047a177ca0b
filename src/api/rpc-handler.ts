/**
 * Serves a ConnectRouter over node:http, as connectNodeAdapter does, but first settles what
 * the headers alone settle (the token, the content type, the declared size), so that a
 * refused request's body is never read. A body is read up to a cap, and unary JSON strictly.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
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
import { universalRequestFromNodeRequest, universalResponseToNodeResponse } from "@connectrpc/connect-node";
import { authProblem } from "./auth.ts";
import { bodyLimit, COMPRESSIONS, decompress, ENVELOPE_BYTES, readBody } from "./body.ts";
import { toConnectError, type ErrorReporter } from "./errors.ts";
import { parseRequestJson } from "./strict-json.ts";

export interface RpcHandlerOptions {
  router: ConnectRouter;
  /** When set, mutating RPCs need it as a bearer token. */
  token: string | undefined;
  /** The NATS server's max_payload: no request needs to be much larger. */
  maxPayload: number;
  report: ErrorReporter;
  /** For requests that are not one of the router's procedures. */
  fallback(req: IncomingMessage, res: ServerResponse): void;
}

export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => void;

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
export function createRpcHandler(options: RpcHandlerOptions): NodeHandler {
  const procedures = new Map(options.router.handlers.map((h) => [h.requestPath, h]));
  const limit = bodyLimit(options.maxPayload);
  const limitText = `at most ${limit} bytes (the NATS server's max_payload of ${options.maxPayload} plus ${ENVELOPE_BYTES / 1024} KiB)`;
  const advice = "send less, as arguments and payloads must fit in one NATS message";
  const tooLarge = (what: string) => new HttpRefusal(413, Code.ResourceExhausted, `${what}: this server accepts ${limitText}; ${advice}`);

  function checkHeaders(method: DescMethod, req: IncomingMessage): void {
    const unauthenticated = authProblem(method.name, req.headers.authorization, options.token);
    if (unauthenticated) throw new HttpRefusal(401, Code.Unauthenticated, unauthenticated);
    if (req.method === "POST") checkContentType(method, req);
    if (req.method === "GET") checkEncodingParam(method, req);
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > limit) throw tooLarge(`the request body is ${declared} bytes, too large`);
  }

  /** A POST's body: parsed JSON for unary JSON calls, else the bytes for Connect to parse. */
  async function readPost(method: DescMethod, req: IncomingMessage, header: Headers): Promise<JsonValue | AsyncIterable<Uint8Array>> {
    let bytes = await readBody(req, limit);
    if (!bytes) throw tooLarge("the request body is too large");
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

  async function serve(procedure: UniversalHandler, req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      checkHeaders(procedure.method, req);
      if (req.method === "GET") checkGetMessage(procedure.method, req);
      if (expectsContinue(req)) res.writeContinue();
      const uReq = universalRequestFromNodeRequest(req, res, undefined, undefined);
      const body = req.method === "POST" ? await readPost(procedure.method, req, uReq.header) : uReq.body;
      const uRes = await procedure({ ...uReq, body });
      await universalResponseToNodeResponse(uRes, res).catch((err: unknown) => {
        if (ConnectError.from(err).code !== Code.Aborted) options.report(err);
      });
    } catch (err) {
      if (res.destroyed || req.socket.destroyed) return; // the client is gone
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

function expectsContinue(req: IncomingMessage): boolean {
  return req.headers.expect?.toLowerCase() === "100-continue";
}

function checkContentType(method: DescMethod, req: IncomingMessage): void {
  const contentType = req.headers["content-type"];
  const unary = method.methodKind === "unary";
  if ((unary ? contentTypeUnaryRegExp : contentTypeStreamRegExp).test(contentType ?? "")) {
    const encoding = req.headers["content-encoding"];
    if (!unary || !encoding || encoding === "identity" || COMPRESSIONS.some((c) => c.name === encoding)) return;
    const known = COMPRESSIONS.map((c) => c.name).join(" or ");
    throw new HttpRefusal(415, Code.Unimplemented, `Content-Encoding "${encoding}" is not accepted; send the body as it is or with ${known}`);
  }
  const sent = contentType === undefined ? "no Content-Type" : `Content-Type ${JSON.stringify(contentType)}`;
  const accepted = unary
    ? "application/json or application/proto (the Connect protocol)"
    : "application/connect+json or application/connect+proto (the Connect protocol for streaming calls)";
  throw new HttpRefusal(415, Code.InvalidArgument, `${method.name} was sent ${sent}; it accepts ${accepted}`);
}

const readOnly = (method: DescMethod) => method.methodKind === "unary" && method.idempotency === MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS;

/** Connect's GET form: ?encoding=json|proto&message=…; other methods Connect refuses itself. */
function checkEncodingParam(method: DescMethod, req: IncomingMessage): void {
  if (!readOnly(method)) return;
  const encoding = queryOf(req).get("encoding");
  if (encoding === "json" || encoding === "proto") return;
  const sent = encoding === null ? "no encoding parameter" : `encoding=${encoding}`;
  throw new HttpRefusal(415, Code.InvalidArgument, `${method.name} was sent with ${sent}; a GET takes encoding=json or encoding=proto (the Connect protocol)`);
}

/** The JSON of a GET is held to the same rules as a POST's; Connect then reads it itself. */
function checkGetMessage(method: DescMethod, req: IncomingMessage): void {
  const query = queryOf(req);
  if (!readOnly(method) || query.get("encoding") !== "json" || query.has("compression")) return;
  const message = query.get("message") ?? "";
  parseRequestJson(query.get("base64") === "1" ? Buffer.from(message, "base64url").toString("utf8") : message, method.input);
}

function queryOf(req: IncomingMessage): URLSearchParams {
  return new URL(req.url ?? "/", "http://localhost").searchParams;
}

function answerError(req: IncomingMessage, res: ServerResponse, status: number, error: ConnectError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ code: codeToString(error.code), message: error.rawMessage });
  const headers: OutgoingHttpHeaders = { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) };
  // Else Node would read the rest of the body, however long, to keep the connection.
  const hasBody = req.headers["transfer-encoding"] !== undefined || Number(req.headers["content-length"] ?? 0) > 0;
  if (hasBody && !req.complete) headers.Connection = "close";
  res.writeHead(status, headers).end(body);
}

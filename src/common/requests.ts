/**
 * Queries and updates: a client asks the workers of the workflow's type (core request/reply on
 * `dfut.request.<queue>.<type>`, one worker of the queue group answers) and waits for the answer.
 * Nothing of a query is recorded; an update is recorded once accepted.
 */
import type { ErrorInfo } from "./events.ts";
import { decodeShaped, type Decoded, type Shape } from "./shape.ts";

export type WorkflowRequest =
  | { kind: "query"; workflowId: string; name: string; args: unknown[] }
  | { kind: "update"; workflowId: string; name: string; args: unknown[]; updateId: string };

export type RequestReply =
  /** A query's answer. */
  | { kind: "answer"; result: unknown }
  /** The update is recorded; its outcome follows as an UpdateCompleted. */
  | { kind: "accepted" }
  /** The update had completed already (the same id sent again). */
  | { kind: "completed"; result?: unknown; error?: ErrorInfo }
  /** Refused or failed: a query's handler threw, an update's validator refused, no such handler. */
  | { kind: "refused"; error: ErrorInfo; code?: "not_found" };

const REQUEST: Shape = { kind: "string", workflowId: "string", name: "string", args: "array", updateId: "string?" };
const REPLY: Shape = { kind: "string", result: "json?", error: "error?", code: "string?" };

export function decodeRequest(data: Uint8Array): Decoded<WorkflowRequest> {
  const decoded = decodeShaped<WorkflowRequest>(data, REQUEST);
  if (decoded.ok && decoded.value.kind !== "query" && !(decoded.value.kind === "update" && decoded.value.updateId)) {
    return { ok: false, problem: `it is a request of kind ${JSON.stringify(decoded.value.kind)}, not a query or an update with an updateId` };
  }
  return decoded;
}

export function decodeReply(data: Uint8Array): Decoded<RequestReply> {
  return decodeShaped<RequestReply>(data, REPLY);
}

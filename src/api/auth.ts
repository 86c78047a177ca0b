/** Who may call what: reads are open, mutations need the bearer token when one is set. */
import { timingSafeEqual, createHash } from "node:crypto";
import { WorkflowService } from "./gen/dfut/v1/workflow_pb.ts";

const MUTATING = new Set<string>([
  WorkflowService.method.startWorkflow.name,
  WorkflowService.method.signalWorkflow.name,
  WorkflowService.method.cancelWorkflow.name,
  WorkflowService.method.terminateWorkflow.name,
  WorkflowService.method.updateWorkflow.name,
  WorkflowService.method.resetWorkflow.name,
  // A dry run too: the method alone decides, before the body is read.
  WorkflowService.method.bulkOperation.name,
  WorkflowService.method.createSchedule.name,
  WorkflowService.method.pauseSchedule.name,
  WorkflowService.method.resumeSchedule.name,
  WorkflowService.method.triggerSchedule.name,
  WorkflowService.method.deleteSchedule.name,
]);

export function isMutating(methodName: string): boolean {
  return MUTATING.has(methodName);
}

function digest(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}

/** Compares in constant time (over digests, so lengths do not leak either). */
export function tokenMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? "");
  return m !== null && timingSafeEqual(digest(m[1].trim()), digest(token));
}

/**
 * Why a call may not go ahead, from its `Authorization` header alone, or undefined when it
 * may: a mutating RPC needs `Authorization: Bearer <token>` when the server has a token.
 */
export function authProblem(methodName: string, authorization: string | undefined, token: string | undefined): string | undefined {
  if (!token || !isMutating(methodName) || tokenMatches(authorization, token)) return undefined;
  return `${methodName} needs "Authorization: Bearer <token>" with the token dfut server was started with`;
}

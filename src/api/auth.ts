/** Who may call what: reads are open, mutations need the bearer token when one is set. */
import { timingSafeEqual, createHash } from "node:crypto";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { WorkflowService } from "./gen/dfut/v1/workflow_pb.ts";

const MUTATING = new Set<string>([
  WorkflowService.method.startWorkflow.name,
  WorkflowService.method.signalWorkflow.name,
  WorkflowService.method.cancelWorkflow.name,
]);

export function isMutating(methodName: string): boolean {
  return MUTATING.has(methodName);
}

function digest(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}

/** Compares in constant time (over digests, so lengths do not leak either). */
export function tokenMatches(header: string | null, token: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? "");
  return m !== null && timingSafeEqual(digest(m[1].trim()), digest(token));
}

/** Refuses mutating RPCs that lack `Authorization: Bearer <token>`. */
export function bearerAuth(token: string): Interceptor {
  return (next) => async (req) => {
    if (isMutating(req.method.name) && !tokenMatches(req.header.get("authorization"), token)) {
      throw new ConnectError(
        `${req.method.name} needs "Authorization: Bearer <token>" with the token dfut server was started with`,
        Code.Unauthenticated,
      );
    }
    return next(req);
  };
}

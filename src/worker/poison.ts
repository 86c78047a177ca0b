import type { JsMsg } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import { setProblem } from "../common/executions.ts";
import type { Logger } from "../common/logger.ts";

/**
 * A task or timer message that cannot be decoded would fail the same way on every delivery:
 * it is terminated (never redelivered), logged, and noted on its workflow when the workflow is
 * known, so one bad message costs nothing to the work around it.
 */
export async function setAside(
  msg: JsMsg,
  what: string,
  problem: string,
  context: { logger: Logger; executions: KV; workflowId?: string },
): Promise<void> {
  const where = `${what} message seq ${msg.seq} on ${msg.subject}`;
  context.logger.error(`${where} cannot be decoded (${problem}); set aside`, context.workflowId ? { workflowId: context.workflowId } : undefined);
  msg.term();
  if (context.workflowId) await setProblem(context.executions, context.workflowId, `${where} cannot be decoded: ${problem}`);
}

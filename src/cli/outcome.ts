/** How a closed workflow ended, for `start --wait` and `result`. */
import type { DfutClient } from "../client/client.ts";
import { WorkflowCanceledError, WorkflowFailedError } from "../common/errors.ts";
import type { ErrorInfo } from "../common/events.ts";
import { ExitCode } from "./errors.ts";
import { printJson, printLine } from "./output.ts";

export type Outcome =
  | { workflowId: string; status: "completed"; result: unknown }
  | { workflowId: string; status: "failed"; error: ErrorInfo }
  | { workflowId: string; status: "canceled"; reason: string };

export async function awaitOutcome(client: DfutClient, workflowId: string): Promise<Outcome> {
  try {
    return { workflowId, status: "completed", result: await client.result(workflowId) };
  } catch (err) {
    if (err instanceof WorkflowFailedError) return { workflowId, status: "failed", error: err.failure };
    if (err instanceof WorkflowCanceledError) return { workflowId, status: "canceled", reason: err.reason };
    throw err;
  }
}

/** Prints the result (JSON) or says why there is none; exits non-zero unless it completed. */
export function printOutcome(outcome: Outcome, json: boolean): void {
  if (json) {
    const { error, ...rest } = outcome as Outcome & { error?: ErrorInfo };
    printJson(error ? { ...rest, error: { name: error.name, message: error.message } } : rest);
  } else if (outcome.status === "completed") {
    printLine(JSON.stringify(outcome.result ?? null));
  } else if (outcome.status === "failed") {
    console.error(`dfut: workflow ${outcome.workflowId} failed: ${outcome.error.name}: ${outcome.error.message.split("\n")[0]}`);
  } else {
    console.error(`dfut: workflow ${outcome.workflowId} was canceled${outcome.reason ? `: ${outcome.reason}` : ""}`);
  }
  if (outcome.status !== "completed") throw new ExitCode(1);
}

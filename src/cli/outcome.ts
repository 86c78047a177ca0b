/** How a closed workflow ended, for `start --wait` and `result`. */
import type { DfutClient } from "../client/client.ts";
import { WorkflowCanceledError, WorkflowFailedError, WorkflowTerminatedError } from "../common/errors.ts";
import type { ErrorInfo } from "../common/events.ts";
import { ExitCode } from "./errors.ts";
import { printJson, printLine } from "./output.ts";

export type Outcome =
  | { workflowId: string; status: "completed"; result: unknown }
  | { workflowId: string; status: "failed"; error: ErrorInfo }
  | { workflowId: string; status: "canceled"; reason: string }
  | { workflowId: string; status: "terminated"; reason: string };

/** Waits for the workflow to close, saying on stderr why it is not progressing whenever that changes. */
export async function awaitOutcome(client: DfutClient, workflowId: string): Promise<Outcome> {
  const onProblem = (problem: string | undefined) => {
    if (problem) console.error(`dfut: workflow ${workflowId} is not progressing: ${problem}`);
    else console.error(`dfut: workflow ${workflowId} is progressing again`);
  };
  let stuck = false;
  try {
    const result = await client.result(workflowId, {
      onProblem: (problem) => {
        // Say "progressing again" only after something was wrong.
        if (problem || stuck) onProblem(problem);
        stuck = problem !== undefined;
      },
    });
    return { workflowId, status: "completed", result };
  } catch (err) {
    if (err instanceof WorkflowFailedError) return { workflowId, status: "failed", error: err.failure };
    if (err instanceof WorkflowCanceledError) return { workflowId, status: "canceled", reason: err.reason };
    if (err instanceof WorkflowTerminatedError) return { workflowId, status: "terminated", reason: err.reason };
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
    console.error(`dfut: workflow ${outcome.workflowId} was ${outcome.status}${outcome.reason ? `: ${outcome.reason}` : ""}`);
  }
  if (outcome.status !== "completed") throw new ExitCode(1);
}

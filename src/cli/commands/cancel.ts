import type { Command } from "commander";
import type { GlobalOptions } from "../globals.ts";
import { printLine } from "../output.ts";
import { withClient } from "../session.ts";

interface CancelOptions extends GlobalOptions {
  reason?: string;
}

export function cancelCommand(program: Command): void {
  program
    .command("cancel")
    .description("ask a running workflow to cancel")
    .argument("<workflowId>", "the workflow's id")
    .option("--reason <text>", "why, recorded in the history")
    .action(async (workflowId: string, _options: CancelOptions, command: Command) => {
      const options = command.optsWithGlobals<CancelOptions>();
      await withClient(options, async (client) => {
        const outcome = await client.cancel(workflowId, options.reason);
        printLine(
          outcome === "canceled"
            ? `${workflowId} canceled (no worker had run it, and none that can is running)`
            : `cancellation of ${workflowId} requested`,
        );
      });
    });
}

import type { Command } from "commander";
import { addSelectionOptions, idOrSelection, runSelection, type SelectionOptions } from "../bulk.ts";
import type { GlobalOptions } from "../globals.ts";
import { printLine } from "../output.ts";
import { withClient } from "../session.ts";

interface CancelOptions extends GlobalOptions, SelectionOptions {
  reason?: string;
}

export function cancelCommand(program: Command): void {
  addSelectionOptions(
    program
      .command("cancel")
      .description("ask a running workflow (or every one a selection matches) to cancel")
      .argument("[workflowId]", "the workflow's id")
      .option("--reason <text>", "why, recorded in the history"),
  )
    .addHelpText("after", "\nExamples:\n  dfut cancel order-7 --reason 'customer withdrew'\n  dfut cancel --type OrderWorkflow --status running --yes")
    .action(async (id: string | undefined, _options: CancelOptions, command: Command) => {
      const options = command.optsWithGlobals<CancelOptions>();
      const { workflowId, selection } = idOrSelection(id, options, "cancel");
      await withClient(options, async (client) => {
        if (selection) return runSelection(client, selection, options, "cancel", (wf) => client.cancel(wf, options.reason));
        const outcome = await client.cancel(workflowId!, options.reason);
        printLine(
          outcome === "canceled"
            ? `${workflowId} canceled (no worker had run it, and none that can is running)`
            : `cancellation of ${workflowId} requested`,
        );
      });
    });
}

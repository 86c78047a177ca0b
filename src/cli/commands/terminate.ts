import type { Command } from "commander";
import { addSelectionOptions, idOrSelection, runSelection, type SelectionOptions } from "../bulk.ts";
import type { GlobalOptions } from "../globals.ts";
import { printLine } from "../output.ts";
import { withClient } from "../session.ts";

interface TerminateOptions extends GlobalOptions, SelectionOptions {
  reason?: string;
}

export function terminateCommand(program: Command): void {
  addSelectionOptions(
    program
      .command("terminate")
      .description("end a running workflow (or every one a selection matches) now, without running any of its code")
      .argument("[workflowId]", "the workflow's id")
      .option("--reason <text>", "why, recorded in the history"),
  )
    .addHelpText("after", "\nExamples:\n  dfut terminate order-7 --reason stuck\n  dfut terminate --query load-test- --yes")
    .action(async (id: string | undefined, _options: TerminateOptions, command: Command) => {
      const options = command.optsWithGlobals<TerminateOptions>();
      const { workflowId, selection } = idOrSelection(id, options, "terminate");
      await withClient(options, async (client) => {
        if (selection) return runSelection(client, selection, options, "terminate", (wf) => client.terminate(wf, options.reason));
        await client.terminate(workflowId!, options.reason);
        printLine(`${workflowId} terminated`);
      });
    });
}

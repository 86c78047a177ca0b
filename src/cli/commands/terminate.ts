import type { Command } from "commander";
import type { GlobalOptions } from "../globals.ts";
import { printLine } from "../output.ts";
import { withClient } from "../session.ts";

interface TerminateOptions extends GlobalOptions {
  reason?: string;
}

export function terminateCommand(program: Command): void {
  program
    .command("terminate")
    .description("end a running workflow now, without running any of its code (for stuck workflows)")
    .argument("<workflowId>", "the workflow's id")
    .option("--reason <text>", "why, recorded in the history")
    .action(async (workflowId: string, _options: TerminateOptions, command: Command) => {
      const options = command.optsWithGlobals<TerminateOptions>();
      await withClient(options, async (client) => {
        await client.terminate(workflowId, options.reason);
        printLine(`${workflowId} terminated`);
      });
    });
}

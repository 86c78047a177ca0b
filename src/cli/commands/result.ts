import type { Command } from "commander";
import { DfutError } from "../../common/errors.ts";
import { isFinalClose } from "../../common/events.ts";
import { outputOption, type GlobalOptions, type OutputFormat } from "../globals.ts";
import { awaitOutcome, printOutcome } from "../outcome.ts";
import { withClient } from "../session.ts";

interface ResultOptions extends GlobalOptions {
  output: OutputFormat;
  wait: boolean;
}

export function resultCommand(program: Command): void {
  program
    .command("result")
    .description("print a workflow's result as JSON, waiting for it to close; exit non-zero if it failed")
    .argument("<workflowId>", "the workflow's id")
    .option("--no-wait", "do not wait: exit with an error when the workflow is still running")
    .addOption(outputOption())
    .action(async (workflowId: string, _options: ResultOptions, command: Command) => {
      const options = command.optsWithGlobals<ResultOptions>();
      await withClient(options, async (client) => {
        const history = await client.history(workflowId);
        if (!options.wait && !isFinalClose(history.at(-1)!)) {
          throw new DfutError("failed_precondition", `workflow ${workflowId} is still running; leave out --no-wait to wait for it`);
        }
        printOutcome(await awaitOutcome(client, workflowId), options.output === "json");
      });
    });
}

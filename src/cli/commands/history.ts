import type { Command } from "commander";
import { isFinalClose } from "../../common/events.ts";
import { outputOption, type GlobalOptions, type OutputFormat } from "../globals.ts";
import { HistoryView } from "../history-view.ts";
import { printJson, printLine } from "../output.ts";
import { withClient } from "../session.ts";

interface HistoryOptions extends GlobalOptions {
  output: OutputFormat;
  follow?: boolean;
  run?: string;
}

export function historyCommand(program: Command): void {
  program
    .command("history")
    .description("show a workflow's event log")
    .argument("<workflowId>", "the workflow's id")
    .option("-f, --follow", "keep printing new events until the workflow closes (through the runs it continues as new)")
    .option("--run <runId>", "an earlier run of the workflow ('dfut describe' lists them) instead of the current one")
    .addOption(outputOption())
    .addHelpText(
      "after",
      "\nA workflow that continued as new, or whose id started again, has one history per run; this shows the current run's." +
        "\nWith -o json: a JSON array of events, or one event per line with --follow.",
    )
    .action(async (workflowId: string, _options: HistoryOptions, command: Command) => {
      const options = command.optsWithGlobals<HistoryOptions>();
      await withClient(options, async (client) => {
        const events = await client.history(workflowId, { runId: options.run });
        const json = options.output === "json";
        const view = new HistoryView();
        if (!options.follow) {
          if (json) printJson(events);
          else printLine(view.table(events));
          return;
        }
        if (json) for (const event of events) printJson(event, false);
        else {
          printLine(view.header());
          for (const event of events) printLine(view.line(event));
        }
        const last = events.at(-1)!;
        // An earlier run that ended: following it would print the runs after it.
        if (isFinalClose(last) || (options.run !== undefined && last.type === "WorkflowContinuedAsNew")) return;
        const { followHistory } = await import("../follow.ts");
        await followHistory(client, workflowId, last.seq, (event) => {
          if (json) printJson(event, false);
          else printLine(view.line(event));
        });
      });
    });
}

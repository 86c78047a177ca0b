import type { Command } from "commander";
import { addSelectionOptions, idOrSelection, runSelection, type SelectionOptions } from "../bulk.ts";
import { UsageError } from "../errors.ts";
import { outputOption, type GlobalOptions, type OutputFormat } from "../globals.ts";
import { printJson, printLine } from "../output.ts";
import { withClient } from "../session.ts";

interface ResetCliOptions extends GlobalOptions, SelectionOptions {
  to: string;
  run?: string;
  reason?: string;
  output: OutputFormat;
}

export function resetCommand(program: Command): void {
  addSelectionOptions(
    program
      .command("reset")
      .description("start a new run whose history is this run's up to an event, so the workflow goes on from there with the code deployed now")
      .argument("[workflowId]", "the workflow's id")
      .requiredOption("--to <event>", "the last event to keep: its seq (see 'dfut history'), or last-workflow-task (before the first failed task or the close)")
      .option("--run <runId>", "reset from an earlier run than the current one")
      .option("--reason <text>", "why, recorded in the new run's start")
      .addOption(outputOption()),
  )
    .addHelpText("after", "\nExamples:\n  dfut reset order-7 --to last-workflow-task --reason 'fixed the bug'\n  dfut reset order-7 --to 12\n  dfut reset --type OrderWorkflow --status failed --to last-workflow-task --yes")
    .action(async (id: string | undefined, _options: ResetCliOptions, command: Command) => {
      const options = command.optsWithGlobals<ResetCliOptions>();
      const to = options.to === "last-workflow-task" ? "last-workflow-task" : Number(options.to);
      if (to !== "last-workflow-task" && !Number.isSafeInteger(to)) {
        throw new UsageError(`--to must be an event's seq or last-workflow-task, not ${JSON.stringify(options.to)}`);
      }
      const { workflowId, selection } = idOrSelection(id, options, "reset");
      if (selection && to !== "last-workflow-task") throw new UsageError("a selection resets each workflow to its own point: use --to last-workflow-task");
      if (selection && options.run) throw new UsageError("--run names a run of one workflow: give its id instead of a selection");
      await withClient(options, async (client) => {
        if (selection) return runSelection(client, selection, options, "reset", (wf) => client.reset(wf, { to, reason: options.reason }));
        const reset = await client.reset(workflowId!, { to, runId: options.run, reason: options.reason });
        if (options.output === "json") return printJson({ workflowId, ...reset });
        printLine(`${workflowId}: run ${reset.runId} goes on from run ${reset.fromRunId} after event ${reset.toSeq}`);
      });
    });
}

import { Option, type Command } from "commander";
import type { IdReusePolicy } from "../../common/events.ts";
import { ID_REUSE_POLICIES } from "../../common/runs.ts";
import { DEFAULT_QUEUE } from "../../common/names.ts";
import { checkWorkflowType, type TypeCheckHints } from "../../common/type-check.ts";
import { parseArg, parseInput } from "../args.ts";
import { UsageError } from "../errors.ts";
import { outputOption, type GlobalOptions, type OutputFormat } from "../globals.ts";
import { printJson, printLine } from "../output.ts";
import { withClient } from "../session.ts";
import { awaitOutcome, printOutcome } from "../outcome.ts";

interface StartCliOptions extends GlobalOptions {
  id?: string;
  queue: string;
  input?: string;
  wait?: boolean;
  typeCheck: boolean;
  idReuse: IdReusePolicy;
  output: OutputFormat;
}

const CLI_HINTS: TypeCheckHints = {
  useQueue: (queue) => `pass --queue ${queue}`,
  skip: "pass --no-type-check",
};

export function startCommand(program: Command): void {
  program
    .command("start")
    .description("start a workflow and print its id")
    .argument("<workflowType>", "the workflow's name, e.g. OrderWorkflow")
    .argument("[args...]", "its arguments: each is JSON where it parses (1000, true, {\"a\":1}), else a string")
    .option("--id <workflowId>", "the workflow's id (default: the type and a random suffix)")
    .option("--queue <queue>", "task queue", DEFAULT_QUEUE)
    .option("--input <json>", "all arguments as one JSON array, instead of [args...]")
    .option("--wait", "wait for the workflow to close and print its result; exit non-zero if it failed")
    .option("--no-type-check", "start even when no running worker has registered the workflow type")
    .addOption(
      new Option("--id-reuse <policy>", "whether an --id whose last run closed may start again: allow, failed-only (not after it completed) or reject")
        .choices([...ID_REUSE_POLICIES])
        .default("allow"),
    )
    .addOption(outputOption())
    .addHelpText("after", "\nExample:\n  dfut start OrderWorkflow Bob widget-1000 1000 2 --wait")
    .action(async (workflowType: string, rawArgs: string[], _options: StartCliOptions, command: Command) => {
      const options = command.optsWithGlobals<StartCliOptions>();
      if (options.input !== undefined && rawArgs.length > 0) {
        throw new UsageError("pass the arguments either after the workflow type or with --input, not both");
      }
      const args = options.input !== undefined ? parseInput(options.input) : rawArgs.map((a, i) => parseArg(a, `argument ${i + 1}`));
      await withClient(options, async (client) => {
        if (options.typeCheck) await checkWorkflowType(client, workflowType, options.queue, CLI_HINTS);
        const handle = await client.start(workflowType, { args, workflowId: options.id, queue: options.queue, idReuse: options.idReuse });
        const json = options.output === "json";
        if (!options.wait) {
          if (json) printJson({ workflowId: handle.workflowId, runId: handle.runId });
          else printLine(handle.workflowId);
          return;
        }
        if (!json) printLine(handle.workflowId);
        printOutcome(await awaitOutcome(client, handle.workflowId), json);
      });
    });
}

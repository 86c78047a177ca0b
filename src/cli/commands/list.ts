import { Option, type Command } from "commander";
import type { WorkflowStatus } from "../../common/events.ts";
import { formatDateTime, shorten } from "../../tui/format.ts";
import { parsePositiveInt } from "../args.ts";
import { outputOption, type GlobalOptions, type OutputFormat } from "../globals.ts";
import { printJson, printLine, table } from "../output.ts";
import { withClient } from "../session.ts";

interface ListOptions extends GlobalOptions {
  status?: WorkflowStatus;
  type?: string;
  prefix?: string;
  limit: number;
  output: OutputFormat;
}

export function listCommand(program: Command): void {
  program
    .command("list")
    .description("list workflow executions, newest first")
    .addOption(new Option("--status <status>", "only executions with this status").choices(["running", "completed", "failed", "canceled", "terminated"]))
    .option("--type <workflowType>", "only executions of this workflow type")
    .option("--prefix <idPrefix>", "only executions whose id starts with this (a batch's children: --prefix nightly-)")
    .option("--limit <n>", "at most this many", parsePositiveInt("--limit"), 50)
    .addOption(outputOption())
    .action(async (_options: ListOptions, command: Command) => {
      const options = command.optsWithGlobals<ListOptions>();
      await withClient(options, async (client) => {
        const records = await client.list({ status: options.status, workflowType: options.type, idPrefix: options.prefix, limit: options.limit });
        if (options.output === "json") return printJson(records);
        if (records.length === 0) return printLine("no workflow executions");
        const t = table(["workflow id", "type", "status", "started", "closed", "problem"]);
        for (const r of records) {
          t.push([r.workflowId, r.workflowType ?? "", r.status, formatDateTime(r.startedAt), formatDateTime(r.closedAt), shorten(r.problem ?? "", 40)]);
        }
        printLine(t.toString());
      });
    });
}

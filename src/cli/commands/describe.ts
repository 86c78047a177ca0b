import type { Command } from "commander";
import { compactJson, errorText, formatDateTime, shorten } from "../../tui/format.ts";
import { outputOption, type GlobalOptions, type OutputFormat } from "../globals.ts";
import { printJson, printLine, remainingWidth, table } from "../output.ts";
import { withClient } from "../session.ts";

interface DescribeOptions extends GlobalOptions {
  output: OutputFormat;
}

export function describeCommand(program: Command): void {
  program
    .command("describe")
    .description("show a workflow's status, arguments and outcome")
    .argument("<workflowId>", "the workflow's id")
    .addOption(outputOption())
    .action(async (workflowId: string, _options: DescribeOptions, command: Command) => {
      const options = command.optsWithGlobals<DescribeOptions>();
      await withClient(options, async (client) => {
        const r = await client.describe(workflowId);
        if (options.output === "json") return printJson(r);
        const width = remainingWidth([12], 40) - 4;
        const rows: [string, string][] = [
          ["workflow id", r.workflowId],
          ["type", r.workflowType ?? ""],
          ["queue", r.queue ?? ""],
          ["status", r.status === "continued" ? "continued as new (its next run begins)" : r.status],
          ["started", formatDateTime(r.startedAt)],
          ["closed", formatDateTime(r.closedAt)],
          ["arguments", r.args ? shorten(compactJson(r.args), width) : ""],
        ];
        if (r.status === "completed") rows.push(["result", shorten(compactJson(r.result), width)]);
        if (r.error) rows.push(["error", errorText(r.error, width)]);
        if (r.problem) rows.push(["problem", shorten(r.problem, width)]);
        if (r.runId) rows.push(["run", r.runId]);
        if (r.runs && r.runs.length > 1) rows.push(["runs", shorten(`${r.runs.length}: ${r.runs.join(", ")} (dfut history --run <run>)`, width)]);
        if (r.continuedFrom) rows.push(["continued from", r.continuedFrom]);
        if (r.parent) rows.push(["parent", `${r.parent.workflowId} (run ${r.parent.runId})`]);
        const t = table([]);
        for (const [k, v] of rows) t.push({ [k]: v });
        printLine(t.toString());
      });
    });
}

/** The command line's side of bulk operations: selection options, the question, the progress bar. */
import { createInterface } from "node:readline/promises";
import { Option, type Command } from "commander";
import type { DfutClient } from "../client/client.ts";
import type { BulkProgress, Selection } from "../client/bulk.ts";
import type { WorkflowStatus } from "../common/events.ts";
import { ExitCode, UsageError } from "./errors.ts";
import { printLine } from "./output.ts";

export interface SelectionOptions {
  type?: string;
  status?: WorkflowStatus;
  query?: string;
  yes?: boolean;
}

export function addSelectionOptions(command: Command): Command {
  return command
    .option("--type <workflowType>", "instead of an id: every workflow of this type (with --status, --query)")
    .addOption(new Option("--status <status>", "instead of an id: every workflow with this status").choices(["running", "completed", "failed", "canceled", "terminated"]))
    .option("--query <idPrefix>", "instead of an id: every workflow whose id starts with this")
    .option("-y, --yes", "do not ask before acting on a selection");
}

export function selectionOf(options: SelectionOptions): Selection | undefined {
  if (!options.type && !options.status && !options.query) return undefined;
  return { workflowType: options.type, status: options.status, idPrefix: options.query };
}

/**
 * Selects, says how many match, asks (unless --yes; never waits for an answer that cannot come),
 * runs the operation with a progress bar on stderr, and reports. Exit 1 when some failed.
 */
export async function runSelection(
  client: DfutClient,
  selection: Selection,
  options: SelectionOptions,
  verb: string,
  operation: (workflowId: string) => Promise<unknown>,
): Promise<void> {
  const { selectWorkflows, runBulk } = await import("../client/bulk.ts");
  const ids = await selectWorkflows(client, selection);
  const what = describeSelection(selection);
  if (ids.length === 0) {
    printLine(`no workflow matches ${what}`);
    return;
  }
  if (!options.yes) {
    if (!process.stdin.isTTY) throw new UsageError(`${ids.length} workflow(s) match ${what}; pass --yes to ${verb} them without a question`);
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    const answer = await rl.question(`${verb} ${ids.length} workflow(s) matching ${what}? [y/N] `);
    rl.close();
    if (!/^y(es)?$/i.test(answer.trim())) {
      printLine("nothing done");
      return;
    }
  }
  const bar = progressBar(ids.length);
  const result = await runBulk(ids, operation, bar.update);
  bar.end();
  const parts = [`${result.done - result.skipped - result.failed.length} done`];
  if (result.skipped) parts.push(`${result.skipped} already closed`);
  if (result.failed.length) parts.push(`${result.failed.length} failed`);
  printLine(`${verb}: ${ids.length} matched, ${parts.join(", ")}`);
  for (const failure of result.failed.slice(0, 20)) printLine(`  ${failure.workflowId}: ${failure.message}`);
  if (result.failed.length > 20) printLine(`  … and ${result.failed.length - 20} more`);
  if (result.failed.length > 0) throw new ExitCode(1);
}

function describeSelection(selection: Selection): string {
  const parts = [];
  if (selection.workflowType) parts.push(`type ${selection.workflowType}`);
  if (selection.status) parts.push(`status ${selection.status}`);
  if (selection.idPrefix) parts.push(`ids ${selection.idPrefix}*`);
  return parts.join(", ");
}

/** On a terminal, a bar redrawn in place; elsewhere nothing until the report. */
function progressBar(total: number): { update: (p: BulkProgress) => void; end: () => void } {
  const tty = process.stderr.isTTY === true;
  const width = 30;
  const draw = (p: BulkProgress) => {
    const filled = Math.round((p.done / total) * width);
    process.stderr.write(`\r[${"#".repeat(filled)}${".".repeat(width - filled)}] ${p.done}/${total}${p.failed.length ? ` (${p.failed.length} failed)` : ""}`);
  };
  return {
    update: (p) => {
      if (tty) draw(p);
    },
    end: () => {
      if (tty) process.stderr.write("\n");
    },
  };
}

/** A command that takes one workflow id, or a selection instead. */
export function idOrSelection(workflowId: string | undefined, options: SelectionOptions, command: string): { workflowId?: string; selection?: Selection } {
  const selection = selectionOf(options);
  if (workflowId && selection) throw new UsageError(`give ${command} either a workflow id or --type/--status/--query, not both`);
  if (!workflowId && !selection) throw new UsageError(`${command} needs a workflow id, or a selection: --type, --status or --query`);
  return workflowId ? { workflowId } : { selection };
}

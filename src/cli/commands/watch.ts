import type { Command } from "commander";
import type { DfutClient } from "../../client/client.ts";
import type { GlobalOptions } from "../globals.ts";
import { isFinalClose } from "../../common/events.ts";
import { readHistory } from "../../common/history.ts";
import { validateWorkflowId } from "../../common/ids.ts";
import { UsageError } from "../errors.ts";
import { HistoryView } from "../history-view.ts";
import { printLine, table } from "../output.ts";
import { withClient } from "../session.ts";
import { formatDateTime } from "../../tui/format.ts";

interface WatchOptions extends GlobalOptions {
  waitStart?: boolean;
}

export function watchCommand(program: Command): void {
  program
    .command("watch")
    .description("live terminal view of a workflow's events, or of all executions")
    .argument("[workflowId]", "the workflow to watch; without it, the list of executions")
    .option("--wait-start", "wait for a workflow that has not started yet (without it, an unknown id is an error)")
    .addHelpText(
      "after",
      "\nKeys: q quits. When stdin or stdout is not a terminal, prints the events as they come\n" +
        "until the workflow closes (like 'dfut history --follow'), or the list of executions once.",
    )
    .action(async (workflowId: string | undefined, _options: WatchOptions, command: Command) => {
      const options = command.optsWithGlobals<WatchOptions>();
      const waitStart = options.waitStart === true;
      if (waitStart && workflowId === undefined) throw new UsageError("--wait-start needs a workflow id");
      const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
      const runWatch = interactive ? await (await import("../watch-ui.ts")).loadWatchUi() : undefined;
      await withClient(options, async (client) => {
        if (runWatch) return runWatch({ client, workflowId, waitStart });
        console.error("dfut: not a terminal; printing events instead of the live view");
        await printPlain(client, workflowId, waitStart);
      });
    });
}

async function printPlain(client: DfutClient, workflowId: string | undefined, waitStart: boolean): Promise<void> {
  if (workflowId) {
    const events = waitStart ? await readHistory(client.connection, validateWorkflowId(workflowId)) : await client.history(workflowId);
    const view = new HistoryView();
    if (events.length === 0) console.error(`dfut: waiting for workflow ${workflowId} to start…`);
    printLine(view.header());
    for (const event of events) printLine(view.line(event));
    const last = events.at(-1);
    if (last && isFinalClose(last)) return;
    const { followHistory } = await import("../follow.ts");
    await followHistory(client, workflowId, last?.seq ?? 0, (event) => printLine(view.line(event)));
    return;
  }
  const t = table(["workflow id", "type", "status", "started"]);
  for (const r of await client.list({ limit: 50 })) t.push([r.workflowId, r.workflowType ?? "", r.status, formatDateTime(r.startedAt)]);
  printLine(t.toString());
}

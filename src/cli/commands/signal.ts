import type { Command } from "commander";
import { parseArg } from "../args.ts";
import { addSelectionOptions, idOrSelection, runSelection, selectionOf, type SelectionOptions } from "../bulk.ts";
import { UsageError } from "../errors.ts";
import type { GlobalOptions } from "../globals.ts";
import { printLine } from "../output.ts";
import { withClient } from "../session.ts";

type SignalOptions = GlobalOptions & SelectionOptions;

export function signalCommand(program: Command): void {
  addSelectionOptions(
    program
      .command("signal")
      .description("send a signal to a running workflow (or to every one a selection matches)")
      .argument("[workflowId]", "the workflow's id (left out with a selection)")
      .argument("<name>", "the signal's name")
      .argument("[payload]", "its payload: JSON where it parses, else a string"),
  )
    .addHelpText("after", "\nExamples:\n  dfut signal approval-1 approve '{\"ok\":true}'\n  dfut signal --type ApprovalWorkflow --status running approve true --yes")
    .action(async (first: string | undefined, second: string | undefined, third: string | undefined, _options: SignalOptions, command: Command) => {
      const options = command.optsWithGlobals<SignalOptions>();
      // With a selection the id is left out, so the words shift by one.
      const bulk = selectionOf(options) !== undefined;
      const [id, name, payload] = bulk ? [undefined, first, second] : [first, second, third];
      if (bulk && third !== undefined) throw new UsageError("with a selection, signal takes a name and a payload only");
      if (!name) throw new UsageError("signal needs a signal name");
      const { workflowId, selection } = idOrSelection(id, options, "signal");
      const value = payload === undefined ? undefined : parseArg(payload, "the payload");
      await withClient(options, async (client) => {
        if (selection) return runSelection(client, selection, options, `signal ${name}`, (wf) => client.signal(wf, name, value));
        await client.signal(workflowId!, name, value);
        printLine(`sent signal ${name} to ${workflowId}`);
      });
    });
}

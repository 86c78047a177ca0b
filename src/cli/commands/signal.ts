import type { Command } from "commander";
import { parseArg } from "../args.ts";
import type { GlobalOptions } from "../globals.ts";
import { printLine } from "../output.ts";
import { withClient } from "../session.ts";

export function signalCommand(program: Command): void {
  program
    .command("signal")
    .description("send a signal to a running workflow")
    .argument("<workflowId>", "the workflow's id")
    .argument("<name>", "the signal's name")
    .argument("[payload]", "its payload: JSON where it parses, else a string")
    .action(async (workflowId: string, name: string, payload: string | undefined, _options: GlobalOptions, command: Command) => {
      const options = command.optsWithGlobals<GlobalOptions>();
      const value = payload === undefined ? undefined : parseArg(payload, "the payload");
      await withClient(options, async (client) => {
        await client.signal(workflowId, name, value);
        printLine(`sent signal ${name} to ${workflowId}`);
      });
    });
}

/** The `dfut` command line: global options and one module per command. */
import { Command } from "commander";
import { cancelCommand } from "./commands/cancel.ts";
import { describeCommand } from "./commands/describe.ts";
import { devCommand } from "./commands/dev.ts";
import { historyCommand } from "./commands/history.ts";
import { listCommand } from "./commands/list.ts";
import { resultCommand } from "./commands/result.ts";
import { serverCommand } from "./commands/server.ts";
import { signalCommand } from "./commands/signal.ts";
import { queryCommand, updateCommand } from "./commands/query.ts";
import { replayCommand } from "./commands/replay.ts";
import { resetCommand } from "./commands/reset.ts";
import { scheduleCommand } from "./commands/schedule.ts";
import { startCommand } from "./commands/start.ts";
import { terminateCommand } from "./commands/terminate.ts";
import { watchCommand } from "./commands/watch.ts";
import { workerCommand } from "./commands/worker.ts";
import { addGlobalOptions } from "./globals.ts";
import { VERSION } from "./version.ts";

export function buildProgram(): Command {
  const program = new Command("dfut")
    .description("Durable workflows for TypeScript on NATS JetStream")
    .version(VERSION, "-V, --version", "print the version")
    .helpOption("-h, --help", "show help")
    .showSuggestionAfterError(true)
    .exitOverride()
    // Errors are printed once, by main, as one line.
    .configureOutput({ outputError: () => undefined });
  addGlobalOptions(program);
  program.helpCommand("help [command]", "show help for a command");
  for (const add of [
    serverCommand,
    workerCommand,
    devCommand,
    startCommand,
    historyCommand,
    listCommand,
    describeCommand,
    resultCommand,
    signalCommand,
    queryCommand,
    updateCommand,
    cancelCommand,
    terminateCommand,
    watchCommand,
    replayCommand,
    resetCommand,
    scheduleCommand,
  ]) {
    add(program);
  }
  program.addHelpText(
    "after",
    "\nGet going:\n" +
      "  dfut dev --load ./order.ts                          server, worker and NATS in one process\n" +
      "  dfut start OrderWorkflow Bob widget-1000 1000 2 --wait\n" +
      "  dfut history <workflowId>\n",
  );
  // Subcommands inherit the error handling.
  for (const command of program.commands) command.exitOverride().configureOutput({ outputError: () => undefined });
  return program;
}

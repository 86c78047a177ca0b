import type { Command } from "commander";
import { parseArg } from "../args.ts";
import type { GlobalOptions } from "../globals.ts";
import { printJson } from "../output.ts";
import { withClient } from "../session.ts";
import { UsageError } from "../errors.ts";

interface QueryCliOptions extends GlobalOptions {
  timeout: string;
}

export function queryCommand(program: Command): void {
  program
    .command("query")
    .description("ask a workflow's query handler (ctx.onQuery) and print its answer as JSON; records nothing")
    .argument("<workflowId>", "the workflow's id (running or closed)")
    .argument("<name>", "the query's name")
    .argument("[args...]", "its arguments: each is JSON where it parses, else a string")
    .option("--timeout <ms>", "how long to wait for a worker's answer", "10000")
    .addHelpText("after", "\nExample:\n  dfut query cart-7 items")
    .action(async (workflowId: string, name: string, rawArgs: string[], _options: QueryCliOptions, command: Command) => {
      const options = command.optsWithGlobals<QueryCliOptions>();
      const args = rawArgs.map((a, i) => parseArg(a, `argument ${i + 1}`));
      const timeoutMs = parseTimeout(options.timeout);
      await withClient(options, async (client) => {
        printJson(await client.queryWithOptions(workflowId, name, args, { timeoutMs }));
      });
    });
}

interface UpdateCliOptions extends GlobalOptions {
  updateId?: string;
  timeout?: string;
}

export function updateCommand(program: Command): void {
  program
    .command("update")
    .description("send an update to a workflow's handler (ctx.onUpdate), wait for it and print its result as JSON")
    .argument("<workflowId>", "the workflow's id")
    .argument("<name>", "the update's name")
    .argument("[args...]", "its arguments: each is JSON where it parses, else a string")
    .option("--update-id <id>", "the update's id: the same id sent again runs it once and prints its result")
    .option("--timeout <ms>", "stop waiting after this long (an accepted update still runs)")
    .addHelpText("after", "\nExample:\n  dfut update cart-7 checkout 30 --update-id pay-cart-7")
    .action(async (workflowId: string, name: string, rawArgs: string[], _options: UpdateCliOptions, command: Command) => {
      const options = command.optsWithGlobals<UpdateCliOptions>();
      const args = rawArgs.map((a, i) => parseArg(a, `argument ${i + 1}`));
      const timeoutMs = options.timeout === undefined ? undefined : parseTimeout(options.timeout);
      await withClient(options, async (client) => {
        printJson(await client.executeUpdate(workflowId, name, { args, updateId: options.updateId, timeoutMs }));
      });
    });
}

function parseTimeout(text: string): number {
  const ms = Number(text);
  if (!Number.isSafeInteger(ms) || ms <= 0) throw new UsageError(`--timeout must be a positive number of milliseconds, not ${JSON.stringify(text)}`);
  return ms;
}

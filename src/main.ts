/** The dfut executable's entry point. */
import { CommanderError, type Command } from "commander";
import { buildProgram } from "./cli/program.ts";
import { errorLine, ExitCode } from "./cli/errors.ts";

async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof ExitCode) return err.status;
    if (err instanceof CommanderError) {
      // Help and version were printed already; help for a missing command exits non-zero.
      if (["commander.helpDisplayed", "commander.version", "commander.help"].includes(err.code)) return err.exitCode;
      process.stderr.write(`dfut: ${err.message.replace(/^error: /, "").replace(/\s*\n\s*/g, " ")}${hint(err, program, argv)}\n`);
      return err.exitCode || 1;
    }
    process.stderr.write(`dfut: ${errorLine(err)}\n`);
    if (process.env.DFUT_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return 1;
  }
}

function hint(err: CommanderError, program: Command, argv: string[]): string {
  if (/Did you mean/.test(err.message)) return "";
  const command = argv.slice(2).find((arg) => program.commands.some((c) => c.name() === arg));
  return command ? `; see 'dfut ${command} --help'` : "; see 'dfut --help'";
}

/**
 * Writes to a pipe are asynchronous: process.exit() would drop what is still queued. A write
 * callback runs once everything written before it has been handed to the pipe.
 */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write("", () => resolve()));
}

async function exit(status: number): Promise<never> {
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(status);
}

// EPIPE: the reader went away (`dfut history … | head -1`) with what it wanted, so stop quietly.
process.stdout.on("error", (err: NodeJS.ErrnoException) => (err.code === "EPIPE" ? process.exit(0) : crash(err)));
// Nowhere is left to report a broken stderr on.
process.stderr.on("error", (err: NodeJS.ErrnoException) => process.exit(err.code === "EPIPE" ? 0 : 1));

let crashed = false;

// A failure nobody awaited (in a long-running server or worker) still ends with one line.
function crash(err: unknown): void {
  if (crashed) return;
  crashed = true;
  process.stderr.write(`dfut: ${errorLine(err)}\n`);
  if (process.env.DFUT_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  void exit(1);
}
process.on("uncaughtException", crash);
process.on("unhandledRejection", crash);

await exit(await main(process.argv));

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

// A failure nobody awaited (in a long-running server or worker) still ends with one line.
const crash = (err: unknown) => {
  process.stderr.write(`dfut: ${errorLine(err)}\n`);
  if (process.env.DFUT_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  process.exit(1);
};
process.on("uncaughtException", crash);
process.on("unhandledRejection", crash);

process.exit(await main(process.argv));

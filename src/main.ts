/** The dfut executable's entry point. */
import { CommanderError } from "commander";
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
      process.stderr.write(`dfut: ${err.message.replace(/^error: /, "").replace(/\s*\n\s*/g, " ")}${hint(err)}\n`);
      return err.exitCode || 1;
    }
    process.stderr.write(`dfut: ${errorLine(err)}\n`);
    if (process.env.DFUT_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return 1;
  }
}

function hint(err: CommanderError): string {
  return /Did you mean/.test(err.message) ? "" : "; see 'dfut --help'";
}

process.exit(await main(process.argv));

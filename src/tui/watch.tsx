/** `dfut watch [id]`: the live terminal UI. */
import { render } from "ink";
import type { DfutClient } from "../client/client.ts";
import { validateWorkflowId } from "../common/ids.ts";
import { WatchApp } from "./app.tsx";

export interface WatchOptions {
  client: DfutClient;
  /** The workflow to watch; without it the list of executions comes first. */
  workflowId?: string;
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
}

/** Renders the watch UI and resolves when the user quits (`q` or Ctrl-C). */
export async function runWatch(options: WatchOptions): Promise<void> {
  const { client, workflowId } = options;
  if (workflowId !== undefined) validateWorkflowId(workflowId);
  const stdout = options.stdout ?? process.stdout;
  const instance = render(<WatchApp client={client} workflowId={workflowId} />, {
    stdin: options.stdin ?? process.stdin,
    stdout,
    // A terminal gets the live view even where CI variables are set; a pipe gets the last frame.
    interactive: stdout.isTTY === true,
    exitOnCtrlC: true,
    patchConsole: false,
    alternateScreen: true,
  });
  // Terminals that reflow long lines on resize leave more rows behind than Ink knows it wrote;
  // the view owns the alternate screen, so wipe it before Ink draws the resized frame.
  const clearScreen = () => stdout.write("\u001B[2J\u001B[H");
  if (stdout.isTTY) stdout.prependListener("resize", clearScreen);
  try {
    await instance.waitUntilExit();
  } finally {
    stdout.off("resize", clearScreen);
  }
}

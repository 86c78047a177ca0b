/** `dfut watch [id]`: the live terminal UI. */
import { render } from "ink";
import type { DfutClient } from "../client/client.ts";
import { DfutError } from "../common/errors.ts";
import { lastEvent } from "../common/history.ts";
import { validateWorkflowId } from "../common/ids.ts";
import { notProvisioned } from "../common/resources.ts";
import { WatchApp } from "./app.tsx";

export interface WatchOptions {
  client: DfutClient;
  /** The workflow to watch; without it the list of executions comes first. */
  workflowId?: string;
  /** Wait for a workflow that has not started yet; without it an unknown id fails at once. */
  waitStart?: boolean;
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
}

/** Renders the watch UI and resolves when the user quits (`q` or Ctrl-C). */
export async function runWatch(options: WatchOptions): Promise<void> {
  const { client, workflowId } = options;
  if (workflowId !== undefined) {
    validateWorkflowId(workflowId);
    if (!options.waitStart) await assertStarted(client, workflowId);
  }
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

async function assertStarted(client: DfutClient, workflowId: string): Promise<void> {
  const last = await lastEvent(client.connection, workflowId).catch((err: unknown) => {
    throw notProvisioned(err);
  });
  if (!last) {
    throw new DfutError("not_found", `no workflow with id ${JSON.stringify(workflowId)}; 'dfut watch --wait-start ${workflowId}' waits for it to start`);
  }
}

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
  const instance = render(<WatchApp client={client} workflowId={workflowId} />, {
    stdin: options.stdin ?? process.stdin,
    stdout: options.stdout ?? process.stdout,
    exitOnCtrlC: true,
    patchConsole: false,
    alternateScreen: true,
  });
  await instance.waitUntilExit();
}

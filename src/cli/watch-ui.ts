/**
 * The terminal UI, loaded only by `dfut watch`: Ink and React stay out of every other command's
 * start-up. In the executable it is the embedded asset ui.mjs; from a source checkout it is
 * src/tui/watch.tsx; next to a plain bundle it is ui.mjs.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as sdk from "../index.ts";
import type { DfutClient } from "../client/client.ts";
import { getTextAsset, isSea } from "../embedded/sea.ts";
import { installUserModuleHooks } from "../loader/hooks.ts";
import { importModule } from "../loader/import.ts";
import { DfutError } from "../common/errors.ts";

export type RunWatch = (options: { client: DfutClient; workflowId?: string; waitStart?: boolean }) => Promise<void>;

export async function loadWatchUi(): Promise<RunWatch> {
  const module = await importUi();
  if (typeof module.runWatch !== "function") throw new WatchUnavailableError("the UI module has no runWatch");
  return module.runWatch as RunWatch;
}

async function importUi(): Promise<Record<string, unknown>> {
  if (isSea()) {
    const source = getTextAsset("ui.mjs");
    if (source === undefined) throw new WatchUnavailableError("it was built without the terminal UI");
    return importModule(`data:text/javascript;base64,${Buffer.from(source).toString("base64")}`);
  }
  if (import.meta.url.endsWith(".ts")) {
    const url = new URL("../tui/watch.tsx", import.meta.url);
    if (!existsSync(fileURLToPath(url))) throw new WatchUnavailableError("src/tui/watch.tsx does not exist yet");
    // .tsx needs the loader's hooks; Node strips types of .ts only.
    installUserModuleHooks(sdk);
    return importModule(url.href);
  }
  const url = new URL("./ui.mjs", import.meta.url);
  if (!existsSync(fileURLToPath(url))) throw new WatchUnavailableError(`${fileURLToPath(url)} is missing`);
  return importModule(url.href);
}

export class WatchUnavailableError extends DfutError {
  constructor(reason: string) {
    super("failed_precondition", `dfut watch is not available in this build (${reason}); use 'dfut history --follow <id>'`);
  }
}

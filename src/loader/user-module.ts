/** Loads the user's workflow modules and sorts their exports into workflows and activities. */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { InvalidArgumentError } from "../common/errors.ts";
import { markedKind, nameOf, type ActivityFunction, type WorkflowFunction } from "../workflow/definitions.ts";
import { installUserModuleHooks, loadedJavaScript } from "./hooks.ts";
import { locateSyntaxError } from "./transform.ts";
import { importModule } from "./import.ts";

export interface LoadedFunctions {
  workflows: Record<string, WorkflowFunction>;
  activities: Record<string, ActivityFunction>;
}

/** Raised when a user module cannot be found, compiled or evaluated. */
export class UserModuleError extends InvalidArgumentError {}

/**
 * Explicit marks (defineWorkflow/defineActivity) decide where given; otherwise an exported
 * function whose name ends in "Workflow" is a workflow and any other exported function an activity.
 */
export function classifyExports(exports: Record<string, unknown>, into: LoadedFunctions, file: string): void {
  for (const [key, value] of Object.entries(exports)) {
    if (typeof value !== "function") continue;
    if (key === "default" && !markedKind(value)) continue;
    const kind = markedKind(value) ?? (key.endsWith("Workflow") ? "workflow" : "activity");
    const name = markedKind(value) ? nameOf(value) : key;
    const table: Record<string, Function> = kind === "workflow" ? into.workflows : into.activities;
    if (table[name] && table[name] !== value) {
      throw new UserModuleError(`${file}: ${kind} ${name} is already defined by another module; give one of them another name`);
    }
    table[name] = value;
  }
}

/** Imports each file (TS or JS) with dfut's hooks; `sdk` is what `import "dfut"` yields in them. */
export async function loadUserModules(files: string[], sdk: object): Promise<LoadedFunctions> {
  installUserModuleHooks(sdk);
  const loaded: LoadedFunctions = { workflows: {}, activities: {} };
  for (const file of files) {
    const path = resolve(file);
    if (!existsSync(path)) throw new UserModuleError(`cannot load ${file}: no such file`);
    let exports: Record<string, unknown>;
    try {
      exports = await importModule(pathToFileURL(path).href);
    } catch (err) {
      throw new UserModuleError(`cannot load ${file}: ${describeLoadError(err)}`);
    }
    classifyExports(exports, loaded, file);
  }
  return loaded;
}

/** One line that names the file and line: syntax errors carry it in the message, throws in the stack. */
export function describeLoadError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  let message = err.message.split("\n")[0];
  if (err.name && err.name !== "Error" && !message.startsWith(err.name)) message = `${err.name}: ${message}`;
  if (/:\d+(:\d+)?\b/.test(message)) return message;
  if (err instanceof SyntaxError) {
    const located = locateSyntaxError(loadedJavaScript);
    if (located) return `SyntaxError: ${located}`;
  }
  const where = err.stack?.split("\n").find((l) => /file:\/\/|\(\/|at \//.test(l));
  const location = where?.match(/(?:file:\/\/)?(\/[^\s()]+:\d+:\d+)/)?.[1];
  return location ? `${message} (at ${location})` : message;
}

/** Loads the user's workflow modules and sorts their exports into workflows and activities. */
import { statSync } from "node:fs";
import { extname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { InvalidArgumentError, isDfutError } from "../common/errors.ts";
import { userLocation } from "../common/stack.ts";
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

/** What --load takes; .tsx (JSX), .json and CommonJS are not worker modules. */
const MODULE_EXTENSIONS = [".ts", ".mts", ".js", ".mjs"];
const SUPPORTED = "a .ts, .mts, .js or .mjs module";

/**
 * Explicit marks (defineWorkflow/defineActivity) decide where given; otherwise an exported
 * function whose name ends in "Workflow" is a workflow and any other exported function an activity.
 * Returns how many functions the module has.
 */
export function classifyExports(exports: Record<string, unknown>, into: LoadedFunctions, file: string): number {
  let found = 0;
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
    found++;
  }
  return found;
}

/** Imports each file (TS or JS) with dfut's hooks; `sdk` is what `import "dfut"` yields in them. */
export async function loadUserModules(files: string[], sdk: object): Promise<LoadedFunctions> {
  installUserModuleHooks(sdk);
  const loaded: LoadedFunctions = { workflows: {}, activities: {} };
  for (const file of files) {
    const path = resolve(file);
    checkModuleFile(file, path);
    let exports: Record<string, unknown>;
    try {
      exports = await importModule(pathToFileURL(path).href);
    } catch (err) {
      throw new UserModuleError(`cannot load ${file}: ${describeLoadError(err)}`);
    }
    if (classifyExports(exports, loaded, file) === 0 && exports.default !== undefined) throw defaultOnly(file, exports.default);
  }
  return loaded;
}

/** Workflows and activities are known by their export names, which a default export lacks. */
function defaultOnly(file: string, value: unknown): UserModuleError {
  const names =
    typeof value === "function"
      ? [value.name].filter(Boolean)
      : typeof value === "object" && value !== null
        ? Object.keys(value).filter((key) => typeof (value as Record<string, unknown>)[key] === "function")
        : [];
  return new UserModuleError(
    `${file} has only a default export; dfut finds workflows and activities by their export names: ` +
      `export ${names.length > 0 ? names.join(", ") : "each function"} by name (export async function ${names[0] ?? "OrderWorkflow"}(…) instead of export default)`,
  );
}

function checkModuleFile(file: string, path: string): void {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch {
    throw new UserModuleError(`cannot load ${file}: no such file`);
  }
  if (isDirectory) throw new UserModuleError(`cannot load ${file}: it is a directory; give ${SUPPORTED} file`);
  const ext = extname(path);
  if (!MODULE_EXTENSIONS.includes(ext)) {
    const what = ext ? `${ext} files are not supported` : "a file without an extension is not supported";
    throw new UserModuleError(`cannot load ${file}: ${what}; give ${SUPPORTED}${ext === ".tsx" ? " (move JSX out of worker modules)" : ""}`);
  }
}

/** One line that names the file and line: syntax errors carry it in the message, throws in the stack. */
export function describeLoadError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  let message = err.message.split("\n")[0];
  // dfut's own errors say what is wrong in their message; a user's TypeError needs its name.
  if (err.name && err.name !== "Error" && !isDfutError(err) && !message.startsWith(err.name)) message = `${err.name}: ${message}`;
  if (/:\d+(:\d+)?\b/.test(message)) return message;
  if (err instanceof SyntaxError) {
    const located = locateSyntaxError(loadedJavaScript);
    if (located) return `SyntaxError: ${located}`;
  }
  const location = err.stack ? userLocation(err.stack) : undefined;
  return location ? `${message} (at ${location})` : message;
}

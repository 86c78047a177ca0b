/**
 * Module hooks for user code: TypeScript compiled on load, extension-less relative imports,
 * and `import ... from "dfut"` bound to the SDK instance of the running executable.
 */
import { registerHooks, setSourceMapsSupport } from "node:module";
import { readFileSync, statSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { transformTypeScript } from "./transform.ts";

const SDK_KEY = "__dfut";
const TS_FILE = /\.(ts|mts|cts|tsx)$/;
const CANDIDATES = [".ts", ".tsx", ".mts", ".js", ".mjs", ".cjs", "/index.ts", "/index.tsx", "/index.mts", "/index.js", "/index.mjs"];

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The TypeScript way: "./lib" and "./lib.js" may mean ./lib.ts, "./dir" may mean ./dir/index.ts. */
function resolveRelative(specifier: string, parentURL: string): string | undefined {
  const base = fileURLToPath(new URL(specifier, parentURL));
  if (isFile(base)) return undefined;
  const stem = base.replace(/\.(js|mjs|cjs)$/, "");
  for (const ext of CANDIDATES) {
    const candidate = (ext.startsWith("/") ? base : stem) + ext;
    if (isFile(candidate)) return pathToFileURL(candidate).href;
  }
  return undefined;
}

function sdkModuleSource(): string {
  const sdk = (globalThis as Record<string, unknown>)[SDK_KEY] as Record<string, unknown> | undefined;
  if (!sdk) throw new Error("the dfut SDK is not available to user modules");
  const names = Object.keys(sdk).filter((n) => n !== "default" && /^[A-Za-z_$][\w$]*$/.test(n));
  return [`const sdk = globalThis.${SDK_KEY};`, ...names.map((n) => `export const ${n} = sdk.${n};`), "export default sdk;"].join("\n");
}

/**
 * Node names the importing file of a module it cannot find, but not the line: add the place of
 * the specifier in the importer's source.
 */
function withImportLocation(err: unknown, specifier: string, parentURL: string | undefined): unknown {
  if (!(err instanceof Error) || !parentURL?.startsWith("file:")) return err;
  const parent = fileURLToPath(parentURL);
  let source: string;
  try {
    source = readFileSync(parent, "utf8");
  } catch {
    return err;
  }
  const at = ["\"", "'", "`"].map((quote) => source.indexOf(`${quote}${specifier}${quote}`)).find((i) => i >= 0);
  if (at === undefined) return err;
  const before = source.slice(0, at).split("\n");
  err.message = `${err.message.replace(/ imported from \S+$/, "")} (imported at ${parent}:${before.length}:${before.at(-1)!.length + 1})`;
  return err;
}

let installed = false;

/** JavaScript files of the user loaded so far (not dependencies), to locate syntax errors in. */
export const loadedJavaScript: string[] = [];

/** Installs the hooks once; `sdk` is what user modules get for `import ... from "dfut"`. */
export function installUserModuleHooks(sdk: object): void {
  (globalThis as Record<string, unknown>)[SDK_KEY] = sdk;
  if (installed) return;
  installed = true;
  setSourceMapsSupport(true);
  registerHooks({
    resolve(specifier, context, nextResolve) {
      if (specifier === "dfut") return { url: "dfut:sdk", format: "module", shortCircuit: true };
      const parent = context.parentURL;
      if (parent?.startsWith("file:") && /^\.{1,2}\//.test(specifier)) {
        const url = resolveRelative(specifier, parent);
        if (url) return { url, shortCircuit: true };
      }
      try {
        return nextResolve(specifier, context);
      } catch (err) {
        throw withImportLocation(err, specifier, parent);
      }
    },
    load(url, context, nextLoad) {
      if (url === "dfut:sdk") return { format: "module", source: sdkModuleSource(), shortCircuit: true };
      if (url.startsWith("file:") && TS_FILE.test(new URL(url).pathname)) {
        const filename = fileURLToPath(url);
        const out = transformTypeScript(readFileSync(filename, "utf8"), filename);
        const map = out.map ? `\n//# sourceMappingURL=data:application/json;base64,${Buffer.from(out.map).toString("base64")}` : "";
        return { format: url.endsWith(".cts") ? "commonjs" : "module", source: out.code + map, shortCircuit: true };
      }
      if (url.startsWith("file:") && /\.(js|mjs)$/.test(url) && !url.includes("/node_modules/")) loadedJavaScript.push(fileURLToPath(url));
      return nextLoad(url, context);
    },
  });
}

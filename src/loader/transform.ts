/**
 * TypeScript to JavaScript for user modules. amaro (swc) with the semantics of tsc's
 * isolatedModules: enums and namespaces compile, imports used only as types disappear.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { compileFunction } from "node:vm";
import { getTextAsset, isSea } from "../embedded/sea.ts";

interface TransformOutput {
  code: string;
  map?: string;
}
interface Amaro {
  transformSync(code: string, options: object): TransformOutput;
}
interface Esbuild {
  transformSync(code: string, options: object): TransformOutput;
}
/** What amaro throws for code it cannot parse. */
interface SwcError {
  message: string;
  snippet?: string;
  startLine: number;
  startColumn: number;
}

let amaro: Amaro | undefined;

// Loaded on first use: about 4 MB of wasm glue that commands without user code never pay for.
function loadAmaro(): Amaro {
  if (amaro) return amaro;
  const embedded = isSea() ? getTextAsset("amaro.cjs") : undefined;
  if (embedded === undefined) return (amaro = createRequire(import.meta.url)("amaro") as Amaro);
  const mod = { exports: {} as unknown };
  compileFunction(embedded, ["module", "exports", "require"], { filename: "dfut:amaro.cjs" })(
    mod,
    mod.exports,
    createRequire(process.execPath),
  );
  return (amaro = mod.exports as Amaro);
}

export class TypeScriptSyntaxError extends SyntaxError {
  readonly code = "ERR_INVALID_TYPESCRIPT_SYNTAX";
}

function isSwcError(err: unknown): err is SwcError {
  return typeof err === "object" && err !== null && typeof (err as SwcError).startLine === "number";
}

export function transformTypeScript(source: string, filename: string): TransformOutput {
  if (filename.endsWith(".tsx")) return transformTsx(source, filename);
  try {
    return loadAmaro().transformSync(source, {
      mode: "transform",
      sourceMap: true,
      filename,
      transform: { verbatimModuleSyntax: false, importNotUsedAsValues: "remove", nativeClassProperties: true, noEmptyExport: true },
    });
  } catch (err) {
    if (isSwcError(err)) {
      throw new TypeScriptSyntaxError(`${filename}:${err.startLine}:${err.startColumn + 1}: ${err.message}`);
    }
    throw err;
  }
}

/**
 * Node's SyntaxError for an ES module names neither file nor line. Parsing the JavaScript
 * files again with swc finds both.
 */
export function locateSyntaxError(files: string[]): string | undefined {
  for (const filename of files.toReversed()) {
    let source: string;
    try {
      source = readFileSync(filename, "utf8");
    } catch {
      continue;
    }
    try {
      loadAmaro().transformSync(source, { mode: "strip-only", filename: `${filename}.ts` });
    } catch (err) {
      if (isSwcError(err)) return `${filename}:${err.startLine}:${err.startColumn + 1}: ${err.message}`;
    }
  }
  return undefined;
}

// amaro has no JSX. From a source checkout esbuild is at hand (dfut's own TUI in source mode).
function transformTsx(source: string, filename: string): TransformOutput {
  let esbuild: Esbuild;
  try {
    esbuild = createRequire(import.meta.url)("esbuild") as Esbuild;
  } catch {
    throw new TypeScriptSyntaxError(`${filename}: .tsx modules are not supported; move JSX out of worker modules`);
  }
  try {
    return esbuild.transformSync(source, { loader: "tsx", jsx: "automatic", format: "esm", sourcemap: "inline", sourcefile: filename });
  } catch (err) {
    throw new TypeScriptSyntaxError(`${filename}: ${(err as Error).message}`);
  }
}

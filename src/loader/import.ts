/**
 * import() that works inside the single executable. There, an import() written in the main
 * script only reaches built-in modules; code compiled by vm with the main context's default
 * loader gets the full ESM loader, hooks included. Elsewhere the plain import() does.
 */
import { Script, constants } from "node:vm";
import { isSea } from "../embedded/sea.ts";

type Importer = (specifier: string) => Promise<Record<string, unknown>>;

let importer: Importer | undefined;

export function importModule(specifier: string): Promise<Record<string, unknown>> {
  if (!isSea()) return import(specifier) as Promise<Record<string, unknown>>;
  importer ??= new Script("(specifier) => import(specifier)", {
    filename: "dfut:import",
    importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  }).runInThisContext() as Importer;
  return importer(specifier);
}

/** Where in the user's code something happened, from a stack trace. */
import { dirname, sep } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(import.meta.url);

/** dfut's own code: the executable, the bundle, or (run from source) anything under src/. */
function isOwnCode(path: string): boolean {
  // From the sources (src/common/stack.ts) or the compiled package (lib/common/stack.js): all of src/ or lib/ is dfut's.
  return path === process.execPath || path === here || (/\.(ts|js)$/.test(here) && path.startsWith(dirname(dirname(here)) + sep));
}

/**
 * Where in the user's code an error arose: the first stack frame outside dfut and Node (an
 * error the SDK throws points at the user's call), preferring the user's own files over their
 * dependencies. Errors from linking carry the place in a first line of their own.
 */
export function userLocation(stack: string): string | undefined {
  const header = /^(?:file:\/\/)?(\/[^\n]+):(\d+)\n.*\n( *)\^/.exec(stack);
  if (header) return `${header[1]}:${header[2]}:${header[3].length + 1}`;
  const frames = [...stack.matchAll(/^\s+at .*?(?:file:\/\/)?(\/[^\s()]+):(\d+):(\d+)\)?$/gm)]
    .map(([, path, line, column]) => ({ path, where: `${path}:${line}:${column}` }))
    .filter((frame) => !isOwnCode(frame.path));
  return (frames.find((frame) => !frame.path.includes("/node_modules/")) ?? frames[0])?.where;
}

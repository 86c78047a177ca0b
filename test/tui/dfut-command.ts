// How the terminal tests run `dfut watch`: dist/dfut when it is newer than the sources; else a
// fresh build in a temporary folder (dist/ is left alone, so parallel runs never write over an
// executable in use); without build.mjs, a bundle of watch-main.ts.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

export interface WatchCommand {
  /** Program and arguments that run `dfut watch [flags] [id]`. */
  argv(workflowId?: string, ...flags: string[]): string[];
  /** What runs: "dist/dfut", "a fresh build" or "watch-main bundle". */
  kind: string;
  /** Removes what was built for the test. */
  dispose(): void;
}

export async function watchCommand(): Promise<WatchCommand> {
  const exe = join(root, "dist", "dfut");
  if (existsSync(join(root, "build.mjs"))) {
    const sources = Math.max(newestMtime(join(root, "src")), statSync(join(root, "build.mjs")).mtimeMs);
    if (existsSync(exe) && statSync(exe).mtimeMs >= sources) {
      return { kind: "dist/dfut", argv: (id, ...flags) => [exe, "watch", ...flags, ...(id ? [id] : [])], dispose: () => undefined };
    }
    const dir = mkdtempSync(join(tmpdir(), "dfut-build-"));
    execFileSync(process.execPath, ["build.mjs", "--out", dir], { cwd: root, stdio: "pipe" });
    return {
      kind: "a fresh build",
      argv: (id, ...flags) => [join(dir, "dfut"), "watch", ...flags, ...(id ? [id] : [])],
      dispose: () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const { build } = await import("esbuild");
  const dir = mkdtempSync(join(tmpdir(), "dfut-watch-"));
  const out = join(dir, "watch.mjs");
  await build({
    entryPoints: [join(root, "test/tui/watch-main.ts")],
    outfile: out,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    jsx: "automatic",
    alias: { dfut: join(root, "src/index.ts") },
    // Ink reaches for React DevTools only when DEV=true; the bundle gets an empty stand-in.
    plugins: [
      {
        name: "no-devtools",
        setup(b) {
          b.onResolve({ filter: /^react-devtools-core$/ }, () => ({ path: "react-devtools-core", namespace: "no-devtools" }));
          b.onLoad({ filter: /.*/, namespace: "no-devtools" }, () => ({ contents: "export default { initialize() {}, connectToDevTools() {} };" }));
        },
      },
    ],
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    logLevel: "silent",
  });
  return {
    kind: "watch-main bundle",
    argv: (id, ...flags) => [process.execPath, out, ...flags, ...(id ? [id] : [])],
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

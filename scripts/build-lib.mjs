/**
 * Builds what the npm package ships, into git-ignored folders. `npm pack` and `npm publish` run
 * it as prepack, so a tarball never carries a stale build.
 *
 *   lib/       src/ compiled by tsc (tsconfig.build.json): JavaScript with .d.ts types for "dfut"
 *              (lib/index.js) and "dfut/testing" (lib/testing/index.js), the CLI that an installed
 *              bin/dfut.mjs runs (lib/main.js), and the terminal UI of `dfut watch` (lib/tui/,
 *              which lib/cli/watch-ui.js finds as ./ui.mjs).
 *   dist/web/  the web UI that `dfut server` serves (scripts/build-web.mjs); lib/api/static.js
 *              looks for it at ../../dist/web, as src/api/static.ts does in a checkout.
 *
 *   node scripts/build-lib.mjs      (npm run build:lib; any Node that runs tsc and esbuild)
 *
 * A checkout never needs lib/. bin/dfut.mjs runs src/main.ts there. The repo's own
 * `import … from "dfut"` (tests, fixtures, bench: the package naming itself) would resolve
 * through package.json's "exports" to lib/ files that only this build writes, or that an old
 * build left behind; so each entry there first has a "dfut-source" condition naming the source
 * file, which tsc takes ("customConditions" in tsconfig.json), and Node with
 * --conditions=dfut-source (test/support/env.ts for its fixtures, the bench script). vitest
 * aliases dfut and dfut/testing to the same files (vitest.config.ts). Nobody else sets that
 * condition, so an installed dfut resolves to "types" and "default": lib/.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { buildWeb } from "./build-web.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const lib = join(root, "lib");
const started = Date.now();

rmSync(lib, { recursive: true, force: true });
const tsc = join(dirname(createRequire(import.meta.url).resolve("typescript/package.json")), "bin/tsc");
try {
  execFileSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json")], { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
} catch {
  // noEmitOnError: tsc wrote nothing; its errors are above.
  console.error("build-lib: tsc failed; lib/ is not built");
  process.exit(1);
}

// What lib/cli/watch-ui.js imports outside the executable (where it is an embedded bundle).
writeFileSync(join(lib, "cli/ui.mjs"), '// The terminal UI of `dfut watch`, loaded on demand.\nexport * from "../tui/watch.js";\n');

const web = await buildWeb(join(root, "dist/web"));

function tally(dir) {
  let files = 0;
  let bytes = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    files++;
    bytes += statSync(join(entry.parentPath, entry.name)).size;
  }
  return `${files} files, ${(bytes / 1024).toFixed(0)} KB`;
}
// stderr: `npm pack --json` prints its report on stdout.
console.error(
  `build-lib: ${relative(root, lib)}/ (${tally(lib)}), ${relative(root, web)}/ (${tally(web)}) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);

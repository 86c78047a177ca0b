#!/usr/bin/env node
// dfut from a source checkout: src/main.ts through Node's type stripping. Where the sources
// cannot be used (an installed package, whose files Node will not strip), the bundle that
// `node build.mjs` writes to dist/dfut.mjs.
import { existsSync } from "node:fs";
import module from "node:module";

const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 18) || typeof module.registerHooks !== "function") {
  process.stderr.write(`dfut: needs Node 22.18 or newer (this is ${process.version}); or use the single executable dist/dfut\n`);
  process.exit(1);
}

const source = new URL("../src/main.ts", import.meta.url);
const bundle = new URL("../dist/dfut.mjs", import.meta.url);
if (!import.meta.url.includes("/node_modules/") && existsSync(source)) {
  await import(source.href);
} else if (existsSync(bundle)) {
  await import(bundle.href);
} else {
  process.stderr.write("dfut: neither src/main.ts nor dist/dfut.mjs is here; run 'node build.mjs'\n");
  process.exit(1);
}

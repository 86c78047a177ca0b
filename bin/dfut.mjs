#!/usr/bin/env node
// The dfut command of the npm package: lib/main.js, the CLI compiled by scripts/build-lib.mjs
// (npm pack builds it). From a source checkout: src/main.ts through Node's type stripping, with
// no build step. The single executable (node build.mjs) carries its own Node and needs neither.
import { existsSync, readFileSync } from "node:fs";

// The one statement of the Node versions dfut runs on is package.json's "engines" (npm reads it
// there too), e.g. "^22.15.0 || >=23.7.0": module.registerHooks, which loads the user's modules,
// is in 22.15 and 23.5; module.setSourceMapsSupport in 22.14 and 23.7.
const range = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).engines.node;
const version = process.versions.node.split(".").map(Number);
const atLeast = (min) => {
  for (let i = 0; i < 3; i++) if (version[i] !== min[i]) return version[i] > min[i];
  return true;
};
const supported = range.split("||").some((part) => {
  const [, op, ...digits] = /^\s*(\^|>=)\s*(\d+)\.(\d+)\.(\d+)\s*$/.exec(part) ?? [];
  if (op === undefined) throw new Error(`dfut: package.json engines.node ${JSON.stringify(range)}: only ^x.y.z and >=x.y.z joined by || are understood`);
  const min = digits.map(Number);
  return atLeast(min) && (op === ">=" || version[0] === min[0]);
});
if (!supported) {
  process.stderr.write(`dfut: needs Node ${range} (this is ${process.version}); or use the single executable, which brings its own\n`);
  process.exit(1);
}

const source = new URL("../src/main.ts", import.meta.url);
const compiled = new URL("../lib/main.js", import.meta.url);
// Node strips no types under node_modules; a checkout (or an `npm link` to one) is elsewhere.
if (!import.meta.url.includes("/node_modules/") && existsSync(source)) {
  if (!process.features.typescript) {
    process.stderr.write(
      `dfut: running from the sources (${new URL("..", import.meta.url).pathname}) needs Node's type stripping, ` +
        `on by default from Node 22.18 and 23.6 (this is ${process.version}; or set NODE_OPTIONS=--experimental-strip-types)\n`,
    );
    process.exit(1);
  }
  await import(source.href);
} else if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  process.stderr.write("dfut: neither src/main.ts nor lib/main.js is here; run 'npm run build:lib'\n");
  process.exit(1);
}

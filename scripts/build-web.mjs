/**
 * Bundles the web UI (src/web) into <outDir>/index.html, app.js and app.css: minified,
 * self-contained, nothing fetched from elsewhere at run time.
 *
 *   node scripts/build-web.mjs [outDir]     (default dist/web)
 */
import { copyFile, mkdir } from "node:fs/promises";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const web = resolve(root, "src/web");

/** @param {string} outDir */
export async function buildWeb(outDir = "dist/web") {
  const out = resolve(root, outDir);
  await mkdir(out, { recursive: true });
  const common = { bundle: true, minify: true, logLevel: "warning", legalComments: "none" };
  await Promise.all([
    build({
      ...common,
      entryPoints: [resolve(web, "main.tsx")],
      outfile: resolve(out, "app.js"),
      format: "esm",
      platform: "browser",
      target: ["es2022"],
      jsx: "automatic",
      define: { "process.env.NODE_ENV": '"production"' },
    }),
    build({ ...common, entryPoints: [resolve(web, "styles.css")], outfile: resolve(out, "app.css") }),
    copyFile(resolve(web, "index.html"), resolve(out, "index.html")),
  ]);
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = await buildWeb(process.argv[2]);
  console.log(`web UI built into ${out}`);
}

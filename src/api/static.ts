/**
 * The web UI's files: from the executable's SEA assets (web/index.html, web/app.js,
 * web/app.css) when running as the single executable, else from a dist/web folder.
 */
import { existsSync, readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as sea from "node:sea";

export const WEB_ASSETS = ["index.html", "app.js", "app.css"] as const;
export type WebAsset = (typeof WEB_ASSETS)[number];

/** SEA asset key of a web file. */
export const seaAssetKey = (name: WebAsset) => `web/${name}`;

const TYPES: Record<WebAsset, string> = {
  "index.html": "text/html; charset=utf-8",
  "app.js": "text/javascript; charset=utf-8",
  "app.css": "text/css; charset=utf-8",
};

/** Where the built UI may be when not inside the executable, first match wins. */
function candidateDirs(): string[] {
  const here = dirname(fileURLToPath(import.meta.url));
  const dirs = [
    process.env.DFUT_WEB_DIR,
    resolve(here, "../../dist/web"), // src/api/ in the source tree
    resolve(here, "web"), // next to a bundled dist/dfut.mjs
    resolve(process.cwd(), "dist/web"),
  ];
  return dirs.filter((d): d is string => Boolean(d));
}

export interface WebAssets {
  get(name: WebAsset): Buffer | undefined;
  /** Where the files come from, for messages. */
  source: string;
}

export function loadWebAssets(): WebAssets {
  if (sea.isSea()) {
    return {
      source: "the executable",
      get: (name) => {
        try {
          return Buffer.from(sea.getAsset(seaAssetKey(name)));
        } catch {
          return undefined;
        }
      },
    };
  }
  const dir = candidateDirs().find((d) => existsSync(join(d, "index.html"))) ?? candidateDirs()[0];
  return {
    source: dir,
    // Read per request: a rebuilt UI shows without a restart.
    get: (name) => {
      try {
        return readFileSync(join(dir, name));
      } catch {
        return undefined;
      }
    },
  };
}

const SECURITY_HEADERS = {
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
  "Content-Security-Policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
};

/** Serves the SPA: its three files, and index.html for "/". Hash routing needs nothing else. */
export function serveStatic(assets: WebAssets, req: IncomingMessage, res: ServerResponse): void {
  const path = new URL(req.url ?? "/", "http://localhost").pathname;
  const name: WebAsset | undefined = path === "/" ? "index.html" : WEB_ASSETS.find((a) => path === `/${a}`);
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { "Content-Type": "text/plain; charset=utf-8", Allow: "GET, HEAD", ...SECURITY_HEADERS });
    res.end("method not allowed\n");
    return;
  }
  if (!name) {
    res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8", ...SECURITY_HEADERS });
    res.end("not found\n");
    return;
  }
  const body = assets.get(name);
  if (!body) {
    res.writeHead(503, { "Content-Type": "text/plain; charset=utf-8", ...SECURITY_HEADERS });
    res.end(`the web UI is not built (looked in ${assets.source}); run 'npm run build'. The API works without it.\n`);
    return;
  }
  res.writeHead(200, {
    "Content-Type": TYPES[name],
    "Content-Length": body.length,
    "Cache-Control": "no-cache",
    ...SECURITY_HEADERS,
  });
  res.end(req.method === "HEAD" ? undefined : body);
}

/**
 * The web UI's files: from the executable's SEA assets (web/index.html, web/app.js,
 * web/app.css) when running as the single executable, else from a dist/web folder.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as sea from "node:sea";
import { gzipSync } from "node:zlib";

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
  const { etag, gzipped } = encoded(name, body);
  const headers: Record<string, string | number> = {
    "Content-Type": TYPES[name],
    "Cache-Control": "no-cache",
    ETag: etag,
    Vary: "Accept-Encoding",
    ...SECURITY_HEADERS,
  };
  if (req.headers["if-none-match"] === etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const gzip = /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));
  const payload = gzip ? gzipped : body;
  if (gzip) headers["Content-Encoding"] = "gzip";
  headers["Content-Length"] = payload.length;
  res.writeHead(200, headers);
  res.end(req.method === "HEAD" ? undefined : payload);
}

const compressed = new Map<string, { etag: string; gzipped: Buffer }>();

/** The file's ETag and gzip form, computed once per content. */
function encoded(name: WebAsset, body: Buffer): { etag: string; gzipped: Buffer } {
  const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`;
  const cached = compressed.get(name);
  if (cached?.etag === etag) return cached;
  const entry = { etag, gzipped: gzipSync(body) };
  compressed.set(name, entry);
  return entry;
}

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWeb } from "../../scripts/build-web.mjs";
import { startHttpServer, type HttpServer } from "../../src/api/http.ts";
import { seaAssetKey, WEB_ASSETS } from "../../src/api/static.ts";
import { startEnv, type TestEnv } from "../support/env.ts";

let env: TestEnv;
let http: HttpServer;
let webDir: string;
const previous = process.env.DFUT_WEB_DIR;

beforeAll(async () => {
  webDir = mkdtempSync(join(tmpdir(), "dfut-web-"));
  await buildWeb(webDir);
  process.env.DFUT_WEB_DIR = webDir;
  env = await startEnv();
  http = await startHttpServer({ connection: env.connection, addr: "127.0.0.1:0" });
});
afterAll(async () => {
  if (previous === undefined) delete process.env.DFUT_WEB_DIR;
  else process.env.DFUT_WEB_DIR = previous;
  await http?.close();
  await env?.stop();
  rmSync(webDir, { recursive: true, force: true });
});

describe("the web UI's files", () => {
  it("are named for the executable's SEA assets", () => {
    expect(WEB_ASSETS.map(seaAssetKey)).toEqual(["web/index.html", "web/app.js", "web/app.css"]);
  });

  it("are served with their types and a strict content security policy", async () => {
    const index = await fetch(http.url);
    expect(index.status).toBe(200);
    expect(index.headers.get("content-type")).toMatch(/^text\/html/);
    expect(index.headers.get("content-security-policy")).toContain("default-src 'self'");
    const html = await index.text();
    expect(html).toContain('src="app.js"');
    // Nothing from elsewhere: no external fonts, scripts or styles.
    expect(html).not.toMatch(/https?:\/\//);

    const js = await fetch(new URL("app.js", http.url));
    expect(js.headers.get("content-type")).toMatch(/^text\/javascript/);
    // Sent compressed to clients that take gzip (fetch does, and unpacks it).
    expect(js.headers.get("content-encoding")).toBe("gzip");
    expect((await js.text()).length).toBeGreaterThan(10_000);
    const again = await fetch(new URL("app.js", http.url), { headers: { "If-None-Match": js.headers.get("etag") ?? "" } });
    expect(again.status).toBe(304);
    const css = await fetch(new URL("app.css", http.url));
    expect(css.headers.get("content-type")).toMatch(/^text\/css/);
    expect(await css.text()).not.toMatch(/@import|url\(https?:/);
  });

  it("unknown paths are 404 and other methods 405, in plain text", async () => {
    const missing = await fetch(new URL("nope.js", http.url));
    expect(missing.status).toBe(404);
    const post = await fetch(http.url, { method: "POST", body: "x" });
    expect(post.status).toBe(405);
    const unknownRpc = await fetch(new URL("dfut.v1.WorkflowService/NoSuchMethod", http.url), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: "{}",
    });
    expect(unknownRpc.status).toBe(404);
    expect(await unknownRpc.json()).toMatchObject({ code: "unimplemented" });
  });
});

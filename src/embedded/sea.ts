/** The executable's embedded files (Node SEA assets), and where they are unpacked. */
import { chmodSync, existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import * as sea from "node:sea";

/** Written by build.mjs as the asset "manifest.json": content hashes, computed at build time. */
export interface AssetManifest {
  version: string;
  hashes: Record<string, string>;
}

let manifest: AssetManifest | undefined | null;

export function isSea(): boolean {
  return sea.isSea();
}

export function readManifest(): AssetManifest | undefined {
  if (manifest === undefined) manifest = isSea() ? JSON.parse(getTextAsset("manifest.json") ?? "null") : null;
  return manifest ?? undefined;
}

export function hasAsset(name: string): boolean {
  return readManifest()?.hashes[name] !== undefined;
}

export function getTextAsset(name: string): string | undefined {
  if (!isSea()) return undefined;
  try {
    return sea.getAsset(name, "utf8");
  } catch {
    return undefined;
  }
}

function cacheRoot(): string {
  if (process.env.XDG_CACHE_HOME) return join(process.env.XDG_CACHE_HOME, "dfut");
  let home = process.env.HOME;
  if (!home) {
    try {
      home = homedir();
    } catch {
      // No passwd entry for this user: fall through to the temporary directory.
    }
  }
  return home ? join(home, ".cache", "dfut") : join(tmpdir(), `dfut-${process.getuid?.() ?? "user"}`);
}

/** Unpacks an embedded file to <cache>/<hash>/<name> (mode 755) once, and returns its path. */
export function extractAsset(name: string): string {
  const hash = readManifest()?.hashes[name];
  if (!hash) throw new Error(`this dfut executable has no embedded ${name}`);
  const dir = join(cacheRoot(), hash);
  const dest = join(dir, name);
  if (existsSync(dest)) return dest;
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const tmp = `${dest}.${process.pid}.tmp`;
  writeFileSync(tmp, new Uint8Array(sea.getRawAsset(name)), { mode: 0o755 });
  chmodSync(tmp, 0o755);
  // Atomic: several dfut processes may unpack the same file at once.
  renameSync(tmp, dest);
  return dest;
}

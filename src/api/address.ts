/** The `--http` address: host:port, and whether it only listens on this machine. */
import { isIP } from "node:net";
import { InvalidArgumentError } from "../common/errors.ts";

export interface ListenAddress {
  host: string;
  port: number;
}

export const DEFAULT_HTTP_ADDR = "127.0.0.1:8080";

/** Parses "host:port", "[v6]:port" or ":port" (all interfaces). */
export function parseAddress(addr: string): ListenAddress {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(addr.trim());
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) {
    throw new InvalidArgumentError(`invalid HTTP address ${JSON.stringify(addr)}: expected host:port, e.g. ${DEFAULT_HTTP_ADDR}`);
  }
  const host = match[1] ?? match[2];
  return { host: host === "" ? "0.0.0.0" : host, port };
}

/** True for names and addresses that only this machine can reach. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "");
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  if (isIP(h) === 4) return h.startsWith("127.");
  if (isIP(h) === 6) return h === "::1" || h.startsWith("::ffff:127.");
  return false;
}

/** The hostname of a Host header, without port or brackets. */
export function hostOf(hostHeader: string): string {
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(hostHeader) ?? /^([^:]+)(?::\d+)?$/.exec(hostHeader);
  return m ? m[1] : hostHeader;
}

export function formatUrl(host: string, port: number): string {
  const shown = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  return `http://${isIP(shown) === 6 ? `[${shown}]` : shown}:${port}/`;
}

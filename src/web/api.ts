/** The browser's client of dfut.v1.WorkflowService: Connect protocol, JSON, same origin. */
import { Code, ConnectError, createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { WorkflowService } from "../api/gen/dfut/v1/workflow_pb.ts";

const TOKEN_KEY = "dfut.authToken";

export function savedToken(): string {
  try {
    return localStorage.getItem(TOKEN_KEY) ?? "";
  } catch {
    return "";
  }
}

export function saveToken(token: string): void {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    // storage refused (private mode): the token lasts until reload
  }
  memoryToken = token;
}

let memoryToken = savedToken();

const bearer: Interceptor = (next) => (req) => {
  if (memoryToken) req.header.set("Authorization", `Bearer ${memoryToken}`);
  return next(req);
};

export type Api = Client<typeof WorkflowService>;

export const api: Api = createClient(
  WorkflowService,
  createConnectTransport({ baseUrl: window.location.origin, useBinaryFormat: false, interceptors: [bearer] }),
);

/** A message for people: the server's own words, without the "[code]" prefix. */
export function errorText(err: unknown): string {
  if (err instanceof ConnectError) return err.rawMessage || err.message;
  return err instanceof Error ? err.message : String(err);
}

export function needsToken(err: unknown): boolean {
  return err instanceof ConnectError && err.code === Code.Unauthenticated;
}

export function isAbort(err: unknown): boolean {
  return (err instanceof ConnectError && err.code === Code.Canceled) || (err instanceof Error && err.name === "AbortError");
}

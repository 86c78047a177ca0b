/** Talking to the API the way outside callers do: raw Connect JSON over fetch, or a Connect client. */
import { createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { WorkflowService } from "../../src/api/gen/dfut/v1/workflow_pb.ts";

export const SERVICE_PATH = "dfut.v1.WorkflowService";

export interface RpcReply {
  status: number;
  body: Record<string, unknown>;
}

/** One unary call in the Connect protocol with JSON, as curl would make it. */
export async function rpc(baseUrl: string, method: string, body: unknown, headers: Record<string, string> = {}): Promise<RpcReply> {
  const res = await fetch(new URL(`${SERVICE_PATH}/${method}`, baseUrl), {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

export function client(baseUrl: string, token?: string): Client<typeof WorkflowService> {
  const transport = createConnectTransport({
    baseUrl,
    httpVersion: "1.1",
    interceptors: token
      ? [
          (next) => (req) => {
            req.header.set("Authorization", `Bearer ${token}`);
            return next(req);
          },
        ]
      : [],
  });
  return createClient(WorkflowService, transport);
}

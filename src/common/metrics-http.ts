/** `/metrics` on an address of its own (`dfut worker --metrics host:port`). */
import { createServer } from "node:http";
import { formatUrl, parseAddress } from "../api/address.ts";
import { DfutError } from "./errors.ts";
import { metrics, PROMETHEUS_CONTENT_TYPE } from "./metrics.ts";

export interface MetricsEndpoint {
  /** The scrape URL. */
  url: string;
  close(): Promise<void>;
}

export async function serveMetrics(address: string): Promise<MetricsEndpoint> {
  const { host, port } = parseAddress(address);
  const server = createServer((req, res) => {
    if (req.method !== "GET" || (req.url ?? "").split("?")[0] !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found: metrics are at /metrics\n");
      return;
    }
    metrics.render().then(
      (text) => res.writeHead(200, { "content-type": PROMETHEUS_CONTENT_TYPE }).end(text),
      (err: unknown) => res.writeHead(500, { "content-type": "text/plain" }).end(`metrics failed: ${(err as Error)?.message ?? err}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) =>
      reject(new DfutError("invalid_argument", `cannot serve metrics on ${address}: ${err.code === "EADDRINUSE" ? "the address is in use" : err.message}`)),
    );
    server.listen(port, host, resolve);
  });
  const bound = server.address();
  const boundPort = typeof bound === "object" && bound ? bound.port : port;
  return {
    url: `${formatUrl(host, boundPort)}metrics`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

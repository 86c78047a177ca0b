/** A nats-server started from a configuration file, for what flags cannot say: authorization, TLS. */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findNatsServer, freePort } from "./nats-server.ts";

export interface ConfiguredNats {
  url: string;
  stop(): Promise<void>;
}

/** `config` is the body of a nats-server configuration; a loopback port and JetStream are added. */
export async function startConfiguredNats(config: string): Promise<ConfiguredNats> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "dfut-nats-conf-"));
  const file = join(dir, "nats.conf");
  writeFileSync(file, `listen: "127.0.0.1:${port}"\njetstream { store_dir: ${JSON.stringify(join(dir, "store"))} }\n${config}\n`);
  const child = spawn(findNatsServer(), ["-c", file], { stdio: ["ignore", "ignore", "pipe"] });
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  let log = "";
  await new Promise<void>((resolve, reject) => {
    child.stderr.on("data", (d) => {
      log += d;
      if (log.includes("Server is ready")) resolve();
    });
    void exited.then((code) => reject(new Error(`nats-server -c ${file} exited with ${code}:\n${log}`)));
  });
  return {
    url: `nats://127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

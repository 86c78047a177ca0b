/** bin/dfut.mjs: dfut from the TypeScript sources, with no build step. */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { NatsServer } from "../support/nats-server.ts";
import { ROOT, run, start, type Background } from "./dfut.ts";
import { writeUserProject } from "./user-module.ts";

const bin = join(ROOT, "bin/dfut.mjs");
let nats: NatsServer;
let userDir: string;
const background: Background[] = [];

beforeAll(async () => {
  nats = await NatsServer.start();
  userDir = writeUserProject();
});

afterAll(async () => {
  await Promise.all(background.map((b) => b.stop()));
  await nats?.stop();
  if (userDir) rmSync(userDir, { recursive: true, force: true });
});

it("runs server, worker and start from source, loading a TypeScript user module", async () => {
  const server = start(process.execPath, [bin, "server", "--nats", nats.url, "--no-http"]);
  background.push(server);
  await server.waitFor("dfut server ready");
  const worker = start(process.execPath, [bin, "worker", "--load", join(userDir, "paint.ts"), "--nats", nats.url]);
  background.push(worker);
  await worker.waitFor("activities:");
  const { code, stdout, stderr } = await run(process.execPath, [bin, "start", "PaintWorkflow", "Red", "--wait", "--nats", nats.url]);
  expect(stderr).toBe("");
  expect(code).toBe(0);
  expect(JSON.parse(stdout.trim().split("\n")[1])).toBe("PAINTED RED!");
  expect(await worker.stop("SIGTERM")).toBe(0);
});

// The dfut server in its own process, for the benchmark when dist/dfut is not built:
//   node bench/server-main.ts <nats-url>
import { DfutServer } from "dfut";
import { silentLogger } from "../src/common/logger.ts";

const [url] = process.argv.slice(2);
const server = await DfutServer.start({ connection: { servers: url, name: "dfut-server" }, logger: silentLogger });
process.stderr.write("server ready\n");
process.on("SIGTERM", () => void server.stop().finally(() => process.exit(0)));
// The bench asks for a memory breakdown with SIGUSR2.
process.on("SIGUSR2", () => process.stderr.write(`memory ${JSON.stringify(process.memoryUsage())}\n`));

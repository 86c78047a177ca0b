// One worker in its own process, for the benchmark when dist/dfut is not built:
//   node bench/worker-main.ts <nats-url>
import { Worker } from "dfut";
import { silentLogger } from "../src/common/logger.ts";
import { BenchFanOutWorkflow, BenchLongWorkflow, BenchOrderWorkflow, chargeCard, shipPackage, step } from "./workload.ts";

const [url] = process.argv.slice(2);
const worker = await Worker.create({
  connection: { servers: url, name: "dfut-worker" },
  workflows: [BenchOrderWorkflow, BenchLongWorkflow, BenchFanOutWorkflow],
  activities: [chargeCard, shipPackage, step],
  logger: silentLogger,
});
process.stderr.write("worker ready\n");
process.on("SIGTERM", () => void worker.stop().finally(() => process.exit(0)));
// The bench asks for a memory breakdown with SIGUSR2.
process.on("SIGUSR2", () => process.stderr.write(`memory ${JSON.stringify(process.memoryUsage())}\n`));

import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { Option, type Command } from "commander";
import type { DfutClient } from "../../client/client.ts";
import type { HistoryEvent, WorkflowStatus } from "../../common/events.ts";
import { eventProblem } from "../../common/event-codec.ts";
import type { RecordedHistory, ReplayResult } from "../../replay/replay-histories.ts";
import { parsePositiveInt } from "../args.ts";
import { ExitCode, UsageError } from "../errors.ts";
import { outputOption, type GlobalOptions, type OutputFormat } from "../globals.ts";
import { printJson, printLine } from "../output.ts";
import { withClient } from "../session.ts";

interface ReplayCliOptions extends GlobalOptions {
  load: string[];
  file: string[];
  type?: string;
  status?: WorkflowStatus;
  limit: number;
  argumentMismatch: "warn" | "fail";
  output: OutputFormat;
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function replayCommand(program: Command): void {
  program
    .command("replay")
    .description("replay recorded histories against the code in a module, appending nothing; exit 1 when one does not replay")
    .argument("[workflowIds...]", "workflows whose current run to replay (read from NATS)")
    .requiredOption("--load <module>", "the workflow code to check (.ts or .js); repeat for several", collect, [])
    .option("--file <path>", "a history saved with 'dfut history <id> -o json', or a folder of them; repeat for several", collect, [])
    .option("--type <workflowType>", "replay every recorded history of this workflow type (from NATS)")
    .addOption(new Option("--status <status>", "with --type: only those with this status").choices(["running", "completed", "failed", "canceled", "terminated"]))
    .option("--limit <n>", "with --type: at most this many, newest first", parsePositiveInt("--limit"), 100)
    .addOption(new Option("--argument-mismatch <what>", "an activity replayed with other arguments than recorded").choices(["warn", "fail"]).default("warn"))
    .addOption(outputOption())
    .addHelpText(
      "after",
      "\nIn CI, before deploying new workflow code:\n" +
        "  dfut replay --load ./workflows.ts --type OrderWorkflow --limit 200\n" +
        "  dfut replay --load ./workflows.ts --file test/histories/        # histories kept in the repository",
    )
    .action(async (workflowIds: string[], _options: ReplayCliOptions, command: Command) => {
      const options = command.optsWithGlobals<ReplayCliOptions>();
      if (workflowIds.length === 0 && options.file.length === 0 && !options.type) {
        throw new UsageError("name what to replay: workflow ids, --file <history.json|folder> or --type <WorkflowType>");
      }
      if (options.status && !options.type) throw new UsageError("--status goes with --type");
      const files = options.file.flatMap(historyFiles).map(readHistoryFile);
      const { replayHistories } = await import("../../replay/replay-histories.ts");
      const { loadUserModules } = await import("../../loader/user-module.ts");
      const sdk = await import("../../index.ts");
      const { workflows } = await loadUserModules(options.load, sdk);
      if (Object.keys(workflows).length === 0) throw new UsageError(`${options.load.join(", ")} export no workflows (functions whose names end in Workflow, or defineWorkflow)`);
      const fromNats = workflowIds.length > 0 || options.type !== undefined;
      const histories = fromNats ? await withClient(options, (client) => natsHistories(client, workflowIds, options)) : [];
      const results = await replayHistories([...files, ...histories], { workflows, argumentMismatch: options.argumentMismatch });
      if (options.output === "json") printJson(results);
      else printReport(results);
      if (results.length === 0) throw new UsageError("nothing to replay: no recorded history matched");
      if (results.some((r) => !r.ok)) throw new ExitCode(1);
    });
}

async function natsHistories(client: DfutClient, workflowIds: string[], options: ReplayCliOptions): Promise<RecordedHistory[]> {
  const ids = [...workflowIds];
  if (options.type) {
    const records = await client.list({ workflowType: options.type, status: options.status, limit: options.limit });
    ids.push(...records.map((r) => r.workflowId));
  }
  const histories: RecordedHistory[] = [];
  for (const workflowId of ids) histories.push({ workflowId, events: await client.history(workflowId) });
  return histories;
}

function historyFiles(path: string): string[] {
  let stats;
  try {
    stats = statSync(path);
  } catch {
    throw new UsageError(`--file ${path}: no such file or folder`);
  }
  if (!stats.isDirectory()) return [path];
  const files = readdirSync(path).filter((f) => f.endsWith(".json")).sort().map((f) => join(path, f));
  if (files.length === 0) throw new UsageError(`--file ${path}: the folder has no .json files`);
  return files;
}

/** A history saved with `dfut history <id> -o json`; its workflow id is the file's name. */
function readHistoryFile(path: string): RecordedHistory {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new UsageError(`--file ${path}: not JSON (${(err as Error).message}); save a history with 'dfut history <id> -o json > file.json'`);
  }
  if (!Array.isArray(value)) throw new UsageError(`--file ${path}: not a history (a JSON array of events, as 'dfut history <id> -o json' prints)`);
  value.forEach((event, i) => {
    const problem = eventProblem(event);
    if (problem) throw new UsageError(`--file ${path}: element ${i} is not an event: ${problem}`);
    if (!Number.isSafeInteger((event as { seq?: unknown }).seq)) throw new UsageError(`--file ${path}: element ${i} has no seq`);
  });
  return { workflowId: basename(path, ".json"), events: value as HistoryEvent[], source: path };
}

function printReport(results: ReplayResult[]): void {
  for (const r of results) {
    const what = `${r.workflowId}${r.runId ? ` run ${r.runId}` : ""}${r.workflowType ? ` (${r.workflowType}, ${r.events} events)` : ""}`;
    printLine(`${r.ok ? "ok  " : "FAIL"} ${what}`);
    for (const warning of r.warnings) printLine(`     warning: ${warning}`);
    if (!r.failure) continue;
    const d = r.failure.divergence;
    if (d?.seq !== undefined) {
      printLine(`     at event seq ${d.seq}: the history records ${d.recorded}; the code now ${d.produced ? `does ${d.produced}` : "differs"}`);
      if (d.location) printLine(`     code: ${d.location}`);
    }
    printLine(`     ${r.failure.name}: ${r.failure.message}`);
  }
  const failed = results.filter((r) => !r.ok).length;
  printLine(`${results.length} replayed: ${results.length - failed} ok${failed ? `, ${failed} failed` : ""}`);
}

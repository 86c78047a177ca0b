/** `dfut schedule create|list|describe|pause|resume|trigger|delete`: a thin layer over ScheduleClient. */
import { Option, type Command } from "commander";
import type { DfutClient } from "../../client/client.ts";
import type { ScheduleClient, ScheduleDescription } from "../../client/schedules.ts";
import { durationMs, formatDurationMs } from "../../common/duration.ts";
import { DEFAULT_QUEUE } from "../../common/names.ts";
import { OVERLAP_POLICIES, parseSpec, type OverlapPolicy } from "../../common/schedule-spec.ts";
import { checkWorkflowType, type TypeCheckHints } from "../../common/type-check.ts";
import { compactJson, shorten } from "../../tui/format.ts";
import { parseArg, parseInput } from "../args.ts";
import { UsageError } from "../errors.ts";
import { outputOption, type GlobalOptions, type OutputFormat } from "../globals.ts";
import { printJson, printLine, remainingWidth, table } from "../output.ts";
import { withClient } from "../session.ts";

interface OutputOptions extends GlobalOptions {
  output: OutputFormat;
}

interface CreateCliOptions extends OutputOptions {
  cron?: string;
  every?: number;
  overlap: OverlapPolicy;
  catchupWindow?: number;
  jitter?: number;
  paused?: boolean;
  note?: string;
  timezone?: string;
  queue: string;
  input?: string;
  typeCheck: boolean;
}

const CLI_HINTS: TypeCheckHints = {
  useQueue: (queue) => `pass --queue ${queue}`,
  skip: "pass --no-type-check",
};

function durationOption(name: string): (text: string) => number {
  return (text) => {
    const ms = durationMs(text);
    if (ms === undefined) throw new UsageError(`${name} must be a duration such as 30s, 5m, 1h or 1d; not ${JSON.stringify(text)}`);
    return ms;
  };
}

/** The schedule SDK over the command's client (loaded here: `dfut --help` needs no NATS client). */
async function withSchedules<T>(options: GlobalOptions, run: (schedules: ScheduleClient, client: DfutClient) => Promise<T>): Promise<T> {
  const { ScheduleClient } = await import("../../client/schedules.ts");
  return withClient(options, (client) => run(new ScheduleClient(client.connection), client));
}

export function scheduleCommand(program: Command): void {
  const schedule = program
    .command("schedule")
    .description("create, list, describe, pause, resume, trigger and delete schedules that dfut server fires")
    .addHelpText(
      "after",
      "\nExamples:\n" +
        "  dfut schedule create nightly --cron \"0 3 * * *\" --timezone Europe/Berlin -- BatchWorkflow 100 10\n" +
        "  dfut schedule create heartbeat --every 5m --overlap buffer-one -- OrderWorkflow Bob widget-1 10 1\n" +
        "  dfut schedule describe nightly",
    );

  schedule
    .command("create")
    .description("create a schedule that starts a workflow on a cron expression or at a fixed interval")
    .argument("<scheduleId>", "the schedule's id (letters, digits, - and _); its workflows are <scheduleId>-<yyyymmddThhmmssZ>")
    .argument("<workflowType>", "the workflow each fire starts, e.g. OrderWorkflow")
    .argument("[args...]", "its arguments (after --): each is JSON where it parses, else a string")
    .option("--cron <expression>", 'five fields: minute hour day-of-month month day-of-week, e.g. "0 3 * * MON-FRI"')
    .option("--every <duration>", "a fixed interval of whole seconds, aligned to the epoch: 30s, 5m, 1h, 1d", durationOption("--every"))
    .addOption(
      new Option("--overlap <policy>", "a fire while the last started workflow still runs: skip it, buffer one, or allow all")
        .choices([...OVERLAP_POLICIES])
        .default("skip"),
    )
    .option("--catchup-window <duration>", "after dfut server was down, fires this recent still happen; older ones are skipped (default 1m)", durationOption("--catchup-window"))
    .option("--jitter <duration>", "start each fire up to this much after its time (a fixed offset per fire)", durationOption("--jitter"))
    .option("--timezone <zone>", "the IANA time zone the cron fields are read in (default UTC)")
    .option("--paused", "create it paused")
    .option("--note <text>", "a note, shown by describe (why it is paused, who owns it)")
    .option("--queue <queue>", "task queue", DEFAULT_QUEUE)
    .option("--input <json>", "all arguments as one JSON array, instead of [args...]")
    .option("--no-type-check", "create it even when no running worker has registered the workflow type")
    .addOption(outputOption())
    .addHelpText(
      "after",
      "\nPut -- before the workflow type, so that its arguments are never read as options.\n" +
        "\nExamples:\n" +
        "  dfut schedule create nightly --cron \"0 3 * * *\" --timezone Europe/Berlin -- BatchWorkflow 100 10\n" +
        "  dfut schedule create every-5m --every 5m --jitter 30s --overlap allow-all -- OrderWorkflow Bob widget-1 10 1",
    )
    .action(async (scheduleId: string, workflowType: string, rawArgs: string[], _options: CreateCliOptions, command: Command) => {
      const options = command.optsWithGlobals<CreateCliOptions>();
      if (options.cron !== undefined && options.every !== undefined) throw new UsageError("pass either --cron or --every, not both");
      if (options.cron === undefined && options.every === undefined) {
        throw new UsageError('a schedule needs --cron "<expression>" or --every <duration>');
      }
      if (options.input !== undefined && rawArgs.length > 0) {
        throw new UsageError("pass the arguments either after the workflow type or with --input, not both");
      }
      const args = options.input !== undefined ? parseInput(options.input) : rawArgs.map((a, i) => parseArg(a, `argument ${i + 1}`));
      // A bad spec is refused before NATS is asked anything.
      parseSpec({ cron: options.cron, every: options.every, timezone: options.timezone, jitter: options.jitter });
      await withSchedules(options, async (schedules, client) => {
        if (options.typeCheck) await checkWorkflowType(client, workflowType, options.queue, CLI_HINTS);
        const created = await schedules.create(scheduleId, {
          spec: { cron: options.cron, every: options.every, timezone: options.timezone, jitter: options.jitter },
          workflow: workflowType,
          args,
          queue: options.queue,
          overlap: options.overlap,
          catchupWindow: options.catchupWindow,
          paused: options.paused,
          note: options.note,
        });
        if (options.output === "json") return printJson(created);
        const next = created.nextFires[0];
        printLine(
          `created schedule ${scheduleId}: ${created.specText}${created.paused ? ", paused" : next ? `, first fire ${timeText(next, created.spec.timezone)}` : ""}`,
        );
      });
    });

  schedule
    .command("list")
    .description("list schedules")
    .addOption(outputOption())
    .action(async (_options: OutputOptions, command: Command) => {
      const options = command.optsWithGlobals<OutputOptions>();
      await withSchedules(options, async (schedules) => {
        const all = await schedules.list();
        if (options.output === "json") return printJson(all);
        if (all.length === 0) return printLine("no schedules");
        const t = table(["schedule id", "spec", "workflow", "state", "next fire", "last run"]);
        for (const s of all) {
          if (s.problem) t.push([s.scheduleId, "", "", s.problem, "", ""]);
          else t.push([s.scheduleId, s.specText, s.workflowType, s.paused ? "paused" : "active", s.nextFire ? timeText(s.nextFire) : "", s.lastRun?.workflowId ?? ""]);
        }
        printLine(t.toString());
      });
    });

  schedule
    .command("describe")
    .description("show a schedule's spec, state, next fire times, recent runs and skipped fires")
    .argument("<scheduleId>", "the schedule's id")
    .addOption(outputOption())
    .action(async (scheduleId: string, _options: OutputOptions, command: Command) => {
      const options = command.optsWithGlobals<OutputOptions>();
      await withSchedules(options, async (schedules) => {
        const d = await schedules.describe(scheduleId);
        if (options.output === "json") return printJson(d);
        printDescription(d);
      });
    });

  schedule
    .command("pause")
    .description("stop a schedule firing until it is resumed (trigger still starts a run)")
    .argument("<scheduleId>", "the schedule's id")
    .option("--note <text>", "why it is paused, shown by describe")
    .addOption(outputOption())
    .action(async (scheduleId: string, _options: OutputOptions & { note?: string }, command: Command) => {
      const options = command.optsWithGlobals<OutputOptions & { note?: string }>();
      await withSchedules(options, async (schedules) => {
        await schedules.pause(scheduleId, options.note);
        if (options.output === "json") return printJson({ scheduleId, paused: true, ...(options.note !== undefined ? { note: options.note } : {}) });
        printLine(`paused schedule ${scheduleId}`);
      });
    });

  schedule
    .command("resume")
    .description("let a paused schedule fire again from now on (fires that fell in the pause are not caught up)")
    .argument("<scheduleId>", "the schedule's id")
    .option("--note <text>", "a note to keep (default: the pause's note is cleared)")
    .addOption(outputOption())
    .action(async (scheduleId: string, _options: OutputOptions & { note?: string }, command: Command) => {
      const options = command.optsWithGlobals<OutputOptions & { note?: string }>();
      await withSchedules(options, async (schedules) => {
        await schedules.resume(scheduleId, options.note);
        if (options.output === "json") return printJson({ scheduleId, paused: false });
        printLine(`resumed schedule ${scheduleId}`);
      });
    });

  schedule
    .command("trigger")
    .description("start one run of a schedule's workflow now, paused or not; prints its workflow id")
    .argument("<scheduleId>", "the schedule's id")
    .addOption(outputOption())
    .action(async (scheduleId: string, _options: OutputOptions, command: Command) => {
      const options = command.optsWithGlobals<OutputOptions>();
      await withSchedules(options, async (schedules) => {
        const run = await schedules.trigger(scheduleId);
        if (options.output === "json") return printJson(run);
        printLine(run.workflowId);
      });
    });

  schedule
    .command("delete")
    .description("delete a schedule; the workflows it started are left as they are")
    .argument("<scheduleId>", "the schedule's id")
    .addOption(outputOption())
    .action(async (scheduleId: string, _options: OutputOptions, command: Command) => {
      const options = command.optsWithGlobals<OutputOptions>();
      await withSchedules(options, async (schedules) => {
        await schedules.delete(scheduleId);
        if (options.output === "json") return printJson({ scheduleId, deleted: true });
        printLine(`deleted schedule ${scheduleId}`);
      });
    });

  // Errors of the subcommands are printed once, by main, as one line.
  for (const sub of schedule.commands) sub.exitOverride().configureOutput({ outputError: () => undefined });
}

function printDescription(d: ScheduleDescription): void {
  const width = remainingWidth([16], 40) - 4;
  const zone = d.spec.timezone;
  const rows: [string, string][] = [
    ["schedule id", d.scheduleId],
    ["spec", d.specText],
    ["workflow", shorten(`${d.action.workflowType}(${d.action.args.map(compactJson).join(", ")}) queue=${d.action.queue}`, width)],
    ["overlap", d.policies.overlap],
    ["catch-up window", formatDurationMs(d.policies.catchupWindowMs)],
    ["state", d.paused ? "paused" : "active"],
  ];
  if (d.note) rows.push(["note", shorten(d.note, width)]);
  rows.push(["next fires", d.nextFires.map((t) => timeText(t, zone)).join("\n") + (d.paused ? "\n(while paused, none of these fires)" : "")]);
  if (d.buffered) rows.push(["buffered", `${d.buffered.workflowId} (starts when the running one closes)`]);
  rows.push(["started", String(d.counters.started)]);
  rows.push(["skipped", `${d.counters.missedCatchup} missed the catch-up window, ${d.counters.overlapSkipped} overlapped`]);
  if (d.counters.failedStarts > 0) rows.push(["failed starts", String(d.counters.failedStarts)]);
  const t = table([]);
  for (const [k, v] of rows) t.push({ [k]: v });
  printLine(t.toString());
  if (d.recentRuns.length === 0) return printLine("no runs yet");
  const runs = table(["nominal time", "workflow id", "status"]);
  for (const r of d.recentRuns) {
    runs.push([r.manual ? `${timeText(r.nominal, zone)} (trigger)` : timeText(r.nominal, zone), r.workflowId, r.error ? `${r.status}: ${shorten(r.error, 40)}` : r.status]);
  }
  printLine(runs.toString());
}

/** "2025-01-02 03:00:00Z", with the wall-clock time of the schedule's zone when it has one. */
function timeText(iso: string, zone?: string): string {
  const utc = `${iso.slice(0, 10)} ${iso.slice(11, 19)}Z`;
  if (!zone) return utc;
  const local = new Intl.DateTimeFormat("sv-SE", { timeZone: zone, dateStyle: "short", timeStyle: "medium" }).format(new Date(iso));
  return `${utc} (${local} ${zone})`;
}

/**
 * Checks recorded histories against workflow code, appending nothing: each run is fed to a fresh
 * execution of the code, as a worker with a cold cache would, and any divergence is reported
 * with the event it concerns, what the history records, what the code does now and where. Meant
 * for CI before a deploy (`dfut replay`) and for tests (`replayHistories`).
 */
import { NonDeterminismError, toErrorInfo, type Divergence } from "../common/errors.ts";
import type { HistoryEvent } from "../common/events.ts";
import type { WorkflowFunction } from "../workflow/definitions.ts";
import { WorkflowExecution } from "../workflow/execution.ts";

export interface RecordedHistory {
  workflowId: string;
  /** The run's events in order, from its WorkflowStarted (several runs one after another are split). */
  events: HistoryEvent[];
  /** Where it came from, for the report (a file). */
  source?: string;
}

export interface ReplayOptions {
  workflows: Record<string, WorkflowFunction> | ReadonlyMap<string, WorkflowFunction>;
  /** An activity replayed with other arguments than recorded: "warn" (default) reports it, "fail" fails the replay. */
  argumentMismatch?: "warn" | "fail";
}

export interface ReplayResult {
  workflowId: string;
  runId?: string;
  workflowType?: string;
  source?: string;
  events: number;
  ok: boolean;
  /** Why it does not replay: the divergence, or what kept it from replaying at all. */
  failure?: { name: string; message: string; divergence?: Divergence };
  warnings: string[];
}

/** Replays every run of every history; never throws for a history that does not replay. */
export async function replayHistories(histories: Iterable<RecordedHistory> | AsyncIterable<RecordedHistory>, options: ReplayOptions): Promise<ReplayResult[]> {
  const workflows = options.workflows instanceof Map ? options.workflows : new Map(Object.entries(options.workflows));
  const results: ReplayResult[] = [];
  for await (const history of histories) {
    for (const run of splitRuns(history.events)) results.push(await replayRun({ ...history, events: run }, workflows, options));
  }
  return results;
}

/** The runs of a history, each from its WorkflowStarted (what comes before the first start is kept as a run of its own). */
function splitRuns(events: HistoryEvent[]): HistoryEvent[][] {
  const runs: HistoryEvent[][] = [];
  for (const event of events) {
    if (event.type === "WorkflowStarted" || runs.length === 0) runs.push([]);
    runs.at(-1)!.push(event);
  }
  return runs.length > 0 ? runs : [[]];
}

async function replayRun(history: RecordedHistory, workflows: ReadonlyMap<string, WorkflowFunction>, options: ReplayOptions): Promise<ReplayResult> {
  const { workflowId, events, source } = history;
  const base = { workflowId, events: events.length, warnings: [] as string[], ...(source ? { source } : {}) };
  const [started] = events;
  if (started?.type !== "WorkflowStarted") {
    const first = started ? `its first event is ${started.type} (seq ${started.seq})` : "it has no events";
    return { ...base, ok: false, failure: { name: "NotAHistory", message: `not a workflow history: ${first}, not WorkflowStarted` } };
  }
  const run = { ...base, runId: String(started.seq), workflowType: started.workflowType };
  const fn = workflows.get(started.workflowType);
  if (!fn) {
    const known = [...workflows.keys()];
    return {
      ...run,
      ok: false,
      failure: { name: "UnknownWorkflowType", message: `the loaded code has no workflow ${started.workflowType} (it has: ${known.join(", ") || "none"})` },
    };
  }
  let stray: Error | undefined;
  const execution = new WorkflowExecution(workflowId, fn, started, {
    captureLocations: true,
    argumentMismatch: options.argumentMismatch ?? "warn",
    onWarning: (message) => run.warnings.push(message),
    onStray: (error) => (stray ??= error),
  });
  try {
    await execution.apply(events);
    if (stray) throw stray;
    return { ...run, ok: true };
  } catch (err) {
    const info = toErrorInfo(err);
    return {
      ...run,
      ok: false,
      failure: { name: info.name, message: info.message, ...(err instanceof NonDeterminismError ? { divergence: err.divergence } : {}) },
    };
  }
}

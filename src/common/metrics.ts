/**
 * Prometheus metrics of this process (server, worker, or both in `dfut dev`), in the text
 * exposition format. Counters and histograms are kept in memory; gauges that cost a request
 * (task queue backlogs) are read when scraped. One registry per process: `metrics`.
 */
type Labels = Readonly<Record<string, string>>;

/** A series' key: its label names and values (callers pass a metric's labels in one order). */
function key(labels: Labels): string {
  let k = "";
  for (const name in labels) k += `${name}\u0000${labels[name]}\u0001`;
  return k;
}

function formatLabels(labels: Labels, extra?: [string, string]): string {
  const entries = Object.entries(labels);
  if (extra) entries.push(extra);
  if (entries.length === 0) return "";
  const escape = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
  return `{${entries.map(([k, v]) => `${k}="${escape(v)}"`).join(",")}}`;
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  return String(value);
}

abstract class Metric {
  readonly name: string;
  readonly help: string;
  abstract readonly type: "counter" | "gauge" | "histogram";
  constructor(name: string, help: string) {
    this.name = name;
    this.help = help;
  }
  abstract lines(): Promise<string[]> | string[];
}

export class Counter extends Metric {
  readonly type = "counter";
  readonly #values = new Map<string, { labels: Labels; value: number }>();

  inc(labels: Labels = {}, by = 1): void {
    const k = key(labels);
    const entry = this.#values.get(k);
    if (entry) entry.value += by;
    else this.#values.set(k, { labels, value: by });
  }

  /** The current value for these labels (for tests and summaries). */
  value(labels: Labels = {}): number {
    return this.#values.get(key(labels))?.value ?? 0;
  }

  lines(): string[] {
    return [...this.#values.values()].map(({ labels, value }) => `${this.name}${formatLabels(labels)} ${formatValue(value)}`);
  }
}

/** Seconds; buckets from 1 ms to 1 min. */
const DEFAULT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export class Histogram extends Metric {
  readonly type = "histogram";
  readonly #buckets: readonly number[];
  readonly #values = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();

  constructor(name: string, help: string, buckets: readonly number[] = DEFAULT_BUCKETS) {
    super(name, help);
    this.#buckets = buckets;
  }

  observe(seconds: number, labels: Labels = {}): void {
    if (!Number.isFinite(seconds)) return;
    // A latency from two clocks (a message's stored time, this process's) can come out a hair below 0.
    seconds = Math.max(0, seconds);
    const k = key(labels);
    let entry = this.#values.get(k);
    if (!entry) this.#values.set(k, (entry = { labels, counts: this.#buckets.map(() => 0), sum: 0, count: 0 }));
    // Counted in the first bucket it fits (the cumulative counts are summed when rendered).
    let i = 0;
    while (i < this.#buckets.length && seconds > this.#buckets[i]) i++;
    if (i < this.#buckets.length) entry.counts[i]++;
    entry.sum += seconds;
    entry.count++;
  }

  /** How many observations these labels have (for tests and summaries). */
  count(labels: Labels = {}): number {
    return this.#values.get(key(labels))?.count ?? 0;
  }

  lines(): string[] {
    const out: string[] = [];
    for (const { labels, counts, sum, count } of this.#values.values()) {
      let cumulative = 0;
      for (const [i, bound] of this.#buckets.entries()) {
        cumulative += counts[i];
        out.push(`${this.name}_bucket${formatLabels(labels, ["le", String(bound)])} ${cumulative}`);
      }
      out.push(`${this.name}_bucket${formatLabels(labels, ["le", "+Inf"])} ${count}`);
      out.push(`${this.name}_sum${formatLabels(labels)} ${formatValue(sum)}`);
      out.push(`${this.name}_count${formatLabels(labels)} ${count}`);
    }
    return out;
  }
}

/** A gauge whose values are read when scraped: one collect function per source (a worker, a server). */
export class Gauge extends Metric {
  readonly type = "gauge";
  readonly #sources = new Set<() => Promise<[Labels, number][]> | [Labels, number][]>();

  /** Adds a source of values; returns the function that removes it (when its owner stops). */
  collect(source: () => Promise<[Labels, number][]> | [Labels, number][]): () => void {
    this.#sources.add(source);
    return () => this.#sources.delete(source);
  }

  async lines(): Promise<string[]> {
    // Two sources may see the same series (two workers of one queue in a process): one line each.
    const series = new Map<string, string>();
    for (const source of this.#sources) {
      const values = await Promise.resolve(source()).catch(() => [] as [Labels, number][]);
      for (const [labels, value] of values) series.set(key(labels), `${this.name}${formatLabels(labels)} ${formatValue(value)}`);
    }
    return [...series.values()];
  }
}

export class MetricsRegistry {
  readonly #metrics: Metric[] = [];

  #add<M extends Metric>(metric: M): M {
    this.#metrics.push(metric);
    return metric;
  }
  counter(name: string, help: string): Counter {
    return this.#add(new Counter(name, help));
  }
  histogram(name: string, help: string, buckets?: readonly number[]): Histogram {
    return this.#add(new Histogram(name, help, buckets));
  }
  gauge(name: string, help: string): Gauge {
    return this.#add(new Gauge(name, help));
  }

  /** Everything, in the Prometheus text format (version 0.0.4). */
  async render(): Promise<string> {
    const out: string[] = [];
    for (const metric of this.#metrics) {
      const lines = await metric.lines();
      if (lines.length === 0) continue;
      out.push(`# HELP ${metric.name} ${metric.help}`, `# TYPE ${metric.name} ${metric.type}`, ...lines);
    }
    return `${out.join("\n")}\n`;
  }
}

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export const metrics = new MetricsRegistry();

/** dfut's metrics: what the server and workers record. Listed with alerts in docs/OPERATIONS.md. */
export const dfutMetrics = {
  workflowsStarted: metrics.counter("dfut_workflows_started_total", "Runs of workflows started (dfut server sees each start once), by workflow type."),
  workflowsClosed: metrics.counter("dfut_workflows_closed_total", "Runs closed, by workflow type and status (completed, failed, canceled, terminated, continued)."),
  workflowTaskScheduleToStart: metrics.histogram(
    "dfut_workflow_task_schedule_to_start_seconds",
    "From a workflow task's publication to a worker taking it, by queue.",
  ),
  workflowTaskDuration: metrics.histogram("dfut_workflow_task_duration_seconds", "Time a worker spends on one workflow task (replay, code, appends), by queue."),
  workflowTaskFailures: metrics.counter("dfut_workflow_task_failures_total", "Workflow tasks whose code failed (non-determinism, a bug), by workflow type."),
  activityScheduleToStart: metrics.histogram(
    "dfut_activity_schedule_to_start_seconds",
    "From an activity attempt's task publication to a worker starting it, by activity type.",
  ),
  activityStartToClose: metrics.histogram("dfut_activity_start_to_close_seconds", "Duration of one activity attempt, by activity type and outcome."),
  activityAttempts: metrics.counter("dfut_activity_attempts_total", "Activity attempts, by activity type and outcome (completed, failed, retried)."),
  cacheHits: metrics.counter("dfut_workflow_cache_hits_total", "Workflow tasks whose run was in the worker's cache."),
  cacheMisses: metrics.counter("dfut_workflow_cache_misses_total", "Workflow tasks that had to rebuild their run from history."),
  cacheSize: metrics.gauge("dfut_workflow_cache_size", "Runs in a worker's cache, by queue."),
  taskBacklog: metrics.gauge("dfut_task_queue_backlog", "Tasks waiting or in progress on a queue, by queue and kind (workflow, activity) and state (pending, in_progress)."),
  jetstreamRetries: metrics.counter("dfut_jetstream_retries_total", "JetStream requests tried again after a transient error (an election, a timeout)."),
  jetstreamErrors: metrics.counter("dfut_jetstream_errors_total", "JetStream requests that failed for good after their retries, or for another reason than JetStream not answering."),
  taskRedeliveries: metrics.counter("dfut_task_redeliveries_total", "Task messages handed back for another try after their handling failed, by kind (transient, other)."),
};

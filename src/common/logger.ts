/** Where dfut's server and workers say what happens: text for people (default), or JSON lines. */

/** What a line is about, when it is about a workflow: JSON logs carry these as fields. */
export interface LogFields {
  workflowId?: string;
  runId?: string;
  activity?: string;
  attempt?: number;
  [field: string]: string | number | undefined;
}

export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export const consoleLogger: Logger = {
  info: (m) => console.log(m),
  warn: (m) => console.warn(m),
  error: (m) => console.error(m),
};

export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };

export type LogFormat = "text" | "json";

/** One JSON object per line: time, level, message and the fields (info to stdout, the rest to stderr). */
export function jsonLogger(streams: { out: NodeJS.WritableStream; err: NodeJS.WritableStream } = { out: process.stdout, err: process.stderr }): Logger {
  const write = (level: "info" | "warn" | "error", message: string, fields: LogFields = {}) => {
    const line: Record<string, unknown> = { time: new Date().toISOString(), level };
    for (const [key, value] of Object.entries(fields)) if (value !== undefined) line[key] = value;
    line.message = message;
    (level === "info" ? streams.out : streams.err).write(`${JSON.stringify(line)}\n`);
  };
  return {
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
  };
}

export function loggerFor(format: LogFormat | undefined): Logger {
  return format === "json" ? jsonLogger() : consoleLogger;
}

/** The fields of a task message (workflow id, activity, attempt), for a line about its handling. */
export function taskFields(data: Uint8Array): LogFields {
  try {
    const task = JSON.parse(new TextDecoder().decode(data)) as Record<string, unknown>;
    const fields: LogFields = {};
    if (typeof task.workflowId === "string") fields.workflowId = task.workflowId;
    if (typeof task.activityType === "string") fields.activity = task.activityType;
    if (typeof task.attempt === "number") fields.attempt = task.attempt;
    return fields;
  } catch {
    return {};
  }
}

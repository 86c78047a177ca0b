/** Page tokens for ListWorkflows: the sort key of the last row served, opaque to callers. */
import { compareExecutions, type ExecutionRecord } from "../common/executions.ts";
import { InvalidArgumentError } from "../common/errors.ts";

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 1000;

interface Cursor {
  startedAt: string;
  workflowId: string;
}


export function pageSize(requested: number): number {
  if (requested < 0) throw new InvalidArgumentError(`page_size must not be negative (got ${requested})`);
  if (requested === 0) return DEFAULT_PAGE_SIZE;
  return Math.min(requested, MAX_PAGE_SIZE);
}

export function encodePageToken(last: ExecutionRecord): string {
  const cursor: Cursor = { startedAt: last.startedAt ?? "", workflowId: last.workflowId };
  return Buffer.from(JSON.stringify(cursor)).toString("base64url");
}

function decodePageToken(token: string): Cursor {
  try {
    const cursor = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as Partial<Cursor>;
    if (typeof cursor.startedAt === "string" && typeof cursor.workflowId === "string") {
      return { startedAt: cursor.startedAt, workflowId: cursor.workflowId };
    }
  } catch {
    // falls through to the error below
  }
  throw new InvalidArgumentError("page_token is not one this server handed out; pass next_page_token unchanged");
}

/** The page after `token` of records already sorted with compareExecutions. */
export function paginate(sorted: ExecutionRecord[], size: number, token: string): { page: ExecutionRecord[]; nextPageToken: string } {
  let start = 0;
  if (token) {
    const cursor = decodePageToken(token);
    const probe: ExecutionRecord = { workflowId: cursor.workflowId, startedAt: cursor.startedAt, status: "running", statusSeq: 0 };
    start = sorted.findIndex((record) => compareExecutions(record, probe) > 0);
    if (start < 0) start = sorted.length;
  }
  const page = sorted.slice(start, start + size);
  const more = start + size < sorted.length;
  return { page, nextPageToken: more && page.length > 0 ? encodePageToken(page.at(-1)!) : "" };
}

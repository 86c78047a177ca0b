/**
 * Operations on many workflows at once: a selection from the execution index, then one call per
 * workflow, a few at a time, each reported. A workflow that closed meanwhile is counted, not failed.
 */
import { isDfutError, WorkflowClosedError } from "../common/errors.ts";
import type { WorkflowStatus } from "../common/events.ts";
import type { DfutClient } from "./client.ts";

export interface Selection {
  workflowType?: string;
  status?: WorkflowStatus;
  /** Workflow ids that start with this. */
  idPrefix?: string;
}

export interface BulkProgress {
  total: number;
  done: number;
  /** Workflows the operation found closed already (for cancel, signal, terminate). */
  skipped: number;
  failed: { workflowId: string; message: string }[];
}

const CONCURRENCY = 16;

/** The ids a selection matches now (an empty selection is refused: it would match everything by accident). */
export async function selectWorkflows(client: DfutClient, selection: Selection): Promise<string[]> {
  if (!selection.workflowType && !selection.status && !selection.idPrefix) {
    throw new TypeError("a selection needs a workflow type, a status or an id prefix");
  }
  const records = await client.list({ workflowType: selection.workflowType, status: selection.status, idPrefix: selection.idPrefix });
  return records.map((r) => r.workflowId);
}

/** Runs `operation` for each id, CONCURRENCY at a time, telling `onProgress` after each. */
export async function runBulk(
  workflowIds: readonly string[],
  operation: (workflowId: string) => Promise<unknown>,
  onProgress: (progress: BulkProgress) => void = () => undefined,
): Promise<BulkProgress> {
  const progress: BulkProgress = { total: workflowIds.length, done: 0, skipped: 0, failed: [] };
  let next = 0;
  const lane = async () => {
    while (next < workflowIds.length) {
      const workflowId = workflowIds[next++];
      try {
        await operation(workflowId);
      } catch (err) {
        if (err instanceof WorkflowClosedError) progress.skipped++;
        else progress.failed.push({ workflowId, message: isDfutError(err) || err instanceof Error ? err.message : String(err) });
      }
      progress.done++;
      onProgress(progress);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, workflowIds.length) }, lane));
  return progress;
}

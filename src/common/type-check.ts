/**
 * The check `dfut start` and the API's StartWorkflow make before starting: does a running
 * worker on the queue register the workflow type? A start of an unknown type would wait
 * forever; it is almost always a typo or a forgotten worker.
 */
import { InvalidArgumentError } from "./errors.ts";
import { serves, type WorkerRegistration } from "./registry.ts";

/** What the check needs of a worker's registration. */
export type RegisteredWorkflows = Pick<WorkerRegistration, "queue" | "workflows" | "activities">;

/** How the caller's user changes the queue or skips the check, e.g. "pass --queue billing". */
export interface TypeCheckHints {
  useQueue(queue: string): string;
  skip: string;
}

export interface RegistrationSource {
  registrations(): Promise<readonly RegisteredWorkflows[]>;
}

/** Throws invalid_argument when no running worker on `queue` registers `workflowType`. */
export async function checkWorkflowType(source: RegistrationSource, workflowType: string, queue: string, hints: TypeCheckHints): Promise<void> {
  const registrations = await source.registrations();
  const onQueue = registrations.filter((r) => r.queue === queue);
  if (serves(registrations, queue, "workflow", workflowType)) return;
  const known = [...new Set(onQueue.flatMap((r) => r.workflows.map((w) => w.name)))].sort();
  const elsewhere = registrations.find((r) => r.queue !== queue && r.workflows.some((w) => w.name === workflowType));
  let message = `unknown workflow type ${workflowType}: no running worker on queue ${queue} registers it`;
  if (elsewhere) message += ` (a worker on queue ${elsewhere.queue} does; ${hints.useQueue(elsewhere.queue)})`;
  else if (known.length > 0) message += ` (known: ${known.join(", ")})`;
  else message += "; start one with 'dfut worker --load <module>'";
  throw new InvalidArgumentError(`${message}, or ${hints.skip} to start it anyway`);
}

import type { JetStreamManager, JsMsg } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import { setProblem } from "../common/executions.ts";
import { taskBackoff } from "../common/consume.ts";
import type { Logger } from "../common/logger.ts";
import { readRegistrations, serves, type WorkerRegistration } from "../common/registry.ts";

const REGISTRY_CACHE_MS = 1000;
/** How soon a task goes back to the queue when another live worker can run it. */
const HAND_OVER_DELAY_MS = 50;

export interface MissingType {
  workflowId: string;
  queue: string;
  kind: "workflow" | "activity";
  typeName: string;
}

/**
 * A task whose type this worker does not have. When another live worker on the queue has it,
 * the task goes straight back for that worker; when none has it, the execution records what is
 * missing (visible in `dfut describe` and the UI) and the task waits with backoff until a worker
 * that has the type starts.
 */
export class MissingTypeHandler {
  #registrations: WorkerRegistration[] = [];
  #readAt = 0;
  readonly #jsm: JetStreamManager;
  readonly #executions: KV;
  readonly #logger: Logger;

  constructor(jsm: JetStreamManager, executions: KV, logger: Logger) {
    this.#jsm = jsm;
    this.#executions = executions;
    this.#logger = logger;
  }

  async handle(msg: JsMsg, missing: MissingType): Promise<void> {
    if (await this.#servedElsewhere(missing)) {
      msg.nak(HAND_OVER_DELAY_MS);
      return;
    }
    const problem = `no worker on queue "${missing.queue}" has registered ${missing.kind} type ${missing.typeName}; start one that does`;
    if (msg.info.deliveryCount === 1) this.#logger.warn(`workflow ${missing.workflowId}: ${problem}`, { workflowId: missing.workflowId });
    await setProblem(this.#executions, missing.workflowId, problem);
    msg.nak(taskBackoff(msg.info.deliveryCount));
  }

  async #servedElsewhere({ queue, kind, typeName }: MissingType): Promise<boolean> {
    if (Date.now() - this.#readAt > REGISTRY_CACHE_MS) {
      this.#registrations = await readRegistrations(this.#jsm);
      this.#readAt = Date.now();
    }
    return serves(this.#registrations, queue, kind, typeName);
  }
}

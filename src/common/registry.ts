/**
 * The worker registry (KV `dfut_registry`): what each live worker serves, refreshed while it runs
 * and gone with its TTL when it stops. The start forms, the type checks and the routing of tasks
 * a worker lacks all read it here.
 */
import type { JetStreamManager } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import { readBucket } from "./kv-keys.ts";
import { REGISTRY_BUCKET } from "./names.ts";
import { decodeJson, encodeJson } from "./payload.ts";

export interface RegisteredFunction {
  name: string;
  parameters: string[];
}

/** What a running worker announces. */
export interface WorkerRegistration {
  identity: string;
  queue: string;
  workflows: RegisteredFunction[];
  activities: RegisteredFunction[];
  startedAt: string;
}

export function registryKey(identity: string): string {
  return `worker.${identity.replace(/[^A-Za-z0-9_-]/g, "_")}`;
}

export async function announce(kv: KV, registration: WorkerRegistration): Promise<void> {
  await kv.put(registryKey(registration.identity), encodeJson(registration));
}

export async function withdraw(kv: KV, identity: string): Promise<void> {
  await kv.delete(registryKey(identity));
}

/** Every live worker's registration; an entry that does not decode is left out. */
export async function readRegistrations(jsm: JetStreamManager): Promise<WorkerRegistration[]> {
  const out: WorkerRegistration[] = [];
  for (const { value } of await readBucket(jsm, REGISTRY_BUCKET)) {
    try {
      out.push(decodeJson<WorkerRegistration>(value));
    } catch {
      // Not a registration dfut wrote: it cannot serve anything.
    }
  }
  return out;
}

/** Whether some registration on the queue serves the workflow or activity type. */
export function serves(
  registrations: readonly Pick<WorkerRegistration, "queue" | "workflows" | "activities">[],
  queue: string,
  kind: "workflow" | "activity",
  typeName: string,
): boolean {
  return registrations.some((r) => r.queue === queue && (kind === "workflow" ? r.workflows : r.activities).some((f) => f.name === typeName));
}

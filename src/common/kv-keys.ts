/**
 * The live keys of a KV bucket and their values without a consumer: one stream request lists
 * the bucket's subjects, direct gets read the last value of each. `kv.keys()` creates an ordered
 * consumer, and creating a consumer hangs while a cluster peer is down.
 */
import type { JetStreamManager } from "@nats-io/jetstream";
import { readStored } from "./history.ts";

const PARALLEL_GETS = 32;

export interface KvEntry {
  key: string;
  value: Uint8Array;
}

export async function readBucket(jsm: JetStreamManager, bucket: string): Promise<KvEntry[]> {
  const stream = `KV_${bucket}`;
  const prefix = `$KV.${bucket}.`;
  const info = await jsm.streams.info(stream, { subjects_filter: `${prefix}>` });
  const subjects = Object.keys(info.state.subjects ?? {});
  const replicated = (info.config.num_replicas ?? 1) > 1;
  const entries: KvEntry[] = [];
  for (let i = 0; i < subjects.length; i += PARALLEL_GETS) {
    const batch = await Promise.all(
      subjects.slice(i, i + PARALLEL_GETS).map(async (subject) => {
        const msg = await readStored(jsm, stream, { last_by_subj: subject }, replicated);
        // A delete or purge leaves a marker with an operation header and no value.
        if (!msg || msg.data.length === 0 || msg.header?.get("KV-Operation")) return undefined;
        return { key: subject.slice(prefix.length), value: msg.data };
      }),
    );
    for (const entry of batch) if (entry) entries.push(entry);
  }
  return entries;
}

import { createInterface } from 'node:readline';
import type { ObjectStore } from '../objectStore/objectStore.ts';

/**
 * Where a batch keeps its working files in the reports store, and the one place that reads and
 * writes them as NDJSON. Workflow state carries these keys, never the rows (256 KB limit on AWS).
 */
export const batchKeys = {
  chunk: (batchId: string, index: number) => `batches/${batchId}/chunk-${String(index).padStart(5, '0')}.ndjson`,
  outcome: (chunkKey: string) => chunkKey.replace(/chunk-(\d+)\.ndjson$/, 'outcome-$1.ndjson'),
  invalid: (batchId: string) => `batches/${batchId}/invalid.ndjson`,
  report: (batchId: string, format: 'csv' | 'json') => `batches/${batchId}/report.${format}`,
  failure: (batchId: string) => `batches/${batchId}/failure.json`,
} as const;

/** Credentials store keys: one folder per device, one per bridge identity (functions/bridge/storedBridgeIdentity.ts). */
export const credentialKeys = {
  mqtt: (thingName: string) => `devices/${thingName}/mqtt.json`,
  psk: (thingName: string) => `devices/${thingName}/psk.json`,
  bridge: (bridgeId: string) => `bridges/${bridgeId}/mqtt.json`,
} as const;

export const NDJSON = 'application/x-ndjson';

export const toNdjson = (values: readonly unknown[]): string => values.map((v) => `${JSON.stringify(v)}\n`).join('');

/** Reads an NDJSON object line by line; a line that is not JSON names the object and the line. */
export async function* readNdjson(store: ObjectStore, key: string): AsyncGenerator<unknown> {
  const { body } = await store.get(key);
  const lines = createInterface({ input: body, crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    n += 1;
    if (line.trim() === '') continue;
    try {
      yield JSON.parse(line) as unknown;
    } catch {
      throw new Error(`${store.area}/${key} line ${n} is not JSON: the batch's working files were changed by hand; start the batch again.`);
    }
  }
}

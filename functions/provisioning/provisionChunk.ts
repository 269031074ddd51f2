import { z } from 'zod';
import type { EventStore } from '../eventStore/eventStore.ts';
import type { ObjectStore } from '../objectStore/objectStore.ts';
import { devicePolicy, DEVICE_POLICY_NAME } from '../registry/devicePolicy.ts';
import type { DeviceRegistry } from '../registry/deviceRegistry.ts';
import type { DeviceRow } from '../../events/projections/devices.ts';
import type { ReportEntryInput } from '../../schemas/manifest/index.ts';
import { batchKeys, NDJSON, readNdjson, toNdjson } from './batchObjects.ts';
import { BatchId, parseTaskInput } from './batchInput.ts';
import { ChunkLine, type DesiredDevice } from './chunkLine.ts';
import { readDeviceRecord } from './deviceRecord.ts';
import { diff, updateDevice, type Change, type DeviceOutcome } from './provisionDevice.ts';
import { provisionNewDevices } from './provisionNewDevices.ts';
import { runPool } from './runPool.ts';
import { DEFAULT_THROTTLE_RETRY, realSleep, type Sleep, type ThrottleRetryOptions } from './throttleRetry.ts';

export interface ProvisionChunkDeps {
  readonly eventStore: EventStore;
  readonly registry: DeviceRegistry;
  readonly credentials: ObjectStore;
  readonly reports: ObjectStore;
  /** Rows in flight at once within one chunk. */
  readonly rowConcurrency?: number;
  readonly throttleRetry?: ThrottleRetryOptions;
  /** How a throttled call waits; tests pass one that moves a manual clock. */
  readonly sleep?: Sleep;
}

export const ProvisionChunkInput = z.object({ batchId: BatchId, chunkKey: z.string().min(1) });

export interface ChunkCounts {
  readonly provisioned: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly failed: number;
}

export interface ProvisionChunkOutput extends ChunkCounts {
  readonly chunkKey: string;
  readonly outcomeKey: string;
  readonly rows: number;
}

export const DEFAULT_ROW_CONCURRENCY = 8;

/** Shares one call per key among the rows of a chunk; a failed call is forgotten so the next row tries again. */
const onceEach = (call: (key: string) => Promise<unknown>) => {
  const done = new Map<string, Promise<void>>();
  return (key: string): Promise<void> => {
    let pending = done.get(key);
    if (!pending) {
      pending = call(key).then(() => undefined);
      pending.catch(() => done.delete(key));
      done.set(key, pending);
    }
    return pending;
  };
};

const reportEntry = (line: ChunkLine, result: DeviceOutcome): ReportEntryInput =>
  result.outcome === 'failed'
    ? {
        rowNumber: line.rowNumber,
        serial: line.device.thingName,
        outcome: 'failed',
        problems: [
          {
            field: '',
            message: `provisioning stopped at ${result.step}: ${result.reason}`,
            hint: 'Fix the cause, then upload the manifest again: devices already provisioned stay as they are.',
          },
        ],
      }
    : { rowNumber: line.rowNumber, serial: line.device.thingName, outcome: result.outcome };

/**
 * ProvisionChunk: every row of one chunk object. New devices go step by step across the rows
 * (provisionNewDevices.ts), changed ones a few at a time, unchanged ones cost one stream read. Writes
 * each row's outcome to the chunk's outcome object and returns counts only.
 */
export const provisionChunk =
  (deps: ProvisionChunkDeps) =>
  async (input: unknown): Promise<ProvisionChunkOutput> => {
    const { batchId, chunkKey } = parseTaskInput(ProvisionChunkInput, input, 'ProvisionChunk');
    if (!chunkKey.startsWith(`batches/${batchId}/chunk-`)) {
      throw new Error(`ProvisionChunk: chunk ${chunkKey} does not belong to batch ${batchId}: pass a key ValidateManifest returned.`);
    }
    const lines: ChunkLine[] = [];
    for await (const value of readNdjson(deps.reports, chunkKey)) lines.push(ChunkLine.parse(value));
    const ensurePolicy = onceEach(() => deps.registry.ensurePolicy(DEVICE_POLICY_NAME, devicePolicy()));
    const rowDeps = {
      eventStore: deps.eventStore,
      registry: deps.registry,
      credentials: deps.credentials,
      throttleRetry: deps.throttleRetry ?? DEFAULT_THROTTLE_RETRY,
      sleep: deps.sleep ?? realSleep,
      ensureDevicePolicy: () => ensurePolicy(DEVICE_POLICY_NAME),
      ensureGroup: onceEach((group) => deps.registry.ensureThingGroup(group)),
    };
    // Each row is compared with the device as its own stream folds it: new, changed or the same.
    const outcomes = new Map<string, DeviceOutcome>();
    const fresh: DesiredDevice[] = [];
    const changed: { desired: DesiredDevice; current: DeviceRow; change: Change }[] = [];
    for (const { device } of lines) {
      const record = await readDeviceRecord(deps.eventStore, device.thingName);
      const current = record.row;
      if (current === undefined || current.status === 'deprovisioned') {
        fresh.push(device);
        continue;
      }
      const change = diff(current, device);
      // Unchanged, or what this same batch already did to it in an earlier try of the chunk.
      if (change === undefined) outcomes.set(device.thingName, { outcome: record.byBatch.get(batchId) ?? 'unchanged' });
      else changed.push({ desired: device, current, change });
    }
    const concurrency = deps.rowConcurrency ?? DEFAULT_ROW_CONCURRENCY;
    // New devices go in waves: a wave finishes (events appended) before the next starts, so a chunk
    // the state machine retries after throttling skips the waves that were done.
    for (let start = 0; start < fresh.length; start += concurrency) {
      for (const [thingName, outcome] of await provisionNewDevices(rowDeps, batchId, fresh.slice(start, start + concurrency))) outcomes.set(thingName, outcome);
    }
    await runPool(changed, concurrency, async ({ desired, current, change }) => {
      outcomes.set(desired.thingName, await updateDevice(rowDeps, batchId, desired, current, change));
    });
    const entries = lines.map((line) => reportEntry(line, outcomes.get(line.device.thingName)!));
    entries.sort((a, b) => a.rowNumber - b.rowNumber);
    const outcomeKey = batchKeys.outcome(chunkKey);
    await deps.reports.put(outcomeKey, toNdjson(entries), { contentType: NDJSON });
    const count = (outcome: string) => entries.filter((e) => e.outcome === outcome).length;
    return { chunkKey, outcomeKey, rows: entries.length, provisioned: count('provisioned'), updated: count('updated'), unchanged: count('unchanged'), failed: count('failed') };
  };

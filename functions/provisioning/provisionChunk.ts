import { z } from 'zod';
import type { EventStore } from '../eventStore/eventStore.ts';
import type { ObjectStore } from '../objectStore/objectStore.ts';
import { devicePolicy, DEVICE_POLICY_NAME } from '../registry/devicePolicy.ts';
import type { DeviceRegistry } from '../registry/deviceRegistry.ts';
import type { ReportEntryInput } from '../../schemas/manifest/index.ts';
import { batchKeys, NDJSON, readNdjson, toNdjson } from './batchObjects.ts';
import { BatchId, parseTaskInput } from './batchInput.ts';
import { ChunkLine } from './chunkLine.ts';
import { provisionDevice, type DeviceOutcome } from './provisionDevice.ts';
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

/** Runs `work` over items, at most `concurrency` at a time; the first error stops new work and is thrown once all in flight settle. */
const runPool = async <T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> => {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const item = items[next++] as T;
      try {
        await work(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  if (failure !== undefined) throw failure.error;
};

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
 * ProvisionChunk: every row of one chunk object, a few at a time. Writes each row's outcome to the
 * chunk's outcome object and returns counts only.
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
    const entries: ReportEntryInput[] = [];
    await runPool(lines, deps.rowConcurrency ?? DEFAULT_ROW_CONCURRENCY, async (line) => {
      entries.push(reportEntry(line, await provisionDevice(rowDeps, batchId, line.device)));
    });
    entries.sort((a, b) => a.rowNumber - b.rowNumber);
    const outcomeKey = batchKeys.outcome(chunkKey);
    await deps.reports.put(outcomeKey, toNdjson(entries), { contentType: NDJSON });
    const count = (outcome: string) => entries.filter((e) => e.outcome === outcome).length;
    return { chunkKey, outcomeKey, rows: entries.length, provisioned: count('provisioned'), updated: count('updated'), unchanged: count('unchanged'), failed: count('failed') };
  };

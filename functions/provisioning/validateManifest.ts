import type { EventStore } from '../eventStore/eventStore.ts';
import type { ObjectStore } from '../objectStore/objectStore.ts';
import { streamIdFor } from '../../events/envelope.ts';
import { invalidEntry, isManifestError, parseManifest, type ManifestRow, type ReportEntryInput } from '../../schemas/manifest/index.ts';
import { batchKeys, NDJSON, toNdjson } from './batchObjects.ts';
import { parseTaskInput, ProvisioningInput } from './batchInput.ts';
import type { ChunkLine } from './chunkLine.ts';
import { storeManifestPsk } from './manifestPsk.ts';
import { provisioningEvent } from './provisioningEvents.ts';

export interface ValidateManifestDeps {
  readonly eventStore: EventStore;
  readonly uploads: ObjectStore;
  readonly credentials: ObjectStore;
  readonly reports: ObjectStore;
  /** Rows per chunk object; each chunk is one ProvisionChunk invocation. */
  readonly chunkSize?: number;
}

export interface ValidateManifestOutput {
  readonly totalRows: number;
  readonly validRows: number;
  readonly invalidRows: number;
  readonly chunkKeys: readonly string[];
}

export const DEFAULT_CHUNK_SIZE = 500;

/** The whole manifest cannot be used (a limit, a broken header, not text): the batch fails with this. */
export class ManifestRejected extends Error {
  override name = 'ManifestRejected';
}

/** A row as the chunk carries it. The PSK key is not in it: it went to the credentials store. */
const chunkLine = (rowNumber: number, row: ManifestRow): ChunkLine => ({
  rowNumber,
  device: {
    thingName: row.serial,
    tenant: row.tenant,
    location: { latitude: row.latitude, longitude: row.longitude },
    attributes: row.attributes,
    ...(row.thingGroup === undefined ? {} : { thingGroup: row.thingGroup }),
    ...(row.deviceType === undefined ? {} : { deviceType: row.deviceType }),
  },
});

/**
 * ValidateManifest: streams the upload through the manifest parser, writes valid rows in chunk
 * objects and the refused rows' report lines, stores each row's own DTLS PSK (manifestPsk.ts; a row
 * whose PSK the fleet refuses is refused too), records ProvisioningBatchStarted, and returns counts
 * and chunk keys only.
 */
export const validateManifest =
  (deps: ValidateManifestDeps) =>
  async (input: unknown): Promise<ValidateManifestOutput> => {
    const { batchId, manifestKey, format } = parseTaskInput(ProvisioningInput, input, 'ValidateManifest');
    const chunkSize = deps.chunkSize ?? DEFAULT_CHUNK_SIZE;
    const { body } = await deps.uploads.get(manifestKey);
    const parse = parseManifest(body, { format });
    const chunkKeys: string[] = [];
    const invalid: ReportEntryInput[] = [];
    // Rows the parser accepted whose PSK the fleet refused (manifestPsk.ts): invalid too.
    let pskRefused = 0;
    let pending: ChunkLine[] = [];
    const flush = async () => {
      if (pending.length === 0) return;
      const key = batchKeys.chunk(batchId, chunkKeys.length);
      await deps.reports.put(key, toNdjson(pending), { contentType: NDJSON });
      chunkKeys.push(key);
      pending = [];
    };
    try {
      for await (const result of parse) {
        if (!result.ok) {
          invalid.push(invalidEntry(result)!);
          continue;
        }
        const { row } = result;
        if (row.pskIdentity !== undefined && row.pskKey !== undefined) {
          // The PSK is a device secret: it goes straight to the encrypted store, never into batch files or state.
          const psk = await storeManifestPsk(deps, { serial: row.serial, pskIdentity: row.pskIdentity, pskKey: row.pskKey });
          if (!psk.ok) {
            pskRefused += 1;
            invalid.push({ rowNumber: result.rowNumber, serial: row.serial, outcome: 'invalid', problems: [psk.problem] });
            continue;
          }
        }
        pending.push(chunkLine(result.rowNumber, row));
        if (pending.length >= chunkSize) await flush();
      }
      await flush();
    } catch (error) {
      if (isManifestError(error)) {
        throw new ManifestRejected(`manifest ${manifestKey} was refused (${error.code}): ${error.message}`);
      }
      throw error;
    }
    await deps.reports.put(batchKeys.invalid(batchId), toNdjson(invalid), { contentType: NDJSON });
    const { rows } = parse.summary;
    const invalidRows = parse.summary.invalid + pskRefused;
    const valid = parse.summary.valid - pskRefused;
    await deps.eventStore.append({
      streamId: streamIdFor.batch(batchId),
      expectedVersion: 'any',
      events: [provisioningEvent('ProvisioningBatchStarted', { batchId, manifestKey, format, totalRows: rows, invalidRows }, [batchId], batchId)],
    });
    return { totalRows: rows, validRows: valid, invalidRows, chunkKeys };
  };

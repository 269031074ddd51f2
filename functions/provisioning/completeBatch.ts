import { z } from 'zod';
import type { EventStore } from '../eventStore/eventStore.ts';
import type { ObjectStore } from '../objectStore/objectStore.ts';
import { streamIdFor } from '../../events/envelope.ts';
import { ReportEntry, ReportWriter, type ReportEntryInput, type ReportFormat, type ReportSummary } from '../../schemas/manifest/index.ts';
import { batchKeys, readNdjson } from './batchObjects.ts';
import { BatchId, parseTaskInput } from './batchInput.ts';
import { provisioningEvent } from './provisioningEvents.ts';

export interface CompleteBatchDeps {
  readonly eventStore: EventStore;
  readonly reports: ObjectStore;
}

const Counts = z.object({ provisioned: z.number().int(), updated: z.number().int(), unchanged: z.number().int(), failed: z.number().int() });

export const CompleteBatchInput = z.object({
  batchId: BatchId,
  validation: z.object({ totalRows: z.number().int().nonnegative(), invalidRows: z.number().int().nonnegative() }),
  chunks: z.array(Counts.extend({ outcomeKey: z.string().min(1), rows: z.number().int().nonnegative() })),
});

export interface CompleteBatchOutput {
  readonly batchId: string;
  readonly reportKey: string;
  readonly jsonReportKey: string;
  readonly provisioned: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly failed: number;
  readonly invalid: number;
}

/** A batch whose outcomes do not cover every row: something wrote or lost working files. */
export class BatchIncomplete extends Error {
  override name = 'BatchIncomplete';
}

/** Merges two row-ordered streams of report entries into one, in row order. */
async function* mergeByRow(a: AsyncIterator<ReportEntryInput>, b: AsyncIterator<ReportEntryInput>): AsyncGenerator<ReportEntryInput> {
  let x = await a.next();
  let y = await b.next();
  while (!x.done || !y.done) {
    if (y.done || (!x.done && x.value.rowNumber <= y.value.rowNumber)) {
      yield x.value as ReportEntryInput;
      x = await a.next();
    } else {
      yield y.value;
      y = await b.next();
    }
  }
}

async function* entriesOf(store: ObjectStore, keys: readonly string[]): AsyncGenerator<ReportEntryInput> {
  for (const key of keys) for await (const value of readNdjson(store, key)) yield ReportEntry.parse(value);
}

/** Streams one report format into the reports store and returns what it counted. */
const writeReport = async (deps: CompleteBatchDeps, batchId: string, outcomeKeys: readonly string[], format: ReportFormat): Promise<{ key: string; summary: ReportSummary }> => {
  const writer = new ReportWriter(format);
  const entries = mergeByRow(entriesOf(deps.reports, [batchKeys.invalid(batchId)]), entriesOf(deps.reports, outcomeKeys));
  async function* text(): AsyncGenerator<Buffer> {
    for await (const entry of entries) yield Buffer.from(writer.append(entry));
    yield Buffer.from(writer.finish());
  }
  const key = batchKeys.report(batchId, format);
  await deps.reports.put(key, text(), { contentType: writer.contentType });
  return { key, summary: writer.summary };
};

/**
 * CompleteBatch: merges the refused rows and every chunk's outcomes into the batch report (CSV and
 * JSON), checks that every row has exactly one outcome, and records ProvisioningBatchCompleted.
 */
export const completeBatch =
  (deps: CompleteBatchDeps) =>
  async (input: unknown): Promise<CompleteBatchOutput> => {
    const { batchId, validation, chunks } = parseTaskInput(CompleteBatchInput, input, 'CompleteBatch');
    const outcomeKeys = chunks.map((c) => c.outcomeKey);
    const csv = await writeReport(deps, batchId, outcomeKeys, 'csv');
    const json = await writeReport(deps, batchId, outcomeKeys, 'json');
    const { outcomes, rows } = csv.summary;
    const fromChunks = chunks.reduce((sum, c) => sum + c.rows, 0);
    if (rows !== validation.totalRows || outcomes.invalid !== validation.invalidRows || rows - outcomes.invalid !== fromChunks) {
      throw new BatchIncomplete(
        `batch ${batchId}: the manifest had ${validation.totalRows} rows (${validation.invalidRows} refused) but the report holds ${rows} ` +
          `(${outcomes.invalid} refused, ${fromChunks} from chunks): start the batch again under a new execution name.`,
      );
    }
    const counts = { provisioned: outcomes.provisioned, updated: outcomes.updated, unchanged: outcomes.unchanged, failed: outcomes.failed, invalid: outcomes.invalid };
    await deps.eventStore.append({
      streamId: streamIdFor.batch(batchId),
      expectedVersion: 'any',
      events: [provisioningEvent('ProvisioningBatchCompleted', { batchId, ...counts, reportKey: csv.key }, [batchId, JSON.stringify(counts)], batchId)],
    });
    return { batchId, reportKey: csv.key, jsonReportKey: json.key, ...counts };
  };

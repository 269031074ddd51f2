import type { z } from 'zod';
import type { BatchProgressSchema } from '../../../../api/openapi/apiSchemas.ts';
import type { BatchNotStartedSchema, BatchSchema } from '../../../../provisioning/batchListSchemas.ts';

/**
 * A provisioning batch's progress as the API reports it (GET /provisioning/batches/:batchId,
 * functions/provisioning/batchProgress.ts), and the words and numbers the page shows for it. Pure.
 */

/** The server's own response type (a type import: erased from the bundle). */
export type BatchProgress = z.infer<typeof BatchProgressSchema>;
export type ExecutionStatus = BatchProgress['status'];
/** GET /provisioning/batches/:batchId: the progress, with the upload's file name, uploader and time. */
export type Batch = z.infer<typeof BatchSchema>;
/** Its 404 while the manifest is stored and the workflow has not started: what the upload stored. */
export type BatchNotStarted = z.infer<typeof BatchNotStartedSchema>;

/** What both say of the upload. */
export type BatchUploadFacts = Pick<Batch, 'fileName' | 'uploadedBy' | 'uploadedAt'>;

/** The server's problem type for that 404; typed by its schema, so the two cannot drift apart. */
export const BATCH_NOT_STARTED: BatchNotStarted['type'] = '/problems/batch-not-started';

/** Polling stops at these: the execution will not change again. */
export const isTerminal = (status: ExecutionStatus): boolean => status !== 'RUNNING';

export const STATUS_LABELS: Readonly<Record<ExecutionStatus, string>> = {
  RUNNING: 'Running',
  SUCCEEDED: 'Completed',
  FAILED: 'Failed',
  TIMED_OUT: 'Timed out',
  ABORTED: 'Aborted',
};

export interface RowProgress {
  /** Rows with an outcome: refused by validation, or provisioned, updated, unchanged or failed. */
  readonly done: number;
  /** All rows, or undefined while validation has not counted them (the bar is then indeterminate). */
  readonly total: number | undefined;
}

export const rowProgress = (batch: BatchProgress): RowProgress => {
  const invalid = batch.invalidRows ?? 0;
  const done = batch.totalRows === undefined ? batch.rowsDone : Math.min(batch.totalRows, invalid + batch.rowsDone);
  return { done, total: batch.totalRows };
};

const n = (count: number, one: string, many = `${one}s`) => `${count.toLocaleString('en')} ${count === 1 ? one : many}`;

/** What the outcomes so far add up to: "18 provisioned, 2 invalid". */
export const outcomeSummary = (batch: BatchProgress): string => {
  const parts = [
    batch.provisioned > 0 ? `${batch.provisioned.toLocaleString('en')} provisioned` : '',
    batch.updated > 0 ? `${batch.updated.toLocaleString('en')} updated` : '',
    batch.unchanged > 0 ? `${batch.unchanged.toLocaleString('en')} unchanged` : '',
    batch.failed > 0 ? `${batch.failed.toLocaleString('en')} failed` : '',
    (batch.invalidRows ?? 0) > 0 ? `${(batch.invalidRows ?? 0).toLocaleString('en')} invalid` : '',
  ].filter((p) => p !== '');
  return parts.length > 0 ? parts.join(', ') : 'no rows';
};

/** One sentence for the live region: where the batch is and, when it stopped badly, what to do. */
export const statusSentence = (batch: BatchProgress): string => {
  const { done, total } = rowProgress(batch);
  switch (batch.status) {
    case 'RUNNING':
      return total === undefined ? 'Running: checking the manifest’s rows.' : `Running: ${done.toLocaleString('en')} of ${n(total, 'row')} done (${outcomeSummary(batch)}).`;
    case 'SUCCEEDED':
      return `Completed: ${n(total ?? done, 'row')}, ${outcomeSummary(batch)}.`;
    default: {
      const why = batch.error ? ` ${batch.error.name}${batch.error.cause ? `: ${batch.error.cause}` : ''}.` : '';
      return `${STATUS_LABELS[batch.status]} after ${done.toLocaleString('en')} of ${total === undefined ? 'an unknown number of' : total.toLocaleString('en')} rows.${why} Upload the manifest again: rows already provisioned come out unchanged.`;
    }
  }
};

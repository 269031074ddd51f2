import type { StoredEvent } from '../../events/envelope.ts';
import type { ExecutionDescription, HistoryEvent } from '../workflows/workflowEngine.ts';

export interface BatchProgress {
  readonly batchId: string;
  readonly status: ExecutionDescription['status'];
  readonly startedAt: string;
  readonly stoppedAt?: string | undefined;
  /** Rows in the manifest (known once ValidateManifest is done). */
  readonly totalRows?: number | undefined;
  readonly invalidRows?: number | undefined;
  /** Valid rows with an outcome so far. */
  readonly rowsDone: number;
  readonly provisioned: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly failed: number;
  readonly reportKey?: string | undefined;
  readonly error?: { readonly name: string; readonly cause?: string | undefined } | undefined;
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/**
 * A batch's progress from what is already recorded: the execution (status), its history (each
 * finished ProvisionChunk's counts) and the batch stream (totals; the final counts). Pure.
 */
export const batchProgress = (batchId: string, execution: ExecutionDescription, history: readonly HistoryEvent[], batchEvents: readonly StoredEvent[]): BatchProgress => {
  const started = batchEvents.find((e) => e.type === 'ProvisioningBatchStarted')?.data as { totalRows: number; invalidRows: number } | undefined;
  const completed = batchEvents.find((e) => e.type === 'ProvisioningBatchCompleted')?.data as
    | { provisioned: number; updated: number; unchanged: number; failed: number; reportKey: string }
    | undefined;
  const counts = { rowsDone: 0, provisioned: 0, updated: 0, unchanged: 0, failed: 0 };
  if (completed) {
    Object.assign(counts, { provisioned: completed.provisioned, updated: completed.updated, unchanged: completed.unchanged, failed: completed.failed });
    counts.rowsDone = completed.provisioned + completed.updated + completed.unchanged + completed.failed;
  } else {
    for (const h of history) {
      if (h.type !== 'TaskStateExited' || h.stateExitedEventDetails?.name !== 'ProvisionChunk') continue;
      const out = JSON.parse(h.stateExitedEventDetails.output) as Record<string, unknown>;
      counts.rowsDone += num(out.rows);
      counts.provisioned += num(out.provisioned);
      counts.updated += num(out.updated);
      counts.unchanged += num(out.unchanged);
      counts.failed += num(out.failed);
    }
  }
  return {
    batchId,
    status: execution.status,
    startedAt: execution.startDate.toISOString(),
    stoppedAt: execution.stopDate?.toISOString(),
    totalRows: started?.totalRows,
    invalidRows: started?.invalidRows,
    ...counts,
    reportKey: completed?.reportKey,
    error: execution.error === undefined ? undefined : { name: execution.error, cause: execution.cause },
  };
};

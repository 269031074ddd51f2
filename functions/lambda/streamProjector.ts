import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import type { StoredEvent } from '../../events/envelope.ts';
import type { DynamoProjector } from '../projections/dynamoProjectionTables.ts';
import { commitsOf, retryFrom } from './eventStoreStream.ts';
import { logger } from './observability.ts';

/**
 * The projector on the event store table's stream: the events of a batch folded into the
 * projection tables. A commit that cannot be read or a row that could not be written makes the
 * batch retry from the earliest record concerned; rows written meanwhile skip what they already
 * hold (per-row stream markers), so a retry folds each event into each row once.
 */
export const projectStreamBatch =
  (deps: { readonly projector: Pick<DynamoProjector, 'project'>; readonly log?: (message: string) => void }) =>
  async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
    const log = deps.log ?? ((message: string) => logger.error(message));
    const events: StoredEvent[] = [];
    const recordOf: string[] = [];
    let unreadableAt: string | undefined;
    for (const item of commitsOf(event)) {
      if (item.kind === 'unreadable') {
        // Fold what came before it; the batch resumes at this record.
        log(`record ${item.sequenceNumber} holds a commit that cannot be read: ${item.error.message}`);
        unreadableAt = item.sequenceNumber;
        break;
      }
      for (const e of item.events) {
        events.push(e);
        recordOf.push(item.sequenceNumber);
      }
    }
    const result = await deps.projector.project(events);
    if (result.unreadable > 0) log(`${result.unreadable} events of unknown type or version were skipped by every projection`);
    for (const f of result.failures) log(`projection ${f.projection} row ${f.key} was not written (${f.error.name}: ${f.error.message})`);
    const firstFailed = result.failures.reduce((min, f) => Math.min(min, f.firstEvent), Number.POSITIVE_INFINITY);
    return retryFrom(Number.isFinite(firstFailed) ? recordOf[firstFailed] : unreadableAt);
  };

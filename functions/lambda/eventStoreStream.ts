import type { AttributeValue, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import type { StoredEvent } from '../../events/envelope.ts';
import { decodeCommit } from '../eventStore/dynamoCommitItem.ts';

/**
 * Reading the event store table's stream (ADR 0002): only INSERTs of commit items carry events;
 * claims and the meta item also appear in the stream and are skipped (a commit is the only item
 * with `gsk`). A commit is written once and never changed, so MODIFY and REMOVE carry nothing new.
 */

/** One stream record that held a commit, with its events in stream order. */
export interface StreamCommit {
  /** What to name in `batchItemFailures` to have Lambda retry from this record. */
  readonly sequenceNumber: string;
  readonly events: readonly StoredEvent[];
}

/** A record that is a commit but cannot be read: it is reported as failed, never skipped. */
export interface UnreadableRecord {
  readonly sequenceNumber: string;
  readonly error: Error;
}

export type StreamItem = ({ readonly kind: 'commit' } & StreamCommit) | ({ readonly kind: 'unreadable' } & UnreadableRecord);

/** A commit item holds strings and numbers only (dynamoCommitItem.ts); anything else is refused by name. */
const plainValue = (name: string, value: AttributeValue): string | number => {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return Number(value.N);
  throw new Error(`attribute ${name} is neither a string nor a number (${Object.keys(value).join(', ')}): this is not a commit item this code wrote`);
};

const isCommitInsert = (eventName: string | undefined, image: Record<string, AttributeValue> | undefined): image is Record<string, AttributeValue> =>
  eventName === 'INSERT' && image !== undefined && image.gsk !== undefined;

/** The commits of a stream batch, in order; records that are not commit inserts are left out. */
export const commitsOf = (event: DynamoDBStreamEvent): StreamItem[] => {
  const items: StreamItem[] = [];
  for (const [i, record] of (event.Records ?? []).entries()) {
    const image = record.dynamodb?.NewImage;
    if (!isCommitInsert(record.eventName, image)) continue;
    const sequenceNumber = record.dynamodb?.SequenceNumber ?? `record-${i}`;
    try {
      const item = Object.fromEntries(Object.entries(image).map(([k, v]) => [k, plainValue(k, v)]));
      items.push({ kind: 'commit', sequenceNumber, events: decodeCommit(item) });
    } catch (error) {
      items.push({ kind: 'unreadable', sequenceNumber, error: error instanceof Error ? error : new Error(String(error)) });
    }
  }
  return items;
};

/**
 * The answer that makes Lambda retry from this record on (ReportBatchItemFailures): the records
 * before it are done, this one and every later one come again. None when all went through.
 */
export const retryFrom = (sequenceNumber: string | undefined): DynamoDBBatchResponse => ({
  batchItemFailures: sequenceNumber === undefined ? [] : [{ itemIdentifier: sequenceNumber }],
});

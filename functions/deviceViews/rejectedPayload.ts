import type { StoredEvent } from '../../events/envelope.ts';
import { upcast, UnknownEventError } from '../../events/upcasting.ts';
import type { RejectedPayload } from './deviceReadModel.ts';

/**
 * The kept bytes of a stored MessageRejected, upcast to the current version; undefined for any
 * other event, or one this code does not know. Both read models (SQLite and DynamoDB) answer
 * `rejectedPayloads` with it once they have found the stored event.
 */
export const rejectedPayloadOf = (stored: StoredEvent | undefined): RejectedPayload | undefined => {
  if (stored?.type !== 'MessageRejected') return undefined;
  try {
    const event = upcast(stored);
    return event.type === 'MessageRejected' ? { payloadBase64: event.data.payloadBase64, truncated: event.data.truncated } : undefined;
  } catch (err) {
    if (err instanceof UnknownEventError) return undefined;
    throw err;
  }
};

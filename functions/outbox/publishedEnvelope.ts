import type { StoredEvent } from '../../events/envelope.ts';
import { envelopeTime, type EventBridgeEnvelope } from '../bus/envelope.ts';
import { publishedEventId } from './publishedEventId.ts';
import { toBusEntry } from './toBusEntry.ts';

/** The in-process bus's defaults; EventBridge fills in the real account and region on AWS. */
export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'local';

export interface EnvelopeOrigin {
  readonly account?: string;
  readonly region?: string;
}

/**
 * The envelope a bus rule receives for a stored event published by the outbox, built without a
 * bus: consumers that read the store themselves (webhook subscriptions) deliver exactly what a rule
 * on the bus would get, byte for byte after JSON round-tripping.
 */
export const toPublishedEnvelope = (e: StoredEvent, origin: EnvelopeOrigin = {}): EventBridgeEnvelope => {
  const entry = toBusEntry(e);
  return JSON.parse(
    JSON.stringify({
      version: '0',
      id: publishedEventId(e.eventId),
      'detail-type': entry.DetailType,
      source: entry.Source,
      account: origin.account ?? LOCAL_ACCOUNT,
      // Only an unparsable recordedAt leaves Time unset; the epoch then marks it instead of throwing.
      time: envelopeTime(entry.Time ?? new Date(0)),
      region: origin.region ?? LOCAL_REGION,
      resources: [...(entry.Resources ?? [])],
      detail: entry.Detail,
    }),
  ) as EventBridgeEnvelope;
};

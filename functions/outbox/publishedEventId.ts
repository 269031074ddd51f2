import { hash, randomUUID } from 'node:crypto';

/**
 * The envelope id of a published stored event: a UUID-shaped digest of the event id, so every
 * publication of one fact (a re-publish after a crash, a replay) carries the same id and a
 * receiver can recognise it. Version nibble 8 marks it as a name-based UUID of our own (RFC 9562
 * "custom"), so nobody mistakes it for a random v4.
 */
export const publishedEventId = (eventId: string): string => {
  // One-shot hash: about half the cost of createHash, and the outbox derives one id per published event.
  const h = hash('sha256', `lwm2m.fleet/event/${eventId}`, 'buffer');
  h[6] = (h[6]! & 0x0f) | 0x80;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
};

/**
 * Lends chosen envelope ids to the in-process bus for one put. The bus takes an `ids` function
 * and calls it once per accepted entry, synchronously inside put() in entry order (its put accepts
 * before it returns). The runtime builds its bus with `ids: slot.next`; the outbox wraps each put
 * in `slot.lend(ids, put)`. Outside a lend, or for entries beyond the lent ids, ids are random as
 * before. On AWS, EventBridge assigns envelope ids itself and receivers use `detail.eventId`.
 */
export interface EnvelopeIdSlot {
  readonly next: () => string;
  lend<T>(ids: readonly string[], put: () => T): T;
}

export const createEnvelopeIdSlot = (fallback: () => string = randomUUID): EnvelopeIdSlot => {
  let lent: string[] = [];
  return {
    next: () => lent.shift() ?? fallback(),
    lend(ids, put) {
      lent = [...ids];
      try {
        return put();
      } finally {
        // Ids not taken (an entry the bus refused, a bus that accepts later) must not leak into another put.
        lent = [];
      }
    },
  };
};

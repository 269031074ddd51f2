import type { DomainEvent } from '../../events/catalog/index.ts';
import type { NewEvent, StoredEvent } from '../../events/envelope.ts';
import { upcast } from '../../events/upcasting.ts';
import type { EventStore } from '../eventStore/eventStore.ts';
import { derivedEvent } from '../shared/derivedEvent.ts';
import { BOOTSTRAP_ACTOR } from './bootstrapActor.ts';
import { deviceStreamId } from './bootstrapStreams.ts';

/** One delivery, as a bridge result names it: the request id, answered by the bridge it went to. */
export interface DeliveryRef {
  readonly requestId: string;
  readonly bridgeId: string;
}

type Of<T extends DomainEvent['type']> = Extract<DomainEvent, { type: T }>;

// Only the bootstrap facts are lifted (upcast); the rest of a device stream is passed over unread.
const BOOTSTRAP_FACTS = new Set(['BootstrapFailed', 'BootstrapResultReported', 'DeviceBootstrapped', 'DeviceDeprovisioned']);
const facts = (events: readonly StoredEvent[]): DomainEvent[] => events.filter((e) => BOOTSTRAP_FACTS.has(e.type)).map(upcast);

const isFailureOf = (e: DomainEvent, d: DeliveryRef): e is Of<'BootstrapFailed'> =>
  e.type === 'BootstrapFailed' && e.data.requestId === d.requestId && e.data.bridgeId === d.bridgeId;

const isOkOf = (e: DomainEvent, d: DeliveryRef): e is Of<'BootstrapResultReported'> =>
  e.type === 'BootstrapResultReported' && e.data.ok && e.data.requestId === d.requestId && e.data.bridgeId === d.bridgeId;

/**
 * The DeviceBootstrapped the workflow would have appended, had the bridge's ok come while it was
 * still waiting; undefined when none is due. `events` is the device's stream in order, from at least
 * the delivery's BootstrapFailed on. Due when:
 *
 * - the workflow recorded BootstrapFailed naming this delivery (only a timeout names it: a bridge
 *   that reported a failure has spoken, and a backend error may have come before any delivery);
 * - the bridge the delivery went to reported ok for it (another bridge's claim proves nothing, and
 *   a late failure changes nothing: the failure is already the fact);
 * - nothing concluded the device since: no other DeviceBootstrapped (a later attempt) and no
 *   DeviceDeprovisioned (its certificate is revoked) after the failure or the result.
 *
 * The event has the workflow's own id (thing, bridge, trigger: the trigger is the failure's
 * correlation id), so it is stored once whichever path appends it, however often it is appended.
 * It is marked `late` and caused by the ok result.
 */
export const lateBootstrapped = (events: readonly StoredEvent[], delivery: DeliveryRef): NewEvent<'DeviceBootstrapped'> | undefined => {
  const stream = facts(events);
  const failedAt = stream.findLastIndex((e) => isFailureOf(e, delivery));
  const okAt = stream.findIndex((e) => isOkOf(e, delivery));
  if (failedAt === -1 || okAt === -1) return undefined;
  const failed = stream[failedAt] as Of<'BootstrapFailed'>;
  const { thingName, endpoint, bridgeId, brokerUri } = failed.data;
  const trigger = failed.correlationId;
  if (brokerUri === undefined || trigger === undefined) return undefined;
  const event = {
    ...derivedEvent('DeviceBootstrapped', { thingName, endpoint, bridgeId, brokerUri, late: true }, [thingName, bridgeId, trigger], BOOTSTRAP_ACTOR, trigger),
    causationId: stream[okAt]!.eventId,
  };
  const since = stream.slice(Math.min(failedAt, okAt) + 1);
  const concluded = since.some((e) => e.type === 'DeviceDeprovisioned' || (e.type === 'DeviceBootstrapped' && e.eventId !== event.eventId));
  return concluded ? undefined : event;
};

/** Events read per page while looking back for the delivery's failure. */
const PAGE = 50;

/**
 * How far back a failure this ok can conclude may lie: the workflow gives up about 160 s after the
 * delivery, and the bridge starts no delivery past its 60 s expiry, so the failure was stored
 * minutes before the result; 15 minutes leaves room for a slow device and clock skew.
 */
export const LATE_RESULT_WINDOW_MS = 15 * 60_000;

type LookBack =
  /** The device's stream from the delivery's BootstrapFailed to its end. */
  | { readonly kind: 'failed'; readonly events: readonly StoredEvent[] }
  /** A DeviceBootstrapped came first: the device is bootstrapped since, whatever happened before. */
  | { readonly kind: 'bootstrapped'; readonly event: StoredEvent }
  /** The device's provisioning or the stream's start came first: no failure names the delivery. */
  | { readonly kind: 'none' };

/**
 * Reads the device's stream backwards, page by page, to the delivery's failure. It stops at the
 * device's last DeviceBootstrapped or its provisioning, and at events stored more than
 * LATE_RESULT_WINDOW_MS before the newest one: the device stream also holds every state report, so
 * without that bound a device re-bootstrapped after months of reporting would be read back to its
 * first bootstrap on every ok. The usual case costs one page.
 */
const lookBack = async (store: Pick<EventStore, 'readStream'>, thingName: string, delivery: DeliveryRef): Promise<LookBack> => {
  const newestFirst: StoredEvent[] = [];
  let from: number | undefined;
  let notBefore: string | undefined;
  for (;;) {
    const page = await store.readStream(deviceStreamId(thingName), { direction: 'backwards', limit: PAGE, ...(from === undefined ? {} : { from }) });
    // The store's own clock: the newest event is the result just stored (or one after it).
    notBefore ??= page[0] && new Date(Date.parse(page[0].recordedAt) - LATE_RESULT_WINDOW_MS).toISOString();
    for (const event of page) {
      if (notBefore !== undefined && event.recordedAt < notBefore) return { kind: 'none' };
      if (event.type === 'DeviceBootstrapped') return { kind: 'bootstrapped', event };
      newestFirst.push(event);
      if (event.type === 'BootstrapFailed' && isFailureOf(upcast(event), delivery)) return { kind: 'failed', events: newestFirst.reverse() };
      if (event.type === 'DeviceProvisioned') return { kind: 'none' };
    }
    const oldest = page.at(-1);
    if (page.length < PAGE || oldest === undefined || oldest.streamPosition <= 1) return { kind: 'none' };
    from = oldest.streamPosition - 1;
  }
};

/**
 * Called by the bridge-message handler once it has stored a bridge's ok (`resultId`): if the
 * workflow already gave up on that delivery, appends the DeviceBootstrapped it would have appended
 * and returns it. A redelivered result finds its own conclusion already stored (caused by the same
 * result id), returns it and appends nothing.
 */
export const concludeLateResult = async (
  store: Pick<EventStore, 'readStream' | 'append'>,
  thingName: string,
  delivery: DeliveryRef,
  resultId: string,
): Promise<NewEvent | undefined> => {
  const found = await lookBack(store, thingName, delivery);
  if (found.kind === 'bootstrapped') return found.event.causationId === resultId ? found.event : undefined;
  if (found.kind === 'none') return undefined;
  const event = lateBootstrapped(found.events, delivery);
  if (event) await store.append({ streamId: deviceStreamId(thingName), expectedVersion: 'any', events: [event] });
  return event;
};

/**
 * Called by RecordFailed right after it stored a timeout: a result that landed between the last
 * check and that append was seen by neither side, so the task looks once more (the handler looks
 * after its own append, so one of the two always sees both facts).
 */
export const concludeMissedResult = async (
  store: Pick<EventStore, 'readStream' | 'append'>,
  thingName: string,
  delivery: DeliveryRef & { readonly fromPosition: number },
): Promise<NewEvent<'DeviceBootstrapped'> | undefined> => {
  const events = await store.readStream(deviceStreamId(thingName), { from: delivery.fromPosition + 1 });
  const event = lateBootstrapped(events, delivery);
  if (event) await store.append({ streamId: deviceStreamId(thingName), expectedVersion: 'any', events: [event] });
  return event;
};

import type { EventData, EventType } from '../../events/catalog/index.ts';
import type { Actor, NewEvent } from '../../events/envelope.ts';
import { derivedEvent } from '../shared/derivedEvent.ts';

export const PROVISIONING_ACTOR: Actor = { kind: 'system', id: 'provisioning' };

/**
 * A catalog event with an id derived from what it records, so that a retried chunk or a re-run
 * batch appends the same fact once (the store is idempotent by event id).
 */
export const provisioningEvent = <T extends EventType>(type: T, data: EventData<T>, idParts: readonly string[], correlationId: string): NewEvent<T, EventData<T>> =>
  derivedEvent(type, data, idParts, PROVISIONING_ACTOR, correlationId);

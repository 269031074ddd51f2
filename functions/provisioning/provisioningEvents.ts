import { createHash } from 'node:crypto';
import type { EventData, EventType } from '../../events/catalog/index.ts';
import { currentDefinition } from '../../events/catalog/index.ts';
import type { Actor, NewEvent } from '../../events/envelope.ts';

export const PROVISIONING_ACTOR: Actor = { kind: 'system', id: 'provisioning' };

/**
 * A catalog event with an id derived from what it records, so that a retried chunk or a re-run
 * batch appends the same fact once (the store is idempotent by event id).
 */
export const provisioningEvent = <T extends EventType>(type: T, data: EventData<T>, idParts: readonly string[], correlationId: string): NewEvent<T, EventData<T>> => {
  const definition = currentDefinition.get(type);
  if (!definition) throw new Error(`event type ${type} is not in the catalog: add it to events/catalog before appending it.`);
  const digest = createHash('sha256').update(JSON.stringify([type, ...idParts])).digest('hex').slice(0, 40);
  return {
    eventId: `${type}-${digest}`,
    type,
    typeVersion: definition.version,
    data: definition.schema.parse(data) as EventData<T>,
    actor: PROVISIONING_ACTOR,
    correlationId,
  };
};

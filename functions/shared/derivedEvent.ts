import { createHash } from 'node:crypto';
import type { EventData, EventType } from '../../events/catalog/index.ts';
import { currentDefinition } from '../../events/catalog/index.ts';
import type { Actor, NewEvent } from '../../events/envelope.ts';

/** What a bridge reports is attributed to the bridge: its thing name, as its certificate says. */
export const bridgeActor = (bridgeId: string): Actor => ({ kind: 'system', id: `bridge:${bridgeId}` });

/**
 * A catalog event whose id is derived from what it records, so a redelivered message, a retried
 * task, or the same decision reached by two paths appends the fact once (the store is idempotent
 * by event id). The data is checked against the catalog here, before anything is written.
 */
export const derivedEvent = <T extends EventType>(
  type: T,
  data: EventData<T>,
  idParts: readonly string[],
  actor: Actor,
  correlationId: string,
): NewEvent<T, EventData<T>> => {
  const definition = currentDefinition.get(type);
  if (!definition) throw new Error(`event type ${type} is not in the catalog: add it to events/catalog before appending it.`);
  const digest = createHash('sha256').update(JSON.stringify([type, ...idParts])).digest('hex').slice(0, 40);
  return {
    eventId: `${type}-${digest}`,
    type,
    typeVersion: definition.version,
    data: definition.schema.parse(data) as EventData<T>,
    actor,
    correlationId,
  };
};

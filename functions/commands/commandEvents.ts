import { currentDefinition, type EventData, type EventType } from '../../events/catalog/index.ts';
import type { Actor, NewEvent } from '../../events/envelope.ts';

/** The actor of what the backend decides on its own (expiry, ignoring a command nobody can take). */
export const COMMANDS_ACTOR: Actor = { kind: 'system', id: 'commands' };

/**
 * A catalog event with the id the command's lifecycle gives it (`<commandId>:<step>`): one id per
 * step, so a redelivered answer or a retried append is a duplicate to the store, never a second fact.
 */
export const commandEvent = <T extends EventType>(type: T, data: EventData<T>, eventId: string, actor: Actor, correlationId?: string): NewEvent<T, EventData<T>> => {
  const definition = currentDefinition.get(type);
  if (!definition) throw new Error(`event type ${type} is not in the catalog: add it to events/catalog before appending it.`);
  return {
    eventId,
    type,
    typeVersion: definition.version,
    data: definition.schema.parse(data) as EventData<T>,
    actor,
    ...(correlationId === undefined ? {} : { correlationId }),
  };
};

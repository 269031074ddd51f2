import { randomUUID } from 'node:crypto';
import type { NewEvent } from '../../events/envelope.ts';
import type { EventData, EventType } from '../../events/catalog/index.ts';
import { currentDefinition } from '../../events/catalog/index.ts';

/** A new event of a catalog type at its current version, validated like the handlers will. */
export const newEvent = <T extends EventType>(type: T, data: EventData<T>, extra: Partial<NewEvent> = {}): NewEvent<T, EventData<T>> => {
  const def = currentDefinition.get(type);
  if (!def) throw new Error(`unknown event type ${type}`);
  return {
    eventId: randomUUID(),
    type,
    typeVersion: def.version,
    data: def.schema.parse(data),
    actor: { kind: 'system', id: 'test' },
    ...extra,
  } as NewEvent<T, EventData<T>>;
};

export const provisioned = (thingName: string, overrides: Partial<EventData<'DeviceProvisioned'>> = {}) =>
  newEvent('DeviceProvisioned', {
    thingName,
    tenant: 'city-of-lund',
    location: { latitude: 55.7, longitude: 13.19 },
    attributes: { kind: 'water-meter' },
    certificateId: `cert-${thingName}`,
    ...overrides,
  });

export const reported = (thingName: string, path: string, v: number, time: string) =>
  newEvent('DeviceStateReported', {
    thingName,
    messageId: randomUUID(),
    topic: `dt/lwm2m/${thingName}/state`,
    values: [{ name: path, path, time, value: { kind: 'number', v }, unit: 'Cel' }],
  });

import type { StoredEvent } from './envelope.ts';
import { currentDefinition, type AlarmSeverity, type DomainEvent } from './catalog/index.ts';

/** Turns the data of (type, version) into the data of (type, version + 1). Pure. */
type Upcaster = (data: unknown) => unknown;

const numericSeverity: Record<number, AlarmSeverity> = { 1: 'critical', 2: 'major', 3: 'minor', 4: 'warning' };

/**
 * Upcasters by `type@fromVersion`. Stored events are never rewritten: they are read at the
 * version they were written in and lifted here, one version at a time.
 */
const upcasters: ReadonlyMap<string, Upcaster> = new Map<string, Upcaster>([
  [
    'AlarmRaised@1',
    (data) => {
      const { severity, ...rest } = data as { severity: number } & Record<string, unknown>;
      return { ...rest, severity: numericSeverity[severity] ?? 'warning' };
    },
  ],
]);

export class UnknownEventError extends Error {
  constructor(readonly event: Pick<StoredEvent, 'type' | 'typeVersion' | 'eventId' | 'streamId'>, reason: string) {
    super(`Event ${event.eventId} in ${event.streamId} (${event.type} v${event.typeVersion}) cannot be read: ${reason}`);
    this.name = 'UnknownEventError';
  }
}

/** Lifts a stored event to the current version of its type, then validates it. */
export const upcast = (event: StoredEvent): DomainEvent => {
  const current = currentDefinition.get(event.type);
  if (!current) throw new UnknownEventError(event, 'no such event type in the catalog');
  if (event.typeVersion > current.version) {
    throw new UnknownEventError(event, `written by a newer version of the system (catalog has v${current.version})`);
  }
  let data = event.data;
  for (let v = event.typeVersion; v < current.version; v++) {
    const step = upcasters.get(`${event.type}@${v}`);
    if (!step) throw new UnknownEventError(event, `no upcaster from v${v} to v${v + 1}`);
    data = step(data);
  }
  const parsed = current.schema.safeParse(data);
  if (!parsed.success) throw new UnknownEventError(event, parsed.error.message);
  return { ...event, typeVersion: current.version, data: parsed.data } as DomainEvent;
};

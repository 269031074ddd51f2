import { streamIdFor, type Actor } from '../../events/envelope.ts';
import type { AlarmRow } from '../../events/projections/alarms.ts';
import { WrongExpectedVersionError, type EventStore } from '../eventStore/eventStore.ts';
import { commandEvent } from './commandEvents.ts';

export interface AcknowledgeAlarmDeps {
  readonly events: Pick<EventStore, 'append' | 'streamVersion'>;
  /** The alarm as the alarms projection has it, caught up with the device's stream at least to `version`. */
  readonly alarmOf: (thingName: string, alarmId: string, version: number) => AlarmRow | undefined | Promise<AlarmRow | undefined>;
  /** Resolves once the projections have caught up with the store. */
  readonly settle: () => Promise<void>;
  readonly newCommandId: () => string;
}

export type AcknowledgeOutcome =
  | { readonly kind: 'acknowledged'; readonly commandId: string }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'conflict'; readonly reason: string; readonly alarm: AlarmRow };

const MAX_ROUNDS = 5;

/**
 * Acknowledges an active alarm: AlarmAcknowledged in the device's stream (beside the raise and the
 * clear it answers, so the device's history tells the whole story), with the operator as actor and
 * an audit id. The alarm is judged from the projection once it has caught up with the stream's
 * version, and the append expects that version: if the device reported anything meanwhile (a clear,
 * another acknowledgement), the judgement is made again on the new state. So two operators
 * acknowledging at once get one 202 and one 409, never two acknowledgements.
 */
export const acknowledgeAlarm =
  (deps: AcknowledgeAlarmDeps) =>
  async (thingName: string, alarmId: string, actor: Actor, note?: string): Promise<AcknowledgeOutcome> => {
    const streamId = streamIdFor.device(thingName);
    for (let round = 1; ; round++) {
      const version = await deps.events.streamVersion(streamId);
      if (version === 0) return { kind: 'not-found' };
      await deps.settle();
      const alarm = await deps.alarmOf(thingName, alarmId, version);
      if (!alarm) return { kind: 'not-found' };
      if (alarm.state === 'cleared') return { kind: 'conflict', alarm, reason: `alarm ${alarmId} of ${thingName} was cleared at ${alarm.clearedAt ?? alarm.since}: only an active alarm is acknowledged` };
      if (alarm.acknowledged) {
        return { kind: 'conflict', alarm, reason: `alarm ${alarmId} of ${thingName} was already acknowledged by ${alarm.acknowledged.by} at ${alarm.acknowledged.at}` };
      }
      const commandId = deps.newCommandId();
      const event = commandEvent('AlarmAcknowledged', { thingName, alarmId, commandId, ...(note === undefined ? {} : { note }) }, `${commandId}:acknowledged`, actor, commandId);
      try {
        await deps.events.append({ streamId, expectedVersion: version, events: [event] });
        return { kind: 'acknowledged', commandId };
      } catch (err) {
        if (!(err instanceof WrongExpectedVersionError) || round >= MAX_ROUNDS) throw err;
      }
    }
  };

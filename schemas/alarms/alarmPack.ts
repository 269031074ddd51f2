import { AlarmSeverity, Lwm2mPath } from '../../events/catalog/index.ts';

/**
 * Alarms travel as SenML like state does (CBOR, `dt/lwm2m/<thing>/alarms`). Each alarm is a group
 * of string records named `<alarmId>/<field>`; the time of the `state` record is when it happened:
 *
 *   [{bn: "leak-1/", bt: 1767225600, n: "state", vs: "raised"},
 *    {n: "code", vs: "LEAK"}, {n: "severity", vs: "major"}, {n: "message", vs: "water under meter"}]
 *
 * Fields: state (raised | cleared, required), code (required when raised), severity (critical |
 * major | minor | warning, required when raised), message, path (an LwM2M path). See README.md.
 */
export interface ResolvedRecord {
  readonly name: string;
  /** Absolute time, seconds since the epoch. */
  readonly time: number;
  readonly value: { readonly kind: string; readonly v: unknown };
}

export type AlarmFact =
  | { kind: 'raised'; alarmId: string; code: string; severity: AlarmSeverity; message?: string; path?: string; at: Date }
  | { kind: 'cleared'; alarmId: string; at: Date };

export class AlarmPackError extends Error {
  override name = 'AlarmPackError';
}

const FIELDS = new Set(['state', 'code', 'severity', 'message', 'path']);
const ALARM_ID = /^[A-Za-z0-9][-:._A-Za-z0-9]{0,63}$/;

/** Reads alarm facts from resolved SenML records; any record that breaks the format fails the pack. */
export const readAlarmPack = (records: readonly ResolvedRecord[]): AlarmFact[] => {
  const groups = new Map<string, Map<string, ResolvedRecord>>();
  records.forEach((r, i) => {
    const slash = r.name.lastIndexOf('/');
    const alarmId = r.name.slice(0, slash);
    const field = r.name.slice(slash + 1);
    if (slash <= 0 || !ALARM_ID.test(alarmId)) {
      throw new AlarmPackError(`record ${i} is named "${r.name}": alarm records are named "<alarmId>/<field>", e.g. "leak-1/state"`);
    }
    if (!FIELDS.has(field)) throw new AlarmPackError(`record ${i} has field "${field}": use one of ${[...FIELDS].join(', ')}`);
    if (r.value.kind !== 'string') throw new AlarmPackError(`record ${i} (${r.name}) must carry a string value (vs)`);
    const group = groups.get(alarmId) ?? new Map<string, ResolvedRecord>();
    if (group.has(field)) throw new AlarmPackError(`alarm "${alarmId}" has "${field}" twice in one pack`);
    group.set(field, r);
    groups.set(alarmId, group);
  });
  if (groups.size === 0) throw new AlarmPackError('the pack holds no alarm records');

  return [...groups].map(([alarmId, fields]): AlarmFact => {
    const text = (f: string) => fields.get(f)?.value.v as string | undefined;
    const state = fields.get('state');
    if (!state) throw new AlarmPackError(`alarm "${alarmId}" has no "state" record (raised or cleared)`);
    const at = new Date(state.time * 1000);
    if (Number.isNaN(at.getTime())) throw new AlarmPackError(`alarm "${alarmId}" has a time out of range`);
    if (text('state') === 'cleared') return { kind: 'cleared', alarmId, at };
    if (text('state') !== 'raised') throw new AlarmPackError(`alarm "${alarmId}" has state "${text('state')}": use "raised" or "cleared"`);
    const code = text('code');
    if (!code) throw new AlarmPackError(`raised alarm "${alarmId}" needs a "code" record`);
    const severity = AlarmSeverity.safeParse(text('severity'));
    if (!severity.success) throw new AlarmPackError(`raised alarm "${alarmId}" needs a severity of ${AlarmSeverity.options.join(', ')}`);
    const path = text('path');
    if (path !== undefined && !Lwm2mPath.safeParse(path).success) throw new AlarmPackError(`alarm "${alarmId}" has path "${path}", not an LwM2M path like /3303/0/5700`);
    const message = text('message');
    return { kind: 'raised', alarmId, code, severity: severity.data, at, ...(message === undefined ? {} : { message }), ...(path === undefined ? {} : { path }) };
  });
};

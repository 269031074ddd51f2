import type { ObjectModel } from '../../../../../schemas/lwm2m/objects/model.ts';
import type { CommandDetail } from './deviceTypes.ts';
import { describeKey, showValue } from './stateRows.ts';
import { codeText } from '../../components/coapCodes.ts';

/**
 * What became of a command, in words, from GET /commands/:id: its status, and for a final one the
 * values read, the LwM2M code (with its CoAP name), why it was not sent, or when it gave up.
 */

export const FINAL_STATUSES: readonly string[] = ['succeeded', 'failed', 'timed-out', 'ignored'];

export const isFinal = (status: string): boolean => FINAL_STATUSES.includes(status);

const WAITING: Readonly<Record<string, string>> = {
  requested: 'Requested; waiting for it to be sent.',
  published: 'Sent to the bridge that holds the device; waiting for its answer.',
  queued: 'The device is asleep (queue mode): its bridge holds the command until it wakes.',
  dispatched: 'The bridge passed it to the device; waiting for the device to answer.',
};

export interface ReadValue {
  readonly path: string;
  /** "Device / Manufacturer", or the path when the model does not know it. */
  readonly name: string;
  readonly text: string;
}

export interface Outcome {
  readonly status: string;
  readonly final: boolean;
  /** succeeded | failed | pending: how to colour it. */
  readonly tone: 'good' | 'bad' | 'pending';
  readonly headline: string;
  readonly values: readonly ReadValue[];
  readonly detail?: string;
}

type Data = Readonly<Record<string, unknown>>;
const asData = (v: unknown): Data => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Data) : {});

/** The values a read or observe returned, named from the model. */
const valuesOf = (result: unknown, model: ObjectModel): ReadValue[] => {
  const values = asData(result).values;
  if (!Array.isArray(values)) return [];
  return (values as unknown[]).flatMap((entry) => {
    const e = asData(entry);
    const value = asData(e.value);
    if (typeof e.path !== 'string' || typeof value.kind !== 'string') return [];
    const typed = value as unknown as Parameters<typeof showValue>[0];
    // Time comes back as kind "time" (seconds since 1970); show it like a Time resource in the state.
    const shown = value.kind === 'time' ? { kind: 'number' as const, v: Number(value.v) } : typed;
    const row = describeKey(e.path, { value: shown, time: '' }, model);
    const object = row.objectId === undefined ? undefined : model.object(row.objectId);
    const name = row.resourceName && object ? `${object.name} / ${row.resourceName}` : e.path;
    return [{ path: e.path, name, text: showValue(shown, { resource: row.resource }).text }];
  });
};

export const describeOutcome = (detail: CommandDetail, model: ObjectModel): Outcome => {
  const { command, lifecycle } = detail;
  const status = command.status;
  const last = [...lifecycle].reverse();
  const dataOf = (type: string) => asData(last.find((l) => l.type === type)?.data);
  const latency = command.latencyMs === undefined ? '' : ` in ${Math.round(command.latencyMs)} ms`;
  switch (status) {
    case 'succeeded': {
      const values = valuesOf(dataOf('CommandSucceeded').result, model);
      return { status, final: true, tone: 'good', headline: `Succeeded${command.lwm2mCode ? ` (${codeText(command.lwm2mCode)})` : ''}${latency}.`, values };
    }
    case 'failed': {
      const message = command.detail ?? (typeof dataOf('CommandFailed').message === 'string' ? (dataOf('CommandFailed').message as string) : undefined);
      const code = command.lwm2mCode === 'timeout' ? 'the device never answered' : `LwM2M code ${codeText(command.lwm2mCode) ?? 'unknown'}`;
      return { status, final: true, tone: 'bad', headline: `Failed: ${code}${latency}.`, values: [], ...(message ? { detail: message } : {}) };
    }
    case 'timed-out':
      return {
        status,
        final: true,
        tone: 'bad',
        headline: `Timed out: no answer came before it expired${command.expiresAt ? ` at ${command.expiresAt}` : ''}.`,
        values: [],
      };
    case 'ignored':
      return { status, final: true, tone: 'bad', headline: 'Ignored: nothing was sent, no bridge holds the device.', values: [], ...(command.detail ? { detail: command.detail } : {}) };
    default:
      return { status, final: false, tone: 'pending', headline: WAITING[status] ?? `Status: ${status}.`, values: [] };
  }
};

import type { ObjectModel } from '../../../../../schemas/lwm2m/objects/model.ts';
import { describeKey, showValue } from './stateRows.ts';
import type { StateValue } from './deviceTypes.ts';

/**
 * One line per timeline event: what happened, in words, from the event's data. The data comes
 * from the server as `unknown` (an unreadable event is shown as stored), so every field is read
 * defensively and anything unexpected falls back to a list of the data's fields.
 */

type Data = Readonly<Record<string, unknown>>;

const asData = (data: unknown): Data => (data && typeof data === 'object' && !Array.isArray(data) ? (data as Data) : {});
const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined);

const isStateValue = (v: unknown): v is StateValue => {
  if (!v || typeof v !== 'object') return false;
  const { kind, v: inner } = v as { kind?: unknown; v?: unknown };
  return typeof kind === 'string' && ['number', 'string', 'boolean', 'data', 'objlnk', 'sum'].includes(kind) && inner !== undefined;
};

/** "Temperature / Sensor Value = 24.5 °C" for each reported value; at most `max`, then "and N more". */
const reportedValues = (values: unknown, model: ObjectModel, max = 3): string => {
  if (!Array.isArray(values)) return 'values reported';
  const parts: string[] = [];
  for (const entry of values.slice(0, max) as unknown[]) {
    const e = asData(entry);
    const key = text(e.path) ?? text(e.name) ?? '?';
    if (!isStateValue(e.value)) {
      parts.push(`${key} = ?`);
      continue;
    }
    const row = describeKey(key, { value: e.value, time: '' }, model);
    const name = row.resourceName ?? key;
    parts.push(`${name} = ${showValue(e.value, { unit: text(e.unit), resource: row.resource }).text}`);
  }
  const more = values.length > max ? `, and ${values.length - max} more` : '';
  return parts.join('; ') + more;
};

const fieldList = (data: Data): string => {
  const keys = Object.keys(data).filter((k) => k !== 'thingName');
  return keys.length === 0 ? '' : `fields: ${keys.slice(0, 6).join(', ')}${keys.length > 6 ? ', …' : ''}`;
};

/** DeviceAuthenticationFailed reasons (events/catalog/deviceAuthentication.ts) in an operator's words. */
const AUTH_FAILURE_TEXT: Readonly<Record<string, string>> = {
  'bad-psk': 'wrong pre-shared key',
  'bad-finished': 'the right key but a handshake that did not verify (a broken client or tampering)',
  'unknown-identity': 'a PSK identity no device holds',
  'endpoint-mismatch': 'registered under another device’s endpoint name',
};

const authenticationFailed = (d: Data): string => {
  const reason = text(d.reason);
  const remote = asData(d.remote);
  const from = text(remote.address) && `from ${text(remote.address)}${text(remote.port) ? `:${text(remote.port)}` : ''}`;
  const attempts = typeof d.attempts === 'number' && d.attempts > 1 ? `${d.attempts} attempts` : undefined;
  return join(
    `refused coaps handshake: ${(reason && AUTH_FAILURE_TEXT[reason]) ?? reason ?? 'reason not given'}`,
    text(d.identity) && `identity ${text(d.identity)}`,
    reason === 'endpoint-mismatch' && text(d.endpoint) && `as ${text(d.endpoint)}`,
    from,
    attempts,
    text(d.bridgeId) && `bridge ${text(d.bridgeId)}`,
  );
};

const join = (...parts: (string | undefined | false)[]) => parts.filter((p): p is string => typeof p === 'string' && p !== '').join(' · ');

export const summarizeEvent = (type: string, rawData: unknown, model: ObjectModel): string => {
  const d = asData(rawData);
  switch (type) {
    case 'DeviceStateReported':
      return reportedValues(d.values, model);
    case 'AlarmRaised':
      return join(`${text(d.severity) ?? '?'} alarm ${text(d.code) ?? text(d.alarmId) ?? ''}`.trim(), text(d.message), text(d.path) && `at ${text(d.path)}`);
    case 'AlarmCleared':
      return `alarm ${text(d.alarmId) ?? '?'} cleared`;
    case 'AlarmAcknowledged':
      return join(`alarm ${text(d.alarmId) ?? '?'} acknowledged`, text(d.note) && `note: ${text(d.note)}`);
    case 'DeviceProvisioned':
      return join(`tenant ${text(d.tenant) ?? '?'}`, text(d.thingGroup) && `group ${text(d.thingGroup)}`, text(d.deviceType) && `type ${text(d.deviceType)}`, text(d.batchId) && `batch ${text(d.batchId)}`);
    case 'DeviceProvisioningFailed':
      return join(`failed at ${text(d.step) ?? '?'}`, text(d.reason));
    case 'DeviceRegistered':
      return join(`endpoint ${text(d.endpoint) ?? '?'} via bridge ${text(d.bridgeId) ?? '?'}`, d.queueMode === true && 'queue mode', text(d.lifetimeSeconds) && `lifetime ${text(d.lifetimeSeconds)} s`);
    case 'DeviceRegistrationUpdated':
      return join(`registration updated via bridge ${text(d.bridgeId) ?? '?'}`, text(d.lifetimeSeconds) && `lifetime ${text(d.lifetimeSeconds)} s`);
    case 'DeviceDeregistered':
      return join(`left bridge ${text(d.bridgeId) ?? '?'}`, text(d.reason));
    case 'DeviceSessionLost':
      return join(`session lost on bridge ${text(d.bridgeId) ?? '?'}`, text(d.reason));
    case 'DeviceBootstrapped':
      return join(
        `credentials delivered via bridge ${text(d.bridgeId) ?? '?'}`,
        text(d.brokerUri) && `broker ${text(d.brokerUri)}`,
        d.late === true && 'late: the bridge confirmed after the timeout was recorded',
      );
    case 'BootstrapResultReported':
      return join(d.ok === true ? 'bootstrap writes succeeded' : 'bootstrap writes failed', text(d.message));
    case 'BootstrapRejected':
      return `bootstrap refused: ${text(d.reason) ?? '?'}`;
    case 'BootstrapFailed':
      return join('bootstrap failed', text(d.message));
    case 'DeviceDeprovisioned':
      return join('deprovisioned', text(d.reason));
    case 'DeviceAttributesChanged':
      return join(
        'attributes changed',
        typeof d.set === 'object' && d.set !== null && `set ${Object.keys(d.set).join(', ') || 'none'}`,
        Array.isArray(d.removed) && d.removed.length > 0 && `removed ${(d.removed as unknown[]).map(String).join(', ')}`,
      );
    case 'MessageRejected':
      return join(`message refused at ${text(d.stage) ?? '?'}`, text(d.reason), text(d.payloadBytes) && `${text(d.payloadBytes)} bytes`);
    case 'DeviceAuthenticationFailed':
      return authenticationFailed(d);
    default:
      // A type this console does not know yet (newer server): its field names, never a failure.
      return fieldList(d) || 'no details';
  }
};

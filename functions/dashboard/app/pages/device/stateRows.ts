import type { ObjectModel } from '../../../../../schemas/lwm2m/objects/model.ts';
import type { ResourceDefinition } from '../../../../../schemas/lwm2m/objects/types.ts';
import type { ResourceState, StateValue } from './deviceTypes.ts';

/**
 * The device's state as people read it: each resource under its LwM2M object, named from the
 * object definitions we ship (schemas/lwm2m/objects), with its value and unit. A path the model
 * does not know, or a name that is no path at all, is shown as it is and says so; it never fails.
 */

export type Known = 'resource' | 'unknown-object' | 'unknown-resource' | 'not-a-path';

export interface StateRow {
  /** The key in the state: an LwM2M path, or the record's name when it had none. */
  readonly key: string;
  readonly known: Known;
  readonly objectId?: number;
  readonly instanceId?: number;
  readonly resourceId?: number;
  readonly resourceInstanceId?: number;
  readonly resourceName?: string;
  readonly resource?: ResourceDefinition;
  readonly state: ResourceState;
}

export interface StateGroup {
  /** `object-3303`, or `other` for names that are no LwM2M path. */
  readonly id: string;
  readonly title: string;
  readonly objectId?: number;
  readonly rows: readonly StateRow[];
}

const PATH = /^\/(\d{1,5})\/(\d{1,5})\/(\d{1,5})(?:\/(\d{1,5}))?$/;

/** What the model says of one state key. */
export const describeKey = (key: string, state: ResourceState, model: ObjectModel): StateRow => {
  const m = PATH.exec(key);
  if (!m) return { key, known: 'not-a-path', state };
  const [objectId, instanceId, resourceId] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ids = { objectId, instanceId, resourceId, ...(m[4] === undefined ? {} : { resourceInstanceId: Number(m[4]) }) };
  const object = model.object(objectId);
  if (!object) return { key, known: 'unknown-object', state, ...ids };
  const resource = model.resource(objectId, resourceId);
  if (!resource) return { key, known: 'unknown-resource', state, ...ids };
  return { key, known: 'resource', state, resource, resourceName: resource.name, ...ids };
};

const byIds = (a: StateRow, b: StateRow) =>
  (a.instanceId ?? 0) - (b.instanceId ?? 0) || (a.resourceId ?? 0) - (b.resourceId ?? 0) || (a.resourceInstanceId ?? -1) - (b.resourceInstanceId ?? -1) || a.key.localeCompare(b.key);

/** The state grouped by object (in object id order), names that are no path last. */
export const groupState = (resources: Readonly<Record<string, ResourceState>>, model: ObjectModel): StateGroup[] => {
  const byObject = new Map<number, StateRow[]>();
  const other: StateRow[] = [];
  for (const [key, state] of Object.entries(resources)) {
    const row = describeKey(key, state, model);
    if (row.objectId === undefined) other.push(row);
    else byObject.set(row.objectId, [...(byObject.get(row.objectId) ?? []), row]);
  }
  const groups: StateGroup[] = [...byObject.entries()]
    .sort(([a], [b]) => a - b)
    .map(([objectId, rows]) => {
      const object = model.object(objectId);
      return {
        id: `object-${objectId}`,
        objectId,
        title: object ? `${object.name} (object ${objectId})` : `Unknown object ${objectId}`,
        rows: rows.sort(byIds),
      };
    });
  if (other.length > 0) groups.push({ id: 'other', title: 'Other values (no LwM2M path)', rows: other.sort((a, b) => a.key.localeCompare(b.key)) });
  return groups;
};

/** SenML unit names (RFC 8428 §12.1) and registry units people read differently. */
const UNIT_SYMBOLS: Readonly<Record<string, string>> = { Cel: '°C', '/100': '%', degC: '°C', Ohm: 'Ω' };

export const unitSymbol = (unit: string | undefined): string | undefined => (unit === undefined ? undefined : (UNIT_SYMBOLS[unit] ?? unit));

export interface ShownValue {
  /** The value as text, unit included. */
  readonly text: string;
  /** More detail for the title attribute: the raw unit, the seconds of a time, the bytes. */
  readonly detail?: string;
}

const base64UrlLength = (v: string) => Math.floor((v.replace(/=+$/, '').length * 3) / 4);

/**
 * A value with its unit: the unit the device sent, else the one the definition gives. A Time
 * resource (seconds since 1970) is also shown as a date, in UTC so it reads the same for everyone.
 */
export const showValue = (value: StateValue, options: { unit?: string | undefined; resource?: ResourceDefinition | undefined } = {}): ShownValue => {
  const unit = options.unit ?? options.resource?.units;
  const symbol = unitSymbol(unit);
  const withUnit = (text: string) => (symbol ? `${text} ${symbol}` : text);
  switch (value.kind) {
    case 'number':
    case 'sum': {
      if (options.resource?.type === 'Time' && Number.isFinite(value.v)) {
        const date = new Date(value.v * 1000);
        if (!Number.isNaN(date.getTime())) return { text: `${date.toISOString().replace('.000Z', 'Z')}`, detail: `${value.v} s since 1970` };
      }
      const text = withUnit(String(value.v));
      return value.kind === 'sum' ? { text: `${text} (sum)`, ...(unit ? { detail: unit } : {}) } : { text, ...(unit && unit !== symbol ? { detail: unit } : {}) };
    }
    case 'boolean':
      return { text: value.v ? 'true' : 'false' };
    case 'string':
      return { text: withUnit(value.v) };
    case 'objlnk':
      return { text: `link to ${value.v}`, detail: 'Object Link (objectId:instanceId)' };
    case 'data':
      return { text: `${base64UrlLength(value.v)} bytes`, detail: `base64url: ${value.v.slice(0, 120)}${value.v.length > 120 ? '…' : ''}` };
  }
};

import type { ObjectDefinition, ResourceDefinition } from '../../../../../schemas/lwm2m/objects/types.ts';
import type { ObjectLookup } from './objectModel.ts';

/**
 * The object-model rules the server applies to a command (schemas/lwm2m/checks.ts, through
 * functions/commands/modelCheck.ts), for the browser: checks.ts measures strings with Node's Buffer
 * and reaches the SenML codecs, so it cannot be bundled. These give the same verdicts (the same
 * problem codes); test/dashboard/unit/modelRules.unit.test.ts compares them with checks.ts over
 * every shipped resource and operation. The server still decides.
 */

export type RuleCode = 'wrong-level' | 'unknown-object' | 'unknown-resource' | 'not-multiple' | 'not-readable' | 'not-writable' | 'not-executable' | 'wrong-type' | 'out-of-range';

export interface RuleProblem {
  readonly code: RuleCode;
  readonly message: string;
}

export type RuleOperation = 'read' | 'observe' | 'write' | 'execute';

/** Path depths each operation may address: 1 object, 2 instance, 3 resource, 4 resource instance (LwM2M Core 6.3). */
const DEPTHS: Readonly<Record<RuleOperation, readonly number[]>> = { read: [1, 2, 3, 4], observe: [1, 2, 3, 4], write: [2, 3, 4], execute: [3] };

const named = (object: ObjectDefinition, r: ResourceDefinition) => `${object.name} / ${r.name} (${object.id}/${r.id})`;
const problem = (code: RuleCode, message: string): RuleProblem => ({ code, message });

/** Whether the LwM2M Server may perform `operation` on the path `ids` by the object model; undefined when it may. */
export const operationProblem = (ids: readonly number[], operation: RuleOperation, model: ObjectLookup): RuleProblem | undefined => {
  if (!DEPTHS[operation].includes(ids.length)) return problem('wrong-level', `${operation} does not apply to /${ids.join('/')}`);
  const [objectId, , resourceId] = ids;
  const object = objectId === undefined ? undefined : model.object(objectId);
  if (!object) return problem('unknown-object', `object ${objectId} is not in the object model`);
  const resource = resourceId === undefined ? undefined : model.resource(object.id, resourceId);
  if (resourceId !== undefined && !resource) return problem('unknown-resource', `${object.name} (object ${object.id}) has no resource ${resourceId}`);
  if (resource && ids.length === 4 && !resource.multiple) return problem('not-multiple', `${named(object, resource)} is a single resource: leave the resource instance out`);
  switch (operation) {
    case 'read':
    case 'observe':
      if (resource && !resource.operations.includes('R')) {
        return problem('not-readable', resource.operations === 'E' ? `${named(object, resource)} is an Execute resource: execute it` : `${named(object, resource)} cannot be read`);
      }
      if (!object.resources.some((r) => r.operations.includes('R'))) return problem('not-readable', `${object.name} (object ${object.id}) has no readable resource`);
      return undefined;
    case 'write':
      if (resource && !resource.operations.includes('W')) {
        return problem('not-writable', resource.operations === 'E' ? `${named(object, resource)} is an Execute resource: execute it` : `${named(object, resource)} is read-only`);
      }
      if (!object.resources.some((r) => r.operations.includes('W'))) return problem('not-writable', `${object.name} (object ${object.id}) has no writable resource`);
      return undefined;
    case 'execute':
      return resource?.operations === 'E' ? undefined : problem('not-executable', `${resource ? named(object, resource) : object.name} is not an Execute resource`);
  }
};

const MIN_INT64 = -(2n ** 63n);
const MAX_INT64 = 2n ** 63n - 1n;
const MAX_UINT64 = 2n ** 64n - 1n;

const isWhole = (v: unknown): v is number | bigint => typeof v === 'bigint' || (typeof v === 'number' && Number.isSafeInteger(v));
const isLinkId = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 65535;

/** Why `value` (JavaScript's form of the type) is not of the resource's type; undefined when it is. */
const typeProblem = (r: ResourceDefinition, value: unknown): string | undefined => {
  switch (r.type) {
    case 'String':
    case 'Corelnk':
      return typeof value === 'string' ? undefined : `a ${r.type} is text`;
    case 'Integer':
    case 'Time':
      if (!isWhole(value)) return `a${r.type === 'Time' ? ' Time (whole seconds since 1970)' : 'n Integer'} is a whole number`;
      return BigInt(value) < MIN_INT64 || BigInt(value) > MAX_INT64 ? 'it does not fit a signed 64-bit integer' : undefined;
    case 'Unsigned Integer':
      if (!isWhole(value)) return 'an Unsigned Integer is a whole number';
      return BigInt(value) < 0n || BigInt(value) > MAX_UINT64 ? 'it is not an unsigned 64-bit integer (0 or more)' : undefined;
    case 'Float':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : 'a Float is a finite number';
    case 'Boolean':
      return typeof value === 'boolean' ? undefined : 'a Boolean is true or false';
    case 'Opaque':
      return value instanceof Uint8Array ? undefined : 'an Opaque value is bytes';
    case 'Objlnk': {
      const link = value as { objectId?: unknown; instanceId?: unknown } | null;
      return typeof link === 'object' && link !== null && isLinkId(link.objectId) && isLinkId(link.instanceId) ? undefined : 'an Object Link is objectId:instanceId with ids 0..65535';
    }
    case 'none':
      return 'an Execute resource takes no value';
  }
};

/** Whether `value` is a valid single value of the resource: its type, then its range (numbers) or length in bytes (String, Opaque). */
export const valueProblem = (object: ObjectDefinition, r: ResourceDefinition, value: unknown): RuleProblem | undefined => {
  if (r.type === 'none') return problem('not-writable', `${named(object, r)} is an Execute resource: execute it instead of writing it`);
  const wrong = typeProblem(r, value);
  if (wrong) return problem('wrong-type', `${named(object, r)}: ${wrong}`);
  if (r.range && (typeof value === 'number' || typeof value === 'bigint') && (value < r.range.min || value > r.range.max)) {
    return problem('out-of-range', `${named(object, r)}: ${String(value)} is outside ${r.range.min}..${r.range.max}`);
  }
  if (r.length && (typeof value === 'string' || value instanceof Uint8Array)) {
    const length = typeof value === 'string' ? new TextEncoder().encode(value).length : value.length;
    const { min, max, oneOf } = r.length;
    if (oneOf !== undefined ? !oneOf.includes(length) : length < min || length > max) {
      return problem('out-of-range', `${named(object, r)}: ${length} bytes; it must be ${oneOf !== undefined ? oneOf.join(', ') : `${min}..${max}`} bytes`);
    }
  }
  return undefined;
};

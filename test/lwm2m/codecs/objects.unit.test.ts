import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONNECTIVITY_MONITORING, createObjectModel, DEFAULT_OBJECT_MODEL, DEVICE, extendObjectModel, MQTT_BROKER, SECURITY, SERVER, TEMPERATURE } from '../../../schemas/lwm2m/index.ts';
import type { ObjectDefinition, ResourceDefinition } from '../../../schemas/lwm2m/index.ts';

interface SchemaProperty {
  type: string;
  title: string;
  minimum?: number;
  maximum?: number;
  unixTimestamp?: boolean;
  description: string;
  items?: SchemaProperty;
}
interface SchemaObject {
  type: 'object' | 'array';
  title: string;
  description: string;
  properties?: Record<string, SchemaProperty>;
  required?: string[];
  items?: SchemaObject;
}

// The package's "exports" carry no types (TypeScript cannot resolve its index.d.ts), so the
// schema file it ships is read directly, from wherever the package is installed.
const packageEntry = createRequire(import.meta.url).resolve('@nordicsemiconductor/lwm2m-types');
const schemaDocument = JSON.parse(readFileSync(join(dirname(packageEntry), 'LwM2MDocument.schema.json'), 'utf8')) as { properties: Record<string, SchemaObject> };
const documents = schemaDocument.properties;

/** The registry-generated JSON Schema entry of an object ("3:1.2@1.1" style keys). */
const schemaFor = (id: number): SchemaObject => {
  const key = Object.keys(documents).find((k) => k.split(/[:@]/)[0] === String(id));
  const entry = documents[key!]!;
  return entry.type === 'array' ? entry.items! : entry;
};

/** How the schema generator writes each LwM2M type (it has no Opaque, Unsigned or Boolean of its own). */
const schemaType = (r: ResourceDefinition): { type: string; unixTimestamp?: boolean; min?: number; max?: number } => {
  switch (r.type) {
    case 'Float':
      return { type: 'number' };
    case 'Integer':
    case 'Unsigned Integer':
      return { type: 'integer' };
    case 'Time':
      return { type: 'integer', unixTimestamp: true };
    case 'Boolean':
      return { type: 'integer', min: 0, max: 1 };
    default:
      return { type: 'string' };
  }
};

const squash = (s: string) => s.replace(/\s+/g, ' ').trim();

describe('the objects we ship', () => {
  it('are in the default model, looked up by id', () => {
    expect(DEFAULT_OBJECT_MODEL.objects.map((o) => o.id)).toEqual([0, 1, 3, 4, 3303, 18830]);
    expect(DEFAULT_OBJECT_MODEL.object(3)).toBe(DEVICE);
    expect(DEFAULT_OBJECT_MODEL.resource(3303, 5700)?.name).toBe('Sensor Value');
    expect(DEFAULT_OBJECT_MODEL.object(5)).toBeUndefined();
    expect(DEFAULT_OBJECT_MODEL.resource(3, 99)).toBeUndefined();
  });

  it('never let a credential be read: the keys of Security and MQTT Broker are write-only', () => {
    const credentials = DEFAULT_OBJECT_MODEL.objects.flatMap((o) => o.resources.filter((r) => r.credential === true).map((r) => `${o.id}/${r.id}:${r.operations}`));
    expect(credentials).toEqual(['0/3:', '0/4:', '0/5:', '0/7:', '0/8:', '18830/5:W', '18830/7:W', '18830/8:W', '18830/9:W']);
    expect(SECURITY.resources.every((r) => r.operations === '')).toBe(true);
  });

  it('describe MQTT Broker as bootstrap needs it: URI, client id, certificate mode, certificate, key, trust anchor', () => {
    const byName = new Map(MQTT_BROKER.resources.map((r) => [r.name, r]));
    expect(byName.get('URI')).toMatchObject({ id: 0, type: 'String', operations: 'RW', mandatory: true });
    expect(byName.get('Client Identifier')).toMatchObject({ id: 1, type: 'String', mandatory: true });
    expect(byName.get('Security Mode')).toMatchObject({ id: 6, type: 'Integer', range: { min: 0, max: 4 } });
    expect(byName.get('Public Key or Identity')).toMatchObject({ id: 7, type: 'Opaque', operations: 'W', credential: true });
    expect(byName.get('Secret Key')).toMatchObject({ id: 9, type: 'Opaque', operations: 'W', credential: true });
    expect(byName.get('MQTT Broker Public Key')).toMatchObject({ id: 8, type: 'Opaque', operations: 'W', credential: true });
  });

  it('refuses definitions that would mislead the checks', () => {
    const base = { id: 40000, name: 'Bad', objectVersion: '1.0', lwm2mVersion: '1.1', multiple: false, mandatory: false, source: 'test' };
    const r = (over: Partial<ResourceDefinition>): ResourceDefinition => ({ id: 0, name: 'R', type: 'String', operations: 'R', multiple: false, mandatory: false, ...over });
    const model = (resources: ResourceDefinition[]) => () => createObjectModel([{ ...base, resources }]);
    expect(model([r({}), r({})])).toThrow(/defined twice/);
    expect(model([r({ operations: 'E' })])).toThrow(/type none/);
    expect(model([r({ type: 'none' })])).toThrow(/type none/);
    expect(model([r({ credential: true, operations: 'RW' })])).toThrow(/never be readable/);
    expect(model([r({ id: 65535 })])).toThrow(/0\.\.65534/);
    expect(() => createObjectModel([DEVICE, DEVICE])).toThrow(/defined twice/);
    const custom: ObjectDefinition = { ...base, resources: [r({})] };
    expect(extendObjectModel(DEFAULT_OBJECT_MODEL, [custom]).object(40000)).toBe(custom);
    expect(extendObjectModel(DEFAULT_OBJECT_MODEL, [{ ...DEVICE, name: 'Replaced' }]).object(3)?.name).toBe('Replaced');
  });
});

/**
 * @nordicsemiconductor/lwm2m-types generates a JSON Schema from the OMA registry. It cannot be
 * our model (no operations, no Execute resources, no Security object, Opaque/Unsigned/Boolean
 * folded into string/integer), but it is an independent reading of the same registry: every
 * resource it lists must agree with ours on id, name, multiplicity, mandatory and range.
 */
describe('agreement with the registry as @nordicsemiconductor/lwm2m-types reads it', () => {
  it.each([SERVER, DEVICE, CONNECTIVITY_MONITORING, TEMPERATURE, MQTT_BROKER])('$name ($id)', (object) => {
    const schema = schemaFor(object.id);
    expect(squash(schema.title)).toBe(object.name);
    expect(schema.description).toContain(`ObjectVersion: ${object.objectVersion}`);
    expect(schema.description).toContain(`MultipleInstances: ${object.multiple}`);
    const ours = new Map(object.resources.map((r) => [String(r.id), r]));
    const listed = Object.entries(schema.properties!);
    // Every value resource of ours is in the schema, and nothing else is.
    expect(listed.map(([id]) => id).sort()).toEqual(object.resources.filter((r) => r.type !== 'none').map((r) => String(r.id)).sort());
    for (const [id, property] of listed) {
      const r = ours.get(id)!;
      const value = r.multiple ? property.items! : property;
      const expected = schemaType(r);
      const actual = {
        id,
        name: squash(property.title),
        multiple: property.type === 'array',
        mandatory: (schema.required ?? []).includes(id),
        type: value.type,
        ...(value.unixTimestamp === true && { unixTimestamp: true }),
        ...(value.minimum !== undefined && { min: value.minimum, max: value.maximum }),
      };
      const range = r.range ?? (expected.min !== undefined ? { min: expected.min, max: expected.max } : undefined);
      expect(actual).toEqual({
        id,
        name: r.name,
        multiple: r.multiple,
        mandatory: r.mandatory,
        type: expected.type,
        ...(expected.unixTimestamp === true && { unixTimestamp: true }),
        // The generator writes ranges of numbers only; Opaque lengths are ours alone.
        ...(range !== undefined && r.type !== 'Opaque' && r.type !== 'String' && { min: range.min, max: range.max }),
      });
    }
  });
});

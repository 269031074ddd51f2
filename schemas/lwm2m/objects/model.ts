import { MAX_ID } from '../path.ts';
import { CONNECTIVITY_MONITORING } from './connectivityMonitoring.ts';
import { DEVICE } from './device.ts';
import { MQTT_BROKER } from './mqttBroker.ts';
import { SECURITY } from './security.ts';
import { SERVER } from './server.ts';
import { TEMPERATURE } from './temperature.ts';
import type { ObjectDefinition, ResourceDefinition } from './types.ts';

/** The objects a codec or check may look up. Built once; lookups are map reads. */
export interface ObjectModel {
  readonly objects: readonly ObjectDefinition[];
  object(objectId: number): ObjectDefinition | undefined;
  resource(objectId: number, resourceId: number): ResourceDefinition | undefined;
}

/** Rules a definition must keep for the checks and codecs to be right about it. */
const checkDefinition = (object: ObjectDefinition): void => {
  const where = `object ${object.id} (${object.name})`;
  if (!Number.isInteger(object.id) || object.id < 0 || object.id > MAX_ID) throw new Error(`${where}: id must be 0..${MAX_ID}`);
  const seen = new Set<number>();
  for (const r of object.resources) {
    const at = `${where}, resource ${r.id} (${r.name})`;
    if (!Number.isInteger(r.id) || r.id < 0 || r.id > MAX_ID) throw new Error(`${at}: id must be 0..${MAX_ID}`);
    if (seen.has(r.id)) throw new Error(`${at}: defined twice`);
    seen.add(r.id);
    if ((r.type === 'none') !== (r.operations === 'E')) throw new Error(`${at}: Execute resources, and only they, have type none`);
    if (r.credential === true && r.operations.includes('R')) throw new Error(`${at}: a credential must never be readable; make it W`);
  }
};

/** An object model from definitions; throws (a programming error) when two share an id or one breaks a rule. */
export const createObjectModel = (definitions: readonly ObjectDefinition[]): ObjectModel => {
  const objects = new Map<number, { definition: ObjectDefinition; resources: Map<number, ResourceDefinition> }>();
  for (const definition of definitions) {
    checkDefinition(definition);
    if (objects.has(definition.id)) throw new Error(`object ${definition.id} is defined twice; pass one definition per object id`);
    objects.set(definition.id, { definition, resources: new Map(definition.resources.map((r) => [r.id, r])) });
  }
  return Object.freeze({
    objects: Object.freeze([...definitions]),
    object: (objectId: number) => objects.get(objectId)?.definition,
    resource: (objectId: number, resourceId: number) => objects.get(objectId)?.resources.get(resourceId),
  });
};

/** The model with `extra` added; an extra definition replaces the base one with the same id. */
export const extendObjectModel = (base: ObjectModel, extra: readonly ObjectDefinition[]): ObjectModel => {
  const replaced = new Set(extra.map((d) => d.id));
  return createObjectModel([...base.objects.filter((d) => !replaced.has(d.id)), ...extra]);
};

/** Security, Server, Device, Connectivity Monitoring, Temperature and MQTT Broker: the objects we ship. */
export const DEFAULT_OBJECT_MODEL: ObjectModel = createObjectModel([SECURITY, SERVER, DEVICE, CONNECTIVITY_MONITORING, TEMPERATURE, MQTT_BROKER]);

import { CONNECTIVITY_MONITORING } from '../../../../../schemas/lwm2m/objects/connectivityMonitoring.ts';
import { DEVICE } from '../../../../../schemas/lwm2m/objects/device.ts';
import { MQTT_BROKER } from '../../../../../schemas/lwm2m/objects/mqttBroker.ts';
import { SECURITY } from '../../../../../schemas/lwm2m/objects/security.ts';
import { SERVER } from '../../../../../schemas/lwm2m/objects/server.ts';
import { TEMPERATURE } from '../../../../../schemas/lwm2m/objects/temperature.ts';
import type { ObjectDefinition, ResourceDefinition } from '../../../../../schemas/lwm2m/objects/types.ts';

/**
 * The LwM2M objects the console names and builds commands for: the definitions we ship
 * (schemas/lwm2m/objects), looked up by id. Not `DEFAULT_OBJECT_MODEL` itself: model.ts reaches
 * path.ts, which reaches the SenML codecs and Node's Buffer, which a browser lacks. A unit test
 * (test/dashboard/unit/objectModel.unit.test.ts) fails if this list and that model ever differ.
 */

/** The same shape as schemas/lwm2m ObjectModel, so the server's model can stand in for it in tests. */
export interface ObjectLookup {
  readonly objects: readonly ObjectDefinition[];
  object(objectId: number): ObjectDefinition | undefined;
  resource(objectId: number, resourceId: number): ResourceDefinition | undefined;
}

export const lookupOf = (definitions: readonly ObjectDefinition[]): ObjectLookup => {
  const objects = new Map(definitions.map((d) => [d.id, { definition: d, resources: new Map(d.resources.map((r) => [r.id, r])) }]));
  return {
    objects: definitions,
    object: (objectId) => objects.get(objectId)?.definition,
    resource: (objectId, resourceId) => objects.get(objectId)?.resources.get(resourceId),
  };
};

export const SHIPPED_OBJECTS: readonly ObjectDefinition[] = [SECURITY, SERVER, DEVICE, CONNECTIVITY_MONITORING, TEMPERATURE, MQTT_BROKER];

export const OBJECT_MODEL: ObjectLookup = lookupOf(SHIPPED_OBJECTS);

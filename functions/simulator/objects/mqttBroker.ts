import { MQTT_BROKER, MQTT_SECURITY_MODE } from '../../../schemas/lwm2m/index.ts';
import { single, type ObjectBehaviour, type ResourceContent } from '../objectTree.ts';
import { boolean, integer, unsigned } from './values.ts';

export const BROKER_URI = 0;
export const CLIENT_ID = 1;
export const CLEAN_SESSION = 2;
export const KEEP_ALIVE = 3;
export const USER_NAME = 4;
export const PASSWORD = 5;
export const SECURITY_MODE = 6;
export const CLIENT_CERTIFICATE = 7;
export const TRUST_ANCHOR = 8;
export const PRIVATE_KEY = 9;

/**
 * Object 18830, MQTT Broker: no instance until the server (the bridge, doing the bootstrap) writes
 * one. It may create it with Create, or with a Write to /18830/0 as a Bootstrap-Write would; either
 * way `changed` hears of it once the answer has left, and decides whether the credentials are
 * complete enough to connect.
 */
export const mqttBrokerBehaviour = (changed: (instanceId: number, change: 'created' | 'written' | 'deleted') => void): ObjectBehaviour => ({
  definition: MQTT_BROKER,
  supported: MQTT_BROKER.resources.map((r) => r.id),
  creatable: true,
  deletable: true,
  createOnWrite: true,
  // Defaults for the mandatory resources a bootstrap may leave out: clean session, 60 s keep-alive, certificates.
  defaults: () =>
    new Map<number, ResourceContent>([
      [CLEAN_SESSION, single(boolean(true))],
      [KEEP_ALIVE, single(unsigned(60))],
      [SECURITY_MODE, single(integer(MQTT_SECURITY_MODE.certificate))],
    ]),
  validate: (_instanceId, contents) => {
    const mode = contents.get(SECURITY_MODE);
    const value = mode !== undefined && !mode.multiple ? Number(mode.value.value) : undefined;
    if (value !== undefined && value !== MQTT_SECURITY_MODE.certificate && value !== MQTT_SECURITY_MODE.noSec) {
      return `MQTT Security Mode ${value} is not supported here: write 2 (certificate) or 3 (no security)`;
    }
    return undefined;
  },
  written: (instanceId) => () => changed(instanceId, 'written'),
  instancesChanged: (instanceId, change) => () => changed(instanceId, change),
});

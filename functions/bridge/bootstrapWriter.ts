import type { BootstrapDelivery } from '../../schemas/bridge/bootstrapMessages.ts';
import { encodePayload, MQTT_BROKER, MQTT_SECURITY_MODE, type ResourceValue } from '../../schemas/lwm2m/index.ts';
import type { Lwm2mServer } from '../lwm2m/lwm2mServer.ts';
import type { Registration } from '../lwm2m/registrations.ts';
import { contentFormatFor } from './contentFormat.ts';
import { failureOf } from './failureCode.ts';

/** How writing the credentials went: the bootstrap-result the bridge publishes, without its envelope. */
export interface WriteOutcome {
  readonly ok: boolean;
  readonly lwm2mCode: string;
  readonly message?: string;
}

/** The instance the credentials go to: one broker per device, instance 0. */
export const MQTT_BROKER_INSTANCE = 0;

/** Mandatory resources a Create must carry besides the credentials (LwM2M Core §6.3.6). */
export interface CreateDefaults {
  readonly cleanSession: boolean;
  readonly keepAliveSeconds: number;
}

export const DEFAULT_CREATE: CreateDefaults = { cleanSession: true, keepAliveSeconds: 60 };

const resourceId = (name: string): number => {
  const resource = MQTT_BROKER.resources.find((r) => r.name === name);
  if (resource === undefined) throw new Error(`object ${MQTT_BROKER.id} has no resource named "${name}": the object definition changed`);
  return resource.id;
};

// Looked up by name once, so the ids come from the object definition and nowhere else.
const RESOURCE = {
  uri: resourceId('URI'),
  clientId: resourceId('Client Identifier'),
  cleanSession: resourceId('Clean Session'),
  keepAlive: resourceId('Keep Alive'),
  securityMode: resourceId('Security Mode'),
  certificate: resourceId('Public Key or Identity'),
  trustAnchor: resourceId('MQTT Broker Public Key'),
  privateKey: resourceId('Secret Key'),
};

const hasInstance = (registration: Registration): boolean =>
  registration.objectLinks.objects.some((o) => o.objectId === MQTT_BROKER.id && o.instances.includes(MQTT_BROKER_INSTANCE));

/** The values of instance 0: broker URI, client id, certificate mode, certificate, key and trust anchor (PEM bytes). */
export const credentialValues = (delivery: BootstrapDelivery, create: CreateDefaults | undefined): ResourceValue[] => {
  const at = (id: number) => `/${MQTT_BROKER.id}/${MQTT_BROKER_INSTANCE}/${id}`;
  const pem = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'));
  return [
    { path: at(RESOURCE.uri), type: 'String', value: delivery.brokerUri },
    { path: at(RESOURCE.clientId), type: 'String', value: delivery.clientId },
    ...(create !== undefined
      ? ([
          { path: at(RESOURCE.cleanSession), type: 'Boolean', value: create.cleanSession },
          { path: at(RESOURCE.keepAlive), type: 'Unsigned Integer', value: create.keepAliveSeconds },
        ] satisfies ResourceValue[])
      : []),
    { path: at(RESOURCE.securityMode), type: 'Integer', value: MQTT_SECURITY_MODE.certificate },
    { path: at(RESOURCE.certificate), type: 'Opaque', value: pem(delivery.certificatePem) },
    { path: at(RESOURCE.trustAnchor), type: 'Opaque', value: pem(delivery.trustAnchorPem) },
    { path: at(RESOURCE.privateKey), type: 'Opaque', value: pem(delivery.privateKeyPem) },
  ];
};

/**
 * Writes the delivered credentials to the device's object 18830 instance 0 in one request: a
 * partial-update Write (POST /18830/0) when the registration shows the instance, otherwise a
 * Create (POST /18830) of instance 0 with the object's other mandatory resources. Never rejects;
 * the outcome carries the device's code or the failure's kind. Nothing here logs the values.
 */
export const writeCredentials = async (
  server: Lwm2mServer,
  registration: Registration,
  delivery: BootstrapDelivery,
  create: CreateDefaults = DEFAULT_CREATE,
): Promise<WriteOutcome> => {
  const contentFormat = contentFormatFor(registration);
  const existing = hasInstance(registration);
  try {
    if (existing) {
      const path = `/${MQTT_BROKER.id}/${MQTT_BROKER_INSTANCE}`;
      const bytes = encodePayload(contentFormat, credentialValues(delivery, undefined), { path });
      const response = await server.write(registration.endpoint, path, { contentFormat, bytes }, { mode: 'update' });
      return { ok: true, lwm2mCode: response.code };
    }
    const path = `/${MQTT_BROKER.id}`;
    const bytes = encodePayload(contentFormat, credentialValues(delivery, create), { path });
    const response = await server.create(registration.endpoint, path, { contentFormat, bytes });
    return { ok: true, lwm2mCode: response.code };
  } catch (error) {
    const failure = failureOf(error);
    return { ok: false, lwm2mCode: failure.lwm2mCode, message: failure.message };
  }
};

import { createHash } from 'node:crypto';
import { interpretLinks } from '../lwm2m/registrationObjects.ts';
import { parseLinkFormat } from '../lwm2m/linkFormat.ts';
import { MQTT_BROKER } from '../../schemas/lwm2m/objects/mqttBroker.ts';
import type { BootstrapInput } from './bootstrapInput.ts';

export type CredentialsNeed =
  /** `</18830>` without an instance: the device supports the MQTT Broker object and has no credentials yet. */
  | 'needs-credentials'
  /** An instance such as `</18830/0>`: it has credentials. */
  | 'has-credentials'
  /** No object 18830 at all: this device cannot take MQTT credentials over LwM2M. */
  | 'no-mqtt-object'
  /** The link format does not parse; the LwM2M server should have refused it, so nothing is started. */
  | 'unreadable';

/** What a registration's object links say about the device's MQTT credentials (object 18830). */
export const credentialsNeed = (objectLinks: string): CredentialsNeed => {
  const parsed = parseLinkFormat(objectLinks);
  if (!parsed.ok) return 'unreadable';
  const links = interpretLinks(parsed.links);
  if (!links.ok) return 'unreadable';
  const broker = links.value.objects.find((o) => o.objectId === MQTT_BROKER.id);
  if (!broker) return 'no-mqtt-object';
  return broker.instances.length === 0 ? 'needs-credentials' : 'has-credentials';
};

/** Step Functions execution names allow letters, digits, `-` and `_` (no `:`), at most 80. */
const NAME_UNSAFE = /[^A-Za-z0-9_-]/g;

/**
 * The execution of one bootstrap: its name comes from the thing and the trigger (the registration's
 * location and time, or the bootstrap request's time), so a redelivered message starts nothing twice
 * (the engine returns the existing execution for the same name and input), while a new registration
 * of the same device starts a new attempt.
 */
export const bootstrapExecution = (input: BootstrapInput): { readonly name: string; readonly input: BootstrapInput } => {
  const digest = createHash('sha256').update(JSON.stringify([input.thingName, input.bridgeId, input.trigger])).digest('hex').slice(0, 24);
  return { name: `bs-${input.thingName.replace(NAME_UNSAFE, '_').slice(0, 40)}-${digest}`, input };
};

/** The trigger of a registration: it identifies that one registration (location and time). */
export const registrationTrigger = (location: string, registeredAt: string): string => `register ${location} ${registeredAt}`;

/** The trigger of a Bootstrap-Request: the device asked at that time. */
export const bootstrapRequestTrigger = (at: string): string => `bootstrap-request ${at}`;

import type { BridgeDeregister, BridgeRegister, BridgeUpdate } from '../../schemas/bridge/bridgeEvents.ts';
import type { ObjectLinks } from '../lwm2m/registrationObjects.ts';
import type { Registration } from '../lwm2m/registrations.ts';

/**
 * A registration as the bridge reports it (schemas/bridge). The contract's lifetime is positive:
 * an LwM2M 1.2 client may register with lt=0 ("no expiry"), which is reported as the largest
 * lifetime LwM2M can express (2^32-1 s, about 136 years), the nearest the contract allows.
 */
export const NO_EXPIRY_LIFETIME_SECONDS = 0xffffffff;

const lifetimeOf = (registration: Registration): number => (registration.lifetimeSeconds === 0 ? NO_EXPIRY_LIFETIME_SECONDS : registration.lifetimeSeconds);

/** The contract keeps binding modes to 8 characters (U, UQ, S, N, UQS ...); a longer one is left out. */
const bindingOf = (registration: Registration): { bindingMode?: string } =>
  registration.binding.length > 0 && registration.binding.length <= 8 ? { bindingMode: registration.binding } : {};

/**
 * The registration's objects in CoRE link format. The server keeps the parsed links, not the text
 * the device sent, so this writes them back: the root link with its content formats when the device
 * gave either, then `</o>` for an object without instances (with `ver` when not 1.0) and `</o/i>`
 * per instance. The backend reads exactly this (a `</18830>` without `</18830/0>` asks for credentials).
 */
export const formatObjectLinks = (links: ObjectLinks): string => {
  const root = links.rootPath;
  const parts: string[] = [];
  if (root !== '' || links.contentFormats.length > 0) {
    parts.push(`<${root === '' ? '/' : root}>;rt="oma.lwm2m"${links.contentFormats.length > 0 ? `;ct="${links.contentFormats.join(' ')}"` : ''}`);
  }
  for (const object of links.objects) {
    if (object.instances.length === 0 || object.version !== undefined) parts.push(`<${root}/${object.objectId}>${object.version !== undefined ? `;ver=${object.version}` : ''}`);
    for (const instance of object.instances) parts.push(`<${root}/${object.objectId}/${instance}>`);
  }
  return parts.join(',');
};

/**
 * `coaps` tells the backend the endpoint name is proven (the bootstrap workflow hands credentials
 * over plain CoAP only when FLEET_BOOTSTRAP_OVER_PLAIN_COAP allows it). A DTLS session proves only
 * its own identity, so a registration counts as `coaps` when that identity is the endpoint name;
 * under any other identity the name is merely claimed, as on plain CoAP (ADR 0010).
 */
export const transportOf = (registration: Registration): 'coap' | 'coaps' => (registration.identity !== undefined && registration.identity === registration.endpoint ? 'coaps' : 'coap');

export const registerMessage = (registration: Registration): BridgeRegister => ({
  endpoint: registration.endpoint,
  lwm2mVersion: registration.lwm2mVersion,
  lifetimeSeconds: lifetimeOf(registration),
  ...bindingOf(registration),
  queueMode: registration.queueMode,
  objectLinks: formatObjectLinks(registration.objectLinks),
  location: `/rd/${registration.id}`,
  registeredAt: registration.registeredAt,
  transport: transportOf(registration),
});

/**
 * An Update: the lifetime and binding always (they are cheap and let the backend recompute the
 * expiry), the object links only when they changed (or when `previous` is unknown: after the bridge
 * reconnected, to restore what the backend may have marked lost).
 */
export const updateMessage = (registration: Registration, previous: Registration | undefined, updatedAt: string = registration.updatedAt): BridgeUpdate => {
  const links = formatObjectLinks(registration.objectLinks);
  const linksChanged = previous === undefined || formatObjectLinks(previous.objectLinks) !== links;
  return {
    endpoint: registration.endpoint,
    lifetimeSeconds: lifetimeOf(registration),
    ...bindingOf(registration),
    ...(linksChanged ? { objectLinks: links } : {}),
    updatedAt,
  };
};

export const deregisterMessage = (registration: Registration, reason: BridgeDeregister['reason'], at: string): BridgeDeregister => ({
  endpoint: registration.endpoint,
  reason,
  at,
});

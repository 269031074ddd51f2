import { z } from 'zod';
import { defineEvent } from './define.ts';
import { IsoTime, Location, ThingName } from './common.ts';

const Attributes = z.record(z.string(), z.string());

export const DeviceProvisioned = defineEvent(
  'DeviceProvisioned',
  1,
  z.object({
    thingName: ThingName,
    tenant: z.string().min(1),
    location: Location,
    attributes: Attributes,
    thingGroup: z.string().min(1).optional(),
    deviceType: z.string().min(1).optional(),
    certificateId: z.string().min(1),
    batchId: z.string().min(1).optional(),
  }),
  'A device from a manifest now has a thing, a certificate, a policy and stored credentials.',
);

export const DeviceProvisioningFailed = defineEvent(
  'DeviceProvisioningFailed',
  1,
  z.object({
    thingName: ThingName,
    batchId: z.string().min(1).optional(),
    step: z.string().min(1),
    reason: z.string().min(1),
  }),
  'Provisioning a device stopped at a step; nothing after that step was created.',
);

export const DeviceAttributesChanged = defineEvent(
  'DeviceAttributesChanged',
  1,
  z.object({
    thingName: ThingName,
    tenant: z.string().min(1).optional(),
    location: Location.optional(),
    thingGroup: z.string().min(1).nullable().optional(),
    deviceType: z.string().min(1).nullable().optional(),
    set: Attributes,
    removed: z.array(z.string()),
    batchId: z.string().min(1).optional(),
  }),
  'A re-uploaded manifest (or an operator) changed what is known about a device.',
);

export const DeviceBootstrapped = defineEvent(
  'DeviceBootstrapped',
  1,
  z.object({
    thingName: ThingName,
    endpoint: z.string().min(1),
    bridgeId: z.string().min(1),
    brokerUri: z.string().min(1),
  }),
  'A device received its MQTT credentials over LwM2M (object 18830).',
);

export const BootstrapRejected = defineEvent(
  'BootstrapRejected',
  1,
  z.object({
    endpoint: z.string().min(1),
    thingName: ThingName.optional(),
    bridgeId: z.string().min(1),
    reason: z.enum(['unknown-device', 'deprovisioned', 'already-bootstrapped', 'not-active', 'unauthenticated']),
  }),
  'A registration asked for credentials and got none; the reason says why.',
);

export const BootstrapFailed = defineEvent(
  'BootstrapFailed',
  1,
  z.object({
    thingName: ThingName,
    endpoint: z.string().min(1),
    bridgeId: z.string().min(1),
    lwm2mCode: z.string().min(1),
    message: z.string(),
  }),
  'Delivering credentials to a provisioned device failed at the LwM2M layer.',
);

export const DeviceDeprovisioned = defineEvent(
  'DeviceDeprovisioned',
  1,
  z.object({
    thingName: ThingName,
    certificateId: z.string().min(1).optional(),
    reason: z.string().optional(),
  }),
  'A device lost its thing, certificate and credentials; it can no longer connect.',
);

export const DeviceRegistered = defineEvent(
  'DeviceRegistered',
  1,
  z.object({
    thingName: ThingName,
    endpoint: z.string().min(1),
    bridgeId: z.string().min(1),
    lwm2mVersion: z.string().optional(),
    lifetimeSeconds: z.number().int().positive(),
    bindingMode: z.string().optional(),
    queueMode: z.boolean(),
    objectLinks: z.string(),
    registeredAt: IsoTime,
  }),
  'A device registered (or re-registered) with an LwM2M server.',
);

export const DeviceDeregistered = defineEvent(
  'DeviceDeregistered',
  1,
  z.object({
    thingName: ThingName,
    endpoint: z.string().min(1),
    bridgeId: z.string().min(1),
    reason: z.enum(['deregistered', 'lifetime-expired']),
  }),
  'A device left its LwM2M server, by de-registering or by letting its lifetime run out.',
);

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
    /**
     * The bridge's ok came after the workflow had given up waiting (BootstrapFailed timeout): this
     * corrects that failure. Absent when the workflow drew the conclusion itself. Optional, so every
     * event stored before it existed still reads as v1.
     */
    late: z.literal(true).optional(),
  }),
  'A device received its MQTT credentials over LwM2M (object 18830); late when the result came after the workflow had recorded a timeout.',
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
    /**
     * Timeout only: the delivery the workflow stopped waiting for (its request id and the broker URI
     * it carried), so a bridge result that arrives later can still conclude it (DeviceBootstrapped late).
     */
    requestId: z.string().min(1).optional(),
    brokerUri: z.string().min(1).optional(),
  }),
  'Delivering credentials to a provisioned device failed at the LwM2M layer, or no result came in time.',
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

export const DeviceRegistrationUpdated = defineEvent(
  'DeviceRegistrationUpdated',
  1,
  z.object({
    thingName: ThingName,
    endpoint: z.string().min(1),
    bridgeId: z.string().min(1),
    /** Only what the LwM2M Update carried; an Update with nothing is a heartbeat that renews the lifetime. */
    lifetimeSeconds: z.number().int().positive().optional(),
    bindingMode: z.string().optional(),
    objectLinks: z.string().optional(),
    updatedAt: IsoTime,
  }),
  'A registered device renewed its registration (LwM2M Update): lifetime, binding or objects, or a heartbeat.',
);

export const DeviceSessionLost = defineEvent(
  'DeviceSessionLost',
  1,
  z.object({
    thingName: ThingName,
    endpoint: z.string().min(1),
    bridgeId: z.string().min(1),
    reason: z.enum(['bridge-offline']),
    at: IsoTime,
  }),
  'The bridge that held the device went offline: commands cannot reach the device until it registers or updates again.',
);

export const BootstrapResultReported = defineEvent(
  'BootstrapResultReported',
  1,
  z.object({
    thingName: ThingName,
    endpoint: z.string().min(1),
    bridgeId: z.string().min(1),
    /** The delivery it answers; the bootstrap workflow matches on it. */
    requestId: z.string().min(1),
    ok: z.boolean(),
    lwm2mCode: z.string().min(1),
    message: z.string().optional(),
    reportedAt: IsoTime,
  }),
  'A bridge reported how writing delivered credentials to the device went; the bootstrap workflow draws the conclusion.',
);

/** Kept with the device lifecycle: a bridge's status decides whether its devices can be reached. */
export const BridgeStatusChanged = defineEvent(
  'BridgeStatusChanged',
  1,
  z.object({
    bridgeId: z.string().min(1),
    status: z.enum(['online', 'offline']),
    at: IsoTime,
    lwm2mEndpoints: z.array(z.string()).optional(),
    /** offline: how many devices the bridge held, each of which got DeviceSessionLost. */
    devicesLost: z.number().int().nonnegative().optional(),
  }),
  'A bridge connected (online) or its connection ended (offline, its last will).',
);

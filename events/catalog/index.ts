import type { z } from 'zod';
import type { StoredEvent } from '../envelope.ts';
import type { EventDefinition } from './define.ts';
import * as lifecycle from './deviceLifecycle.ts';
import * as data from './deviceData.ts';
import * as commands from './commands.ts';
import * as batch from './provisioningBatch.ts';
import * as authentication from './deviceAuthentication.ts';

export * from './common.ts';
export * from './define.ts';
export * from './deviceLifecycle.ts';
export * from './deviceData.ts';
export * from './commands.ts';
export * from './provisioningBatch.ts';
export * from './deviceAuthentication.ts';

/** The current version of every domain event. Appends are validated against these. */
export const currentEvents = [
  lifecycle.DeviceProvisioned,
  lifecycle.DeviceProvisioningFailed,
  lifecycle.DeviceAttributesChanged,
  lifecycle.DeviceRegistered,
  lifecycle.DeviceDeregistered,
  lifecycle.DeviceBootstrapped,
  lifecycle.BootstrapRejected,
  lifecycle.BootstrapFailed,
  lifecycle.DeviceDeprovisioned,
  lifecycle.DeviceRegistrationUpdated,
  lifecycle.DeviceSessionLost,
  lifecycle.BootstrapResultReported,
  lifecycle.BridgeStatusChanged,
  authentication.DeviceAuthenticationFailed,
  data.DeviceStateReported,
  data.AlarmRaised,
  data.AlarmCleared,
  data.AlarmAcknowledged,
  data.MessageRejected,
  commands.CommandRequested,
  commands.CommandPublished,
  commands.CommandQueued,
  commands.CommandDispatched,
  commands.CommandSucceeded,
  commands.CommandFailed,
  commands.CommandTimedOut,
  commands.CommandIgnored,
  batch.ProvisioningBatchStarted,
  batch.ProvisioningBatchCompleted,
] as const;

/** Versions that may still be in a store; each has an upcaster in events/upcasting.ts. */
export const supersededEvents = [data.AlarmRaisedV1] as const;

type Current = (typeof currentEvents)[number];
export type EventType = Current['type'];
export type EventData<T extends EventType> = z.infer<Extract<Current, { type: T }>['schema']>;

/** A stored event of a known type at its current version, with typed data. */
export type DomainEvent = {
  [D in Current as D['type']]: StoredEvent<D['type'], z.infer<D['schema']>>;
}[EventType];

export const currentDefinition: ReadonlyMap<string, EventDefinition> = new Map(
  currentEvents.map((d) => [d.type, d as EventDefinition]),
);

export const definitionOf = (type: string, version: number): EventDefinition | undefined =>
  [...currentEvents, ...supersededEvents].find((d) => d.type === type && d.version === version);

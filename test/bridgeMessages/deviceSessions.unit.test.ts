import { describe, expect, it } from 'vitest';
import type { DomainEvent, EventData } from '../../events/catalog/index.ts';
import { deviceSessionsProjection, type DeviceSessionRow } from '../../events/projections/deviceSessions.ts';
import { foldProjection } from '../../events/projections/projection.ts';
import { newEvent } from '../support/events.ts';

let position = 0;
const stored = (e: ReturnType<typeof newEvent>, recordedAt = '2026-11-24T12:00:30.000Z') =>
  ({ ...e, streamId: 'device-x', streamPosition: ++position, recordedAt }) as unknown as DomainEvent;

const registered = (bridgeId: string, registeredAt: string, extra: Partial<EventData<'DeviceRegistered'>> = {}) =>
  stored(
    newEvent('DeviceRegistered', {
      thingName: 'lamp-1',
      endpoint: 'lamp-1',
      bridgeId,
      lwm2mVersion: '1.1',
      lifetimeSeconds: 300,
      bindingMode: 'UQ',
      queueMode: true,
      objectLinks: '</3/0>,</18830>',
      registeredAt,
      ...extra,
    }),
  );
const updated = (bridgeId: string, updatedAt: string, lifetimeSeconds?: number) =>
  stored(newEvent('DeviceRegistrationUpdated', { thingName: 'lamp-1', endpoint: 'lamp-1', bridgeId, updatedAt, ...(lifetimeSeconds ? { lifetimeSeconds } : {}) }));
const deregistered = (bridgeId: string, reason: 'deregistered' | 'lifetime-expired' = 'deregistered') =>
  stored(newEvent('DeviceDeregistered', { thingName: 'lamp-1', endpoint: 'lamp-1', bridgeId, reason }), '2026-11-24T12:09:00.000Z');
const lost = (bridgeId: string, at = '2026-11-24T12:05:00.000Z') => stored(newEvent('DeviceSessionLost', { thingName: 'lamp-1', endpoint: 'lamp-1', bridgeId, reason: 'bridge-offline', at }));

const fold = (...events: DomainEvent[]): DeviceSessionRow | undefined => foldProjection(deviceSessionsProjection, events).get('lamp-1');

describe('device-sessions projection', () => {
  it('holds the registration: bridge, queue mode, lifetime, and an expiry renewed by every Update', () => {
    const row = fold(registered('b1', '2026-11-24T12:00:00.000Z'));
    expect(row).toMatchObject({ bridgeId: 'b1', endpoint: 'lamp-1', registered: true, queueMode: true, lifetimeSeconds: 300, lastUpdateAt: '2026-11-24T12:00:00.000Z', expiresAt: '2026-11-24T12:05:00.000Z', bootstrapped: false });
    const renewed = fold(registered('b1', '2026-11-24T12:00:00.000Z'), updated('b1', '2026-11-24T12:04:00.000Z', 600));
    expect(renewed).toMatchObject({ registered: true, lifetimeSeconds: 600, lastUpdateAt: '2026-11-24T12:04:00.000Z', expiresAt: '2026-11-24T12:14:00.000Z', registeredAt: '2026-11-24T12:00:00.000Z' });
  });

  it('ends the session on De-register, lifetime expiry or the bridge going offline, saying why', () => {
    expect(fold(registered('b1', '2026-11-24T12:00:00.000Z'), deregistered('b1', 'lifetime-expired'))).toMatchObject({ registered: false, endedReason: 'lifetime-expired', endedAt: '2026-11-24T12:09:00.000Z' });
    expect(fold(registered('b1', '2026-11-24T12:00:00.000Z'), lost('b1'))).toMatchObject({ registered: false, endedReason: 'bridge-offline', endedAt: '2026-11-24T12:05:00.000Z' });
  });

  it('lets an Update from the holding bridge revive a session its bridge going offline ended, but not one the device ended', () => {
    expect(fold(registered('b1', '2026-11-24T12:00:00.000Z'), lost('b1'), updated('b1', '2026-11-24T12:06:00.000Z'))).toMatchObject({ registered: true, endedReason: undefined, expiresAt: '2026-11-24T12:11:00.000Z' });
    expect(fold(registered('b1', '2026-11-24T12:00:00.000Z'), deregistered('b1'), updated('b1', '2026-11-24T12:06:00.000Z'))).toMatchObject({ registered: false, endedReason: 'deregistered' });
  });

  it('ignores what a bridge that does not hold the device says about it', () => {
    const moved = [registered('b1', '2026-11-24T12:00:00.000Z'), registered('b2', '2026-11-24T12:01:00.000Z')];
    expect(fold(...moved, deregistered('b1'))).toMatchObject({ bridgeId: 'b2', registered: true });
    expect(fold(...moved, lost('b1'))).toMatchObject({ bridgeId: 'b2', registered: true });
    expect(fold(...moved, updated('b1', '2026-11-24T12:02:00.000Z', 900))).toMatchObject({ bridgeId: 'b2', lifetimeSeconds: 300 });
    // An older registration at another bridge, delivered late, does not move the device back.
    expect(fold(registered('b2', '2026-11-24T12:01:00.000Z'), registered('b1', '2026-11-24T12:00:00.000Z'))).toMatchObject({ bridgeId: 'b2' });
  });

  it('records how bootstrap went and forgets a deprovisioned device', () => {
    const failed = stored(newEvent('BootstrapFailed', { thingName: 'lamp-1', endpoint: 'lamp-1', bridgeId: 'b1', lwm2mCode: '4.04', message: '' }));
    expect(fold(registered('b1', '2026-11-24T12:00:00.000Z'), failed)).toMatchObject({ bootstrapped: false, lastBootstrap: { outcome: 'failed', lwm2mCode: '4.04', bridgeId: 'b1' } });
    const done = stored(newEvent('DeviceBootstrapped', { thingName: 'lamp-1', endpoint: 'lamp-1', bridgeId: 'b1', brokerUri: 'mqtts://h:8883' }), '2026-11-24T12:01:00.000Z');
    expect(fold(registered('b1', '2026-11-24T12:00:00.000Z'), failed, done)).toMatchObject({ bootstrapped: true, bootstrappedAt: '2026-11-24T12:01:00.000Z', lastBootstrap: { outcome: 'bootstrapped' } });
    const rejected = stored(newEvent('BootstrapRejected', { endpoint: 'lamp-1', thingName: 'lamp-1', bridgeId: 'b1', reason: 'already-bootstrapped' }));
    expect(fold(registered('b1', '2026-11-24T12:00:00.000Z'), done, rejected)).toMatchObject({ bootstrapped: true, lastBootstrap: { outcome: 'rejected', reason: 'already-bootstrapped' } });
    expect(fold(registered('b1', '2026-11-24T12:00:00.000Z'), done, stored(newEvent('DeviceDeprovisioned', { thingName: 'lamp-1' })))).toBeUndefined();
  });

  it('keeps no row for a stranger\'s refusal, which names no thing', () => {
    const stranger = stored(newEvent('BootstrapRejected', { endpoint: 'ghost', bridgeId: 'b1', reason: 'unknown-device' }));
    expect(foldProjection(deviceSessionsProjection, [stranger]).size).toBe(0);
  });
});

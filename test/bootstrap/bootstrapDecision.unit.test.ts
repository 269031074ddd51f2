import { describe, expect, it } from 'vitest';
import { decideBootstrap } from '../../functions/bootstrap/bootstrapDecision.ts';
import { bootstrapExecution, credentialsNeed, registrationTrigger } from '../../functions/bootstrap/bootstrapTrigger.ts';
import { executionNameProblem } from '../../functions/workflows/workflowEngine.ts';
import { bootstrapEnv } from '../../infra/embedded/modules/bootstrap.ts';

describe('who gets credentials', () => {
  const open = { allowPlainCoap: true };
  const closed = { allowPlainCoap: false };

  it('delivers to a provisioned device with an active certificate', () => {
    expect(decideBootstrap({ status: 'provisioned', certificateActive: true }, 'coaps', closed)).toEqual({ decision: 'deliver' });
    expect(decideBootstrap({ status: 'provisioned', certificateActive: true }, 'coap', open)).toEqual({ decision: 'deliver' });
  });

  it('refuses with the reason, strangers and departed devices before anything about the request', () => {
    expect(decideBootstrap({ status: undefined }, 'coap', closed)).toEqual({ decision: 'reject', reason: 'unknown-device' });
    expect(decideBootstrap({ status: 'deprovisioned' }, 'coap', closed)).toEqual({ decision: 'reject', reason: 'deprovisioned' });
    expect(decideBootstrap({ status: 'provisioned', certificateActive: true }, 'coap', closed)).toEqual({ decision: 'reject', reason: 'unauthenticated' });
    expect(decideBootstrap({ status: 'bootstrapped', certificateActive: true }, 'coaps', closed)).toEqual({ decision: 'reject', reason: 'already-bootstrapped' });
    expect(decideBootstrap({ status: 'provisioned', certificateActive: false }, 'coaps', closed)).toEqual({ decision: 'reject', reason: 'not-active' });
  });
});

describe('what a registration says about MQTT credentials (object 18830)', () => {
  it('needs credentials when the object is there without an instance, under any root path', () => {
    expect(credentialsNeed('</>;rt="oma.lwm2m";ct=110,</1/0>,</3/0>,</18830>;ver=1.0')).toBe('needs-credentials');
    expect(credentialsNeed('</lwm2m>;rt="oma.lwm2m",</lwm2m/3/0>,</lwm2m/18830>')).toBe('needs-credentials');
  });

  it('needs nothing with an instance, without the object, or with links it cannot read', () => {
    expect(credentialsNeed('</1/0>,</3/0>,</18830>,</18830/0>')).toBe('has-credentials');
    expect(credentialsNeed('</1/0>,</3/0>')).toBe('no-mqtt-object');
    // </18830> outside the alternate root path is no LwM2M object.
    expect(credentialsNeed('</lwm2m>;rt="oma.lwm2m",</lwm2m/3/0>,</18830>')).toBe('no-mqtt-object');
    expect(credentialsNeed('</18830')).toBe('unreadable');
  });
});

describe('the bootstrap execution of a trigger', () => {
  const input = { thingName: 'acme:lamp-1', bridgeId: 'b1', transport: 'coaps' as const, trigger: registrationTrigger('/rd/a1', '2026-11-24T12:00:00.000Z') };

  it('is named from the thing and the registration: the same registration, the same name; another, another', () => {
    const first = bootstrapExecution(input);
    expect(first.name).toMatch(/^bs-acme_lamp-1-[0-9a-f]{24}$/);
    expect(executionNameProblem(first.name)).toBeUndefined();
    expect(bootstrapExecution({ ...input }).name).toBe(first.name);
    expect(bootstrapExecution({ ...input, trigger: registrationTrigger('/rd/a2', '2026-11-24T12:10:00.000Z') }).name).not.toBe(first.name);
    expect(bootstrapExecution({ ...input, thingName: 'x'.repeat(128) }).name.length).toBeLessThanOrEqual(80);
  });
});

describe('bootstrap settings', () => {
  it('refuses plain CoAP bootstrap unless switched on, and refuses a broker URI devices could not use', () => {
    expect(bootstrapEnv({})).toEqual({ allowPlainCoap: false, brokerUri: undefined });
    expect(bootstrapEnv({ FLEET_BOOTSTRAP_OVER_PLAIN_COAP: 'true' })).toEqual({ allowPlainCoap: true, brokerUri: undefined });
    expect(bootstrapEnv({ FLEET_BOOTSTRAP_OVER_PLAIN_COAP: 'false', FLEET_BOOTSTRAP_BROKER_URI: 'mqtts://broker.example:8883' })).toEqual({ allowPlainCoap: false, brokerUri: 'mqtts://broker.example:8883' });
    expect(() => bootstrapEnv({ FLEET_BOOTSTRAP_BROKER_URI: 'mqtt://broker.example:1883' })).toThrow(/FLEET_BOOTSTRAP_BROKER_URI.*mqtts:\/\//);
    expect(() => bootstrapEnv({ FLEET_BOOTSTRAP_OVER_PLAIN_COAP: 'yes' })).toThrow(/FLEET_BOOTSTRAP_OVER_PLAIN_COAP/);
  });
});

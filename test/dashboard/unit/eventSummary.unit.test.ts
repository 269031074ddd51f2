import { describe, expect, it } from 'vitest';
import { summarizeEvent } from '../../../functions/dashboard/app/pages/device/eventSummary.ts';
import { DEFAULT_OBJECT_MODEL as OBJECT_MODEL } from '../../../schemas/lwm2m/objects/model.ts';

const values = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ name: '/3303/0/5700', path: `/3303/${i}/5700`, time: '2026-03-01T12:00:00Z', value: { kind: 'number', v: 20 + i }, unit: 'Cel' }));

describe('the timeline: one line per event', () => {
  it('names reported values from the model, with units, at most three and a count of the rest', () => {
    expect(summarizeEvent('DeviceStateReported', { values: values(1) }, OBJECT_MODEL)).toBe('Sensor Value = 20 °C');
    expect(summarizeEvent('DeviceStateReported', { values: values(5) }, OBJECT_MODEL)).toBe('Sensor Value = 20 °C; Sensor Value = 21 °C; Sensor Value = 22 °C, and 2 more');
  });

  it('says what alarms, registrations and rejections were', () => {
    expect(summarizeEvent('AlarmRaised', { alarmId: 'a', code: 'TEMPERATURE_HIGH', severity: 'major', message: 'too hot', path: '/3303/0/5700' }, OBJECT_MODEL)).toBe(
      'major alarm TEMPERATURE_HIGH · too hot · at /3303/0/5700',
    );
    expect(summarizeEvent('AlarmAcknowledged', { alarmId: 'a', note: 'on it' }, OBJECT_MODEL)).toBe('alarm a acknowledged · note: on it');
    expect(summarizeEvent('DeviceRegistered', { endpoint: 'lamp', bridgeId: 'b1', queueMode: true, lifetimeSeconds: 300 }, OBJECT_MODEL)).toBe(
      'endpoint lamp via bridge b1 · queue mode · lifetime 300 s',
    );
    expect(summarizeEvent('MessageRejected', { stage: 'decode', reason: 'not CBOR', payloadBytes: 4 }, OBJECT_MODEL)).toBe('message refused at decode · not CBOR · 4 bytes');
    expect(summarizeEvent('DeviceBootstrapped', { bridgeId: 'b1', brokerUri: 'mqtts://iot:8883' }, OBJECT_MODEL)).toBe('credentials delivered via bridge b1 · broker mqtts://iot:8883');
    expect(summarizeEvent('DeviceBootstrapped', { bridgeId: 'b1', brokerUri: 'mqtts://iot:8883', late: true }, OBJECT_MODEL)).toBe(
      'credentials delivered via bridge b1 · broker mqtts://iot:8883 · late: the bridge confirmed after the timeout was recorded',
    );
  });

  it('says why a coaps handshake was refused (DeviceAuthenticationFailed), with a rate-limited burst as its count', () => {
    const base = { identity: 'lamp-1', transport: 'coaps', bridgeId: 'b1', remote: { address: '10.0.0.5', port: 5684 }, firstAttemptAt: '2026-03-01T12:00:00Z', lastAttemptAt: '2026-03-01T12:00:09Z' };
    expect(summarizeEvent('DeviceAuthenticationFailed', { ...base, thingName: 'lamp-1', reason: 'bad-psk', attempts: 1 }, OBJECT_MODEL)).toBe(
      'refused coaps handshake: wrong pre-shared key · identity lamp-1 · from 10.0.0.5:5684 · bridge b1',
    );
    expect(summarizeEvent('DeviceAuthenticationFailed', { ...base, reason: 'endpoint-mismatch', endpoint: 'lamp-2', attempts: 7 }, OBJECT_MODEL)).toBe(
      'refused coaps handshake: registered under another device’s endpoint name · identity lamp-1 · as lamp-2 · from 10.0.0.5:5684 · 7 attempts · bridge b1',
    );
    expect(summarizeEvent('DeviceAuthenticationFailed', { reason: 'some-new-reason' }, OBJECT_MODEL)).toBe('refused coaps handshake: some-new-reason');
    expect(summarizeEvent('DeviceAuthenticationFailed', null, OBJECT_MODEL)).toBe('refused coaps handshake: reason not given');
  });

  it('never throws on data of an unexpected shape (an unreadable event is shown as stored)', () => {
    for (const data of [null, 42, 'text', [], { values: 'nope' }, { values: [null, { path: '/3/0/0' }] }]) {
      for (const type of ['DeviceStateReported', 'AlarmRaised', 'DeviceAttributesChanged', 'DeviceAuthenticationFailed', 'SomethingNew']) {
        expect(() => summarizeEvent(type, data, OBJECT_MODEL)).not.toThrow();
      }
    }
    expect(summarizeEvent('DeviceStateReported', { values: [null, { path: '/3/0/0' }] }, OBJECT_MODEL)).toBe('? = ?; /3/0/0 = ?');
    expect(summarizeEvent('SomethingNew', { thingName: 'x', a: 1, b: 2 }, OBJECT_MODEL)).toBe('fields: a, b');
    expect(summarizeEvent('SomethingNew', {}, OBJECT_MODEL)).toBe('no details');
  });
});

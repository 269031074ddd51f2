import { describe, expect, it } from 'vitest';
import { readAlarmPack } from '../../schemas/alarms/alarmPack.ts';
import { decodeSenmlCbor, resolve } from '../../schemas/senml/index.ts';
import { alarmPack, statePack } from '../../functions/simulator/mqttPayloads.ts';
import { seededRandom, seedOf } from '../../functions/simulator/random.ts';
import { TemperatureSensor } from '../../functions/simulator/temperatureSensor.ts';
import { ThresholdAlarm } from '../../functions/simulator/thresholdAlarm.ts';

const AT = Date.parse('2026-01-01T00:00:00.000Z') / 1000;
const read = (bytes: Uint8Array) => resolve(decodeSenmlCbor(bytes, { profile: 'lwm2m' }), AT, { profile: 'lwm2m' });

describe('what the device publishes', () => {
  it('state: the temperature with its unit and the device time, named by LwM2M path', () => {
    expect(read(statePack(21.75, AT))).toEqual([
      { name: '/3303/0/5700', time: AT, unit: 'Cel', value: { kind: 'number', v: 21.75 } },
      { name: '/3/0/13', time: AT, value: { kind: 'number', v: AT } },
    ]);
  });

  it('an alarm pack the ingestion reads back as the same raise and clear', () => {
    const report = { alarmId: 'temperature-high-3303-0', atSeconds: AT, code: 'TEMPERATURE_HIGH', severity: 'major', message: 'too hot', path: '/3303/0/5700' } as const;
    expect(readAlarmPack(read(alarmPack({ ...report, state: 'raised' })))).toEqual([
      { kind: 'raised', alarmId: report.alarmId, code: 'TEMPERATURE_HIGH', severity: 'major', message: 'too hot', path: '/3303/0/5700', at: new Date(AT * 1000) },
    ]);
    expect(readAlarmPack(read(alarmPack({ ...report, state: 'cleared', atSeconds: AT + 60 })))).toEqual([{ kind: 'cleared', alarmId: report.alarmId, at: new Date((AT + 60) * 1000) }]);
  });
});

describe('the threshold alarm', () => {
  it('raises above the threshold and clears only below it minus the hysteresis', () => {
    const alarm = new ThresholdAlarm({ above: 30, hysteresis: 1 });
    const transitions = [29, 30, 30.1, 31, 29.5, 29.1, 28.9, 28, 30.5].map((v) => alarm.check(v));
    expect(transitions).toEqual([undefined, undefined, 'raised', undefined, undefined, undefined, 'cleared', undefined, 'raised']);
    expect(alarm.isRaised).toBe(true);
  });
});

describe('the temperature sensor', () => {
  it('drifts the same way for the same seed, at 0.01 °C resolution, toward its mean', () => {
    const walk = (seed: number) => {
      const sensor = new TemperatureSensor(seededRandom(seed), { meanCelsius: 21, startCelsius: 35 });
      return Array.from({ length: 200 }, () => sensor.sample());
    };
    const a = walk(seedOf('meter-1'));
    expect(walk(seedOf('meter-1'))).toEqual(a);
    expect(walk(seedOf('meter-2'))).not.toEqual(a);
    expect(a.every((v) => Math.round(v * 100) / 100 === v)).toBe(true);
    expect(Math.abs(a.at(-1)! - 21)).toBeLessThan(3);
  });

  it('clamps to its range and refuses what is not a temperature', () => {
    const sensor = new TemperatureSensor(() => 0.5, { minCelsius: -40, maxCelsius: 85 });
    expect(sensor.force(120)).toBe(85);
    expect(sensor.force(-60)).toBe(-40);
    expect(() => sensor.force(Number.NaN)).toThrow(/finite number/);
  });

  it('seeded random numbers stay in [0, 1)', () => {
    const random = seededRandom(42);
    const values = Array.from({ length: 10_000 }, random);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
  });
});

import { describe, expect, it } from 'vitest';
import { DemoProgress } from '../../functions/demo/demoProgress.ts';
import { summaryLines } from '../../functions/demo/demoSummary.ts';

const things = new Set(['demo-0', 'demo-1', 'demo-2']);
const fleet = (connected: number, acknowledged: number) => ({ devices: 3, connected, acknowledged, mqttErrors: 0 });

describe('DemoProgress', () => {
  it('counts what the bus says per device, once each, and prints only what deserves a line', () => {
    const p = new DemoProgress(things);
    expect(p.see({ type: 'DeviceProvisioned', data: { thingName: 'demo-0', batchId: 'b-1' } })).toEqual([]);
    expect(p.see({ type: 'DeviceProvisioned', data: { thingName: 'demo-1', batchId: 'b-1' } })).toEqual([]);
    // A redelivered event (the outbox is at least once) does not count twice.
    p.see({ type: 'DeviceProvisioned', data: { thingName: 'demo-1', batchId: 'b-1' } });
    p.see({ type: 'DeviceRegistered', data: { thingName: 'demo-0' } });
    p.see({ type: 'DeviceRegistered', data: { thingName: 'demo-0' } });
    p.see({ type: 'DeviceBootstrapped', data: { thingName: 'demo-0' } });
    p.see({ type: 'DeviceStateReported', data: { thingName: 'demo-0' } });
    p.see({ type: 'DeviceStateReported', data: { thingName: 'demo-0' } });
    p.fleetCounters(fleet(1, 2));
    expect(p.statusLine(12_400)).toBe('[  12s]  provisioned 2/3  registered 1/3  bootstrapped 1/3  connected 1/3  data from 1/3  messages stored 2 (acknowledged 2)  alarms raised 0');
    expect(p.isReporting('demo-0')).toBe(true);
    expect(p.isReporting('demo-1')).toBe(false);
  });

  it('ignores devices that are not in the demo', () => {
    const p = new DemoProgress(things);
    expect(p.see({ type: 'AlarmRaised', data: { thingName: 'meter-9', code: 'X', severity: 'major' } })).toEqual([]);
    p.see({ type: 'DeviceStateReported', data: { thingName: 'meter-9' } });
    expect(p.figures()).toMatchObject({ stored: 0, alarms: 0, reporting: 0 });
  });

  it('says when an alarm is raised and cleared', () => {
    const p = new DemoProgress(things);
    expect(p.see({ type: 'AlarmRaised', data: { thingName: 'demo-2', alarmId: 'temperature-high-3303-0', code: 'TEMPERATURE_HIGH', severity: 'major', message: 'temperature 36 Cel is above 30 Cel' } })).toEqual([
      'alarm raised on demo-2: TEMPERATURE_HIGH (major) temperature 36 Cel is above 30 Cel',
    ]);
    expect(p.see({ type: 'AlarmCleared', data: { thingName: 'demo-2', alarmId: 'temperature-high-3303-0' } })).toEqual(['alarm cleared on demo-2: temperature-high-3303-0']);
    expect(p.figures().alarms).toBe(1);
  });

  it('explains a refused bootstrap, naming the device from the endpoint when the event has no thing name', () => {
    const p = new DemoProgress(things);
    const [line] = p.see({ type: 'BootstrapRejected', data: { endpoint: 'demo-1', thingName: 'demo-1', reason: 'already-bootstrapped' } });
    expect(line).toMatch(/^bootstrap refused for demo-1: already-bootstrapped \(it lost the credentials .* delete the data dir to start the demo over\)$/);
    expect(p.see({ type: 'BootstrapRejected', data: { endpoint: 'demo-2', reason: 'unknown-device' } })).toEqual(['bootstrap refused for demo-2: unknown-device (no manifest brought it in)']);
    expect(p.see({ type: 'BootstrapFailed', data: { thingName: 'demo-0', lwm2mCode: '4.04', message: 'no object 18830' } })).toEqual(['bootstrap failed for demo-0: 4.04 no object 18830']);
    expect(p.see({ type: 'DeviceBootstrapped', data: { thingName: 'demo-0', late: true } })).toEqual([
      "bootstrap of demo-0 confirmed late: the bridge's result came after the timeout, and the device has its credentials",
    ]);
    expect(p.see({ type: 'DeviceBootstrapped', data: { thingName: 'demo-1' } })).toEqual([]);
  });

  it('counts devices in the fleet by any batch once the batch is done, and restored devices as bootstrapped', () => {
    const p = new DemoProgress(things);
    p.batchDone(3);
    p.markRestored(['demo-0', 'demo-1', 'demo-2']);
    expect(p.figures()).toMatchObject({ provisioned: 3, bootstrapped: 3, total: 3 });
  });

  it('prints the status line only when a figure changed', () => {
    const p = new DemoProgress(things);
    expect(p.changedStatusLine(1_000)).toMatch(/^\[ {3}1s\]/);
    expect(p.changedStatusLine(2_000)).toBeUndefined();
    p.see({ type: 'DeviceRegistered', data: { thingName: 'demo-1' } });
    expect(p.changedStatusLine(3_000)).toContain('registered 1/3');
    p.fleetCounters(fleet(0, 0));
    expect(p.changedStatusLine(4_000)).toBeUndefined();
  });
});

describe('summaryLines', () => {
  const lines = summaryLines({
    elapsedMs: 60_200,
    figures: { total: 20, provisioned: 20, registered: 20, bootstrapped: 19, connected: 19, reporting: 19, stored: 211, acknowledged: 214, alarms: 1 },
    url: 'http://127.0.0.1:8080',
    viewerToken: 'tok.en',
    tokenExpiresAt: new Date('2030-01-01T10:00:00Z'),
    device: 'demo-3',
    tenant: 'lund-energy',
    thingGroup: 'district-heating',
    batchId: 'b-42',
  });
  const text = lines.join('\n');

  it('gives the figures of the first minute', () => {
    expect(text).toContain('--- after 60 s ---');
    expect(text).toContain('devices: 20/20 provisioned, 20 registered, 19 bootstrapped, 19 connected, 19 sending data');
    expect(text).toContain('messages: 211 stored (214 acknowledged to the devices), 1 alarm raised');
  });

  it('gives the viewer token and a curl line per view, ready to paste', () => {
    expect(text).toContain('valid until 2030-01-01T10:00:00.000Z');
    expect(lines).toContain('  export TOKEN=tok.en');
    const curls = lines.filter((l) => l.includes('curl -s -H "Authorization: Bearer $TOKEN"')).map((l) => /'([^']+)'$/.exec(l)?.[1]);
    expect(curls).toEqual([
      'http://127.0.0.1:8080/devices?limit=50',
      'http://127.0.0.1:8080/devices?tenant=lund-energy&limit=50',
      'http://127.0.0.1:8080/devices?thingGroup=district-heating',
      'http://127.0.0.1:8080/devices/demo-3/state',
      'http://127.0.0.1:8080/devices/demo-3/history?direction=backwards&limit=20',
      'http://127.0.0.1:8080/devices/demo-3/alarms',
      'http://127.0.0.1:8080/provisioning/batches/b-42/report',
    ]);
    expect(text).toContain('Ctrl-C stops the devices and the system');
  });
});

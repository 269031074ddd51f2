import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../functions/api/auth/roles.ts';
import { ProblemSchema } from '../../functions/api/openapi/apiSchemas.ts';
import { AlarmAcknowledgedSchema, CommandAcceptedSchema, CommandDetailSchema, CommandPageSchema } from '../../functions/commands/commandApiSchemas.ts';
import type { EmbeddedSystem } from '../../infra/embedded/system.ts';
import type { RunningCommands } from '../../infra/embedded/modules/commands.ts';
import type { AlarmRow } from '../../events/projections/alarms.ts';
import { topics } from '../../schemas/topics/topics.ts';
import { end, within } from '../broker/support.ts';
import { apiFetch } from '../support/api.ts';
import { newEvent } from '../support/events.ts';
import { addDevice, connectAs, fakeBridge, startCommandSystem, types, waitForEvent, type FakeBridge } from './support.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'e2e-commands-'));
let system: EmbeddedSystem;
let commands: RunningCommands;
let b1: FakeBridge;
let b2: FakeBridge;

beforeAll(async () => {
  ({ system, commands } = await startCommandSystem(dataDir, { minTimeoutSeconds: 0.05 }));
  await addDevice(system, 'meter-1', { bridgeId: 'b1' });
  await addDevice(system, 'meter-404', { bridgeId: 'b1' });
  await addDevice(system, 'sleepy', { bridgeId: 'b1', queueMode: true });
  await addDevice(system, 'mute', { bridgeId: 'b1' });
  await addDevice(system, 'selfie', { bridgeId: 'b1' });
  await addDevice(system, 'orphan');
  await addDevice(system, 'gone');
  await system.events.append({ streamId: 'device-gone', expectedVersion: 'any', events: [newEvent('DeviceDeprovisioned', { thingName: 'gone', reason: 'test' })] });
  b1 = await fakeBridge(system, 'b1', { 'meter-1': 'value', 'meter-404': 'not-found', sleepy: 'queued-then-value', mute: 'never' });
  b2 = await fakeBridge(system, 'b2', {});
  await system.projections.settled();
});
afterAll(async () => {
  await b1.close();
  await b2.close();
  await system.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const json = { 'content-type': 'application/json' };
const post = (body: unknown, role: Role = 'operator') => apiFetch(system, '/commands', { method: 'POST', body: JSON.stringify(body), headers: json }, role);
const accept = async (body: unknown, role: Role = 'operator') => {
  const res = await post(body, role);
  expect(res.status, JSON.stringify(await res.clone().json())).toBe(202);
  const accepted = CommandAcceptedSchema.parse(await res.json());
  expect(res.headers.get('location')).toBe(accepted.url);
  return accepted;
};
const detail = async (commandId: string) => {
  const res = await apiFetch(system, `/commands/${commandId}`, {}, 'viewer');
  expect(res.status).toBe(200);
  return CommandDetailSchema.parse(await res.json());
};
const ended = (commandId: string, type: string) => waitForEvent(system, `command-${commandId}`, (e) => e.type === type, `${commandId} reaches ${type}`);

describe('a command through a real bridge over MQTT/TLS', () => {
  it('reads a value: requested, published to the bridge, dispatched, succeeded; the audit names the operator, code and latency', async () => {
    const { commandId, status } = await accept({ thingName: 'meter-1', operation: 'read', path: '/3303/0/5700' });
    expect(status).toBe('published');
    const events = await ended(commandId, 'CommandSucceeded');
    expect(types(events)).toEqual(['CommandRequested', 'CommandPublished', 'CommandDispatched', 'CommandSucceeded']);
    expect(events[0]!.actor).toEqual({ kind: 'user', id: 'test-operator', role: 'operator' });
    expect(b1.received.find((r) => r.commandId === commandId)).toMatchObject({ operation: 'read', path: '/3303/0/5700' });

    const { command, lifecycle } = await detail(commandId);
    expect(command).toMatchObject({ thingName: 'meter-1', operation: 'read', operator: 'test-operator', role: 'operator', status: 'succeeded', lwm2mCode: '2.05', bridgeId: 'b1', open: false });
    expect(command.latencyMs).toBeGreaterThanOrEqual(0);
    expect(lifecycle.map((e) => e.type)).toEqual(types(events));
    expect(lifecycle[3]!.data).toMatchObject({ result: { values: [{ path: '/3303/0/5700', value: { kind: 'number', v: 21.5 } }] } });
  });

  it('records the device’s LwM2M error as CommandFailed', async () => {
    const { commandId } = await accept({ thingName: 'meter-404', operation: 'execute', path: '/3/0/4' });
    await ended(commandId, 'CommandFailed');
    expect((await detail(commandId)).command).toMatchObject({ status: 'failed', lwm2mCode: '4.04', detail: 'Not Found' });
  });

  it('keeps a queue-mode device’s command until it wakes: queued, then dispatched and succeeded, with the queue-mode expiry', async () => {
    const before = Date.now();
    const { commandId, expiresAt } = await accept({ thingName: 'sleepy', operation: 'write', path: '/3/0/13', values: [{ path: '/3/0/13', value: { kind: 'time', v: 1767225600 } }] });
    expect(Date.parse(expiresAt) - before).toBeGreaterThan(3000_000); // the 1 h queue-mode default, not 60 s
    const events = await ended(commandId, 'CommandSucceeded');
    expect(types(events)).toEqual(['CommandRequested', 'CommandPublished', 'CommandQueued', 'CommandDispatched', 'CommandSucceeded']);
    expect(events[1]!.data).toMatchObject({ bridgeId: 'b1', queueMode: true });
    expect(b1.received.find((r) => r.commandId === commandId)).toMatchObject({ values: [{ path: '/3/0/13', value: { kind: 'time', v: 1767225600 } }], expiresAt });
    expect((await detail(commandId)).command).toMatchObject({ status: 'succeeded', lwm2mCode: '2.04', queueMode: true });
  });

  it('times out a command nobody answers, and keeps a late answer as a rejection without reopening it', async () => {
    const { commandId } = await accept({ thingName: 'mute', operation: 'read', path: '/3/0/9', timeoutSeconds: 0.3 });
    const events = await ended(commandId, 'CommandTimedOut');
    expect((events.at(-1)!.data as { afterMs: number }).afterMs).toBeGreaterThanOrEqual(300);
    await b1.answer('mute', commandId, { status: 'succeeded', lwm2mCode: '2.05' });
    const after = await system.events.readStream(`command-${commandId}`);
    expect(types(after).slice(-2)).toEqual(['CommandTimedOut', 'MessageRejected']);
    expect((after.at(-1)!.data as { reason: string }).reason).toMatch(/already ended \(timed-out/);
    expect((await detail(commandId)).command).toMatchObject({ status: 'timed-out', open: false });
  });

  it('ignores a command for a device no bridge holds, at once, and sends nothing', async () => {
    const { commandId, status } = await accept({ thingName: 'orphan', operation: 'read', path: '/3/0/9' });
    expect(status).toBe('ignored');
    const events = await system.events.readStream(`command-${commandId}`);
    expect(types(events)).toEqual(['CommandRequested', 'CommandIgnored']);
    expect(events[1]!.data).toMatchObject({ reason: expect.stringContaining('no bridge holds orphan') as unknown });
    // A later command reaches the bridge: had the ignored one been published, it would have arrived first.
    const later = await accept({ thingName: 'meter-1', operation: 'read', path: '/3303/0/5700' });
    await ended(later.commandId, 'CommandSucceeded');
    expect(b1.received.map((r) => r.commandId)).not.toContain(commandId);
  });

  it('takes an answer from the device itself, on its own topic', async () => {
    const { commandId } = await accept({ thingName: 'selfie', operation: 'read', path: '/3/0/9' });
    const device = await connectAs(system, 'selfie');
    const body = { commandId, bridgeId: 'selfie', status: 'succeeded', lwm2mCode: '2.05', values: [{ path: '/3/0/9', value: { kind: 'number', v: 87 } }], at: new Date().toISOString() };
    await within(5_000, 'device answers', device.publishAsync(topics.commandResponse('selfie', commandId), JSON.stringify(body), { qos: 1 }));
    await end(device);
    const events = await system.events.readStream(`command-${commandId}`);
    expect(events.at(-1)).toMatchObject({ type: 'CommandSucceeded', actor: { kind: 'device', id: 'selfie' } });
  });
});

describe('answers that cannot be applied', () => {
  it('keeps answers from a bridge that was not asked, for unknown commands, and garbage as rejections; redelivery applies once', async () => {
    const { commandId } = await accept({ thingName: 'mute', operation: 'read', path: '/3/0/9', timeoutSeconds: 60 });
    await b2.answer('mute', commandId, { status: 'succeeded', lwm2mCode: '2.05' });
    let events = await system.events.readStream(`command-${commandId}`);
    expect(types(events)).toEqual(['CommandRequested', 'CommandPublished', 'MessageRejected']);
    expect(events[2]).toMatchObject({ actor: { kind: 'system', id: 'bridge:b2' }, data: { stage: 'validate', reason: expect.stringContaining('bridge b2 was not asked') as unknown } });

    await b1.answer('mute', 'c-never-requested', { status: 'succeeded' });
    const unattributed = await system.events.readStream('rejected-unattributed');
    expect(unattributed.at(-1)).toMatchObject({ type: 'MessageRejected', data: { thingName: 'mute', reason: expect.stringContaining('no command c-never-requested') as unknown } });

    await within(5_000, 'garbage', b1.client.publishAsync(topics.commandResponse('mute', commandId), Buffer.from([0xff, 0x00, 0x7b]), { qos: 1 }));
    events = await system.events.readStream(`command-${commandId}`);
    expect(events.at(-1)).toMatchObject({ type: 'MessageRejected', data: { stage: 'decode', payloadBase64: Buffer.from([0xff, 0x00, 0x7b]).toString('base64') } });

    // The asked bridge's answers, each sent twice: one event per step.
    for (const status of ['dispatched', 'dispatched'] as const) await b1.answer('mute', commandId, { status });
    for (let i = 0; i < 2; i++) await b1.answer('mute', commandId, { status: 'failed', lwm2mCode: '5.03', message: 'busy' });
    events = await system.events.readStream(`command-${commandId}`);
    expect(types(events).filter((t) => t.startsWith('Command'))).toEqual(['CommandRequested', 'CommandPublished', 'CommandDispatched', 'CommandFailed']);
    const { lifecycle } = await detail(commandId);
    expect(lifecycle.filter((e) => e.type === 'MessageRejected')).toHaveLength(2);
  });
});

describe('refused commands leave no event', () => {
  const bigValue = 'x'.repeat(200 * 1024);
  const cases: { name: string; init: RequestInit; status: number; type: string; field?: string; rule?: string }[] = [
    { name: 'a write without values', init: { body: JSON.stringify({ thingName: 'meter-1', operation: 'write', path: '/3/0/13' }) }, status: 400, type: 'invalid-command', field: 'values', rule: 'required' },
    { name: 'an unknown field', init: { body: JSON.stringify({ thingName: 'meter-1', operation: 'read', path: '/3/0/9', urgent: true }) }, status: 400, type: 'invalid-command', field: 'urgent', rule: 'unknown-field' },
    { name: 'a path that is not LwM2M', init: { body: JSON.stringify({ thingName: 'meter-1', operation: 'read', path: '3/0' }) }, status: 400, type: 'invalid-command', field: 'path', rule: 'format' },
    { name: 'a timeout below the minimum', init: { body: JSON.stringify({ thingName: 'meter-1', operation: 'read', path: '/3/0/9', timeoutSeconds: 0.01 }) }, status: 400, type: 'invalid-command', field: 'timeoutSeconds', rule: 'min' },
    {
      name: 'a write to a read-only resource',
      init: { body: JSON.stringify({ thingName: 'meter-1', operation: 'write', path: '/3303/0/5700', values: [{ path: '/3303/0/5700', value: { kind: 'number', v: 1 } }] }) },
      status: 422,
      type: 'command-not-allowed',
      field: 'path',
      rule: 'not-writable',
    },
    {
      name: 'a value of the wrong type',
      init: { body: JSON.stringify({ thingName: 'meter-1', operation: 'write', path: '/3/0/14', values: [{ path: '/3/0/14', value: { kind: 'number', v: 1 } }] }) },
      status: 422,
      type: 'command-not-allowed',
      field: 'values[0].value',
      rule: 'wrong-type',
    },
    { name: 'an execute on a value', init: { body: JSON.stringify({ thingName: 'meter-1', operation: 'execute', path: '/3/0/9' }) }, status: 422, type: 'command-not-allowed', field: 'path', rule: 'not-executable' },
    { name: 'an unknown object', init: { body: JSON.stringify({ thingName: 'meter-1', operation: 'read', path: '/9999/0' }) }, status: 422, type: 'command-not-allowed', field: 'path', rule: 'unknown-object' },
    { name: 'an unknown device', init: { body: JSON.stringify({ thingName: 'no-such-meter', operation: 'read', path: '/3/0/9' }) }, status: 404, type: 'device-not-found' },
    { name: 'a deprovisioned device', init: { body: JSON.stringify({ thingName: 'gone', operation: 'read', path: '/3/0/9' }) }, status: 409, type: 'device-deprovisioned' },
    {
      name: 'an oversized body',
      init: { body: JSON.stringify({ thingName: 'meter-1', operation: 'write', path: '/3/0/14', values: [{ path: '/3/0/14', value: { kind: 'string', v: bigValue } }] }) },
      status: 413,
      type: 'body-too-large',
    },
    { name: 'a body that is not JSON', init: { body: '<read/>', headers: { 'content-type': 'application/xml' } }, status: 415, type: 'unsupported-media-type' },
    { name: 'broken JSON', init: { body: '{"thingName": ' }, status: 400, type: 'invalid-body' },
  ];

  it.each(cases)('answers $name with $status and the field and rule', async ({ init, status, type, field, rule }) => {
    await system.projections.settled();
    const head = system.events.headPosition();
    const res = await apiFetch(system, '/commands', { method: 'POST', headers: json, ...init }, 'operator');
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = ProblemSchema.parse(await res.json());
    expect(problem.type).toBe(`/problems/${type}`);
    expect(problem.detail.length).toBeGreaterThan(20);
    if (field) expect(problem.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field, rule })]));
    expect(system.events.headPosition()).toBe(head);
  });

  it('refuses a viewer (403) and a caller without a token (401) before anything is stored', async () => {
    const head = system.events.headPosition();
    const viewer = await post({ thingName: 'meter-1', operation: 'execute', path: '/3/0/4' }, 'viewer');
    expect(viewer.status).toBe(403);
    expect(ProblemSchema.parse(await viewer.json()).type).toBe('/problems/forbidden');
    const anonymous = await fetch(`${system.url}/commands`, { method: 'POST', headers: json, body: JSON.stringify({ thingName: 'meter-1', operation: 'read', path: '/3/0/9' }) });
    expect(anonymous.status).toBe(401);
    expect(system.events.headPosition()).toBe(head);
  });
});

describe('the audit', () => {
  it('lists commands newest first by device and operator, a page at a time', async () => {
    const mine = await accept({ thingName: 'meter-1', operation: 'discover', path: '/3303' }, 'admin');
    await ended(mine.commandId, 'CommandSucceeded');
    await system.projections.settled();
    const page = async (query: string) => {
      const res = await apiFetch(system, `/commands?${query}`, {}, 'viewer');
      expect(res.status).toBe(200);
      return CommandPageSchema.parse(await res.json());
    };
    const byAdmin = await page('operator=test-admin');
    expect(byAdmin.items.map((r) => r.commandId)).toEqual([mine.commandId]);
    const forMeter = await page('thingName=meter-1&limit=500');
    expect(forMeter.items.length).toBeGreaterThanOrEqual(3);
    expect(new Set(forMeter.items.map((r) => r.thingName))).toEqual(new Set(['meter-1']));
    expect(forMeter.items[0]!.commandId).toBe(mine.commandId);
    const times = forMeter.items.map((r) => r.requestedAt);
    expect([...times].sort().reverse()).toEqual(times);

    const first = await page('thingName=meter-1&limit=2');
    expect(first.nextCursor).toBeDefined();
    const second = await page(`thingName=meter-1&limit=2&cursor=${first.nextCursor!}`);
    expect([...first.items, ...second.items].map((r) => r.commandId)).toEqual(forMeter.items.slice(0, 4).map((r) => r.commandId));
    const future = await page(`from=${encodeURIComponent(new Date(Date.now() + 3600_000).toISOString())}`);
    expect(future.items).toEqual([]);

    const mixed = await apiFetch(system, `/commands?thingName=mute&cursor=${first.nextCursor!}`, {}, 'viewer');
    expect(mixed.status).toBe(400);
    expect(ProblemSchema.parse(await mixed.json()).errors).toEqual([expect.objectContaining({ field: 'cursor', rule: 'cursor' })]);
    const bad = await apiFetch(system, '/commands?limit=0&since=yesterday', {}, 'viewer');
    expect(ProblemSchema.parse(await bad.json()).errors?.map((e) => e.field).sort()).toEqual(['limit', 'since']);
  });

  it('exports the same rows as CSV and NDJSON, streamed, with the filters', async () => {
    await system.projections.settled();
    const csv = await apiFetch(system, '/audit/commands?thingName=meter-404', {}, 'viewer');
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.headers.get('content-disposition')).toBe('attachment; filename="command-audit.csv"');
    const lines = (await csv.text()).trimEnd().split('\r\n');
    expect(lines[0]).toBe('commandId,requestedAt,operator,role,thingName,operation,path,alarmId,status,lwm2mCode,latencyMs,endedAt,bridgeId,detail');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^c-[^,]+,[^,]+,test-operator,operator,meter-404,execute,\/3\/0\/4,,failed,4\.04,\d+,[^,]+,b1,Not Found$/);

    const ndjson = await apiFetch(system, '/audit/commands?format=ndjson&operator=test-operator', {}, 'viewer');
    expect(ndjson.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const rows = (await ndjson.text()).trimEnd().split('\n').map((l) => JSON.parse(l) as { commandId: string; operator: string; status: string });
    const listed = CommandPageSchema.parse(await (await apiFetch(system, '/commands?operator=test-operator&limit=500', {}, 'viewer')).json());
    expect(rows.map((r) => r.commandId)).toEqual(listed.items.map((r) => r.commandId));
    expect(rows.map((r) => r.status)).toEqual(listed.items.map((r) => r.status));
    expect(rows.map((r) => r.status)).toEqual(expect.arrayContaining(['succeeded', 'failed', 'timed-out', 'ignored']));
    expect(new Set(rows.map((r) => r.operator))).toEqual(new Set(['test-operator']));
  });
});

describe('alarm acknowledgement', () => {
  const raise = (alarmId: string) => newEvent('AlarmRaised', { thingName: 'meter-1', alarmId, code: 'T-HIGH', severity: 'major', raisedAt: new Date().toISOString() });
  const ack = (alarmId: string, role: Role = 'operator', body?: unknown, thing = 'meter-1') =>
    apiFetch(system, `/devices/${thing}/alarms/${alarmId}/ack`, { method: 'POST', ...(body === undefined ? {} : { body: JSON.stringify(body), headers: json }) }, role);

  beforeAll(async () => {
    await system.events.append({ streamId: 'device-meter-1', expectedVersion: 'any', events: [raise('overheat'), raise('leak'), raise('smoke')] });
    await system.events.append({ streamId: 'device-meter-1', expectedVersion: 'any', events: [newEvent('AlarmCleared', { thingName: 'meter-1', alarmId: 'leak', clearedAt: new Date().toISOString() })] });
    await system.projections.settled();
  });

  it('acknowledges an active alarm with the operator as actor, once, and audits it', async () => {
    const head = system.events.headPosition();
    expect((await ack('overheat', 'viewer')).status).toBe(403);
    expect(system.events.headPosition()).toBe(head);

    const res = await ack('overheat', 'operator', { note: 'crew on the way' });
    expect(res.status).toBe(201);
    const body = AlarmAcknowledgedSchema.parse(await res.json());
    expect(body).toMatchObject({ thingName: 'meter-1', alarmId: 'overheat', acknowledgedBy: 'test-operator' });
    const [last] = await system.events.readStream('device-meter-1', { direction: 'backwards', limit: 1 });
    expect(last).toMatchObject({ type: 'AlarmAcknowledged', actor: { kind: 'user', id: 'test-operator', role: 'operator' }, data: { alarmId: 'overheat', commandId: body.commandId, note: 'crew on the way' } });
    await system.projections.settled();
    expect((system.projectionStore.getRow('alarms', 'meter-1/overheat') as AlarmRow).acknowledged).toMatchObject({ by: 'test-operator', commandId: body.commandId });
    const audited = await detail(body.commandId);
    expect(audited.command).toMatchObject({ operation: 'acknowledge-alarm', alarmId: 'overheat', operator: 'test-operator', status: 'succeeded', detail: 'crew on the way' });
    expect(audited.lifecycle.map((e) => e.type)).toEqual(['AlarmAcknowledged']);

    const again = await ack('overheat', 'admin');
    expect(again.status).toBe(409);
    expect(ProblemSchema.parse(await again.json())).toMatchObject({ type: '/problems/alarm-already-acknowledged', detail: expect.stringContaining('by test-operator') as unknown });
  });

  it('answers 409 for a cleared alarm and 404 for an unknown alarm or device', async () => {
    const head = system.events.headPosition();
    const cleared = await ack('leak');
    expect(cleared.status).toBe(409);
    expect(ProblemSchema.parse(await cleared.json()).type).toBe('/problems/alarm-cleared');
    const unknown = await ack('no-such-alarm');
    expect(unknown.status).toBe(404);
    expect(ProblemSchema.parse(await unknown.json()).type).toBe('/problems/alarm-not-found');
    const noDevice = await ack('overheat', 'operator', undefined, 'no-such-meter');
    expect(ProblemSchema.parse(await noDevice.json()).type).toBe('/problems/device-not-found');
    expect(system.events.headPosition()).toBe(head);
  });

  it('lets only one of two simultaneous acknowledgements through', async () => {
    const [a, b] = await Promise.all([ack('smoke', 'operator'), ack('smoke', 'admin')]);
    expect([a.status, b.status].sort()).toEqual([201, 409]);
    const acks = (await system.events.readStream('device-meter-1')).filter((e) => e.type === 'AlarmAcknowledged' && (e.data as { alarmId: string }).alarmId === 'smoke');
    expect(acks).toHaveLength(1);
  });
});

describe('the module', () => {
  it('reports answers to listeners and keeps the sweeper idle when nothing is due', async () => {
    const outcomes: string[] = [];
    const stop = commands.onAnswer((o) => outcomes.push(o.kind));
    const { commandId } = await accept({ thingName: 'meter-404', operation: 'read', path: '/3/0/9' });
    await ended(commandId, 'CommandFailed');
    stop();
    expect(outcomes).toEqual(['applied', 'applied']);
    expect(await commands.sweeper.sweep()).toBe(0);
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../events/envelope.ts';
import { deviceSessionsProjection, type DeviceSessionRow } from '../../events/projections/deviceSessions.ts';
import { devicesProjection, type DeviceRow } from '../../events/projections/devices.ts';
import { checkResult } from '../../functions/bootstrap/checkResult.ts';
import { concludeLateResult, LATE_RESULT_WINDOW_MS } from '../../functions/bootstrap/lateResult.ts';
import { requestIdOf } from '../../functions/bootstrap/deliverCredentials.ts';
import { recordBootstrapped } from '../../functions/bootstrap/recordBootstrapped.ts';
import { recordFailed } from '../../functions/bootstrap/recordFailed.ts';
import { bootstrapExecution, registrationTrigger } from '../../functions/bootstrap/bootstrapTrigger.ts';
import { embeddedBridgePorts } from '../../functions/bridgeMessages/embeddedBridgeMessages.ts';
import { handleBridgeMessage } from '../../functions/bridgeMessages/handleBridgeMessage.ts';
import { openSqlite, type SqliteDatabase } from '../../functions/eventStore/sqliteDatabase.ts';
import { createSqliteEventStore, type SqliteEventStore } from '../../functions/eventStore/sqliteEventStore.ts';
import { createProjectionEngine, type ProjectionEngine } from '../../functions/projections/projectionEngine.ts';
import type { ProjectionStore } from '../../functions/projections/projectionStore.ts';
import { createSqliteProjectionStore } from '../../functions/projections/sqliteProjectionStore.ts';
import { topics, type BridgeEvent } from '../../schemas/topics/topics.ts';
import { newEvent, provisioned, reported } from '../support/events.ts';

/**
 * A bootstrap result that comes after the workflow gave up, on a real SQLite store: the
 * bridge-message handler over the embedded ports, and the workflow's own task functions standing
 * for the states that ran before it (the e2e file runs the state machine itself).
 */

const dir = mkdtempSync(join(tmpdir(), 'late-bootstrap-'));
const BROKER = 'mqtts://127.0.0.1:8883';
let db: SqliteDatabase;
let events: SqliteEventStore;
let rows: ProjectionStore;
let engine: ProjectionEngine;
let handler: ReturnType<typeof handleBridgeMessage>;

beforeAll(() => {
  db = openSqlite({ file: join(dir, 'fleet.db') });
  events = createSqliteEventStore(db);
  rows = createSqliteProjectionStore(db);
  engine = createProjectionEngine({ events, store: rows, projections: [devicesProjection, deviceSessionsProjection] });
  handler = handleBridgeMessage(
    embeddedBridgePorts({
      events,
      projectionStore: rows,
      projections: engine,
      ingest: () => Promise.reject(new Error('this test sends no device data')),
      workflows: { startExecution: () => Promise.reject(new Error('nothing in this test starts a bootstrap')) },
    }),
  );
});
afterAll(async () => {
  await engine.stop();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const send = (bridgeId: string, event: BridgeEvent, thing: string, body: unknown) =>
  handler(
    { topic: topics.bridgeEvent(bridgeId, event, thing), clientId: `bridge:${bridgeId}`, payloadBase64: Buffer.from(JSON.stringify(body)).toString('base64'), receivedAt: Date.parse('2026-05-01T10:00:00.000Z') },
    {} as Context,
  );

let registrations = 0;
/**
 * A provisioned device registered at bridge b1 (with credentials already, so the handler starts
 * nothing itself), and a bootstrap run for that registration up to its delivery: the input the run
 * was started with and what DeliverCredentials returned.
 */
const delivered = async (thing: string, { again = false } = {}) => {
  if (!again) await events.append({ streamId: `device-${thing}`, expectedVersion: 'any', events: [provisioned(thing)] });
  registrations += 1;
  const location = `/rd/${registrations}`;
  const registeredAt = new Date(Date.UTC(2026, 4, 1, 10, 0, registrations)).toISOString();
  const registered = await send('b1', 'register', thing, { endpoint: thing, lwm2mVersion: '1.1', lifetimeSeconds: 300, queueMode: false, objectLinks: '</1/0>,</3/0>', location, registeredAt, transport: 'coaps' });
  expect(registered).toEqual({ outcome: 'recorded', events: ['DeviceRegistered'] });
  const input = { thingName: thing, bridgeId: 'b1', transport: 'coaps', trigger: registrationTrigger(location, registeredAt) } as const;
  const delivery = { requestId: requestIdOf(bootstrapExecution(input).name), fromPosition: await events.streamVersion(`device-${thing}`), expiresAt: '2026-05-01T11:00:00.000Z', brokerUri: BROKER };
  return { input, delivery };
};
type Run = Awaited<ReturnType<typeof delivered>>;

/** RecordFailed as the TimedOut state calls it. */
const timeOut = ({ input, delivery }: Run) =>
  recordFailed({ eventStore: events })({ ...input, failure: { lwm2mCode: 'timeout', message: 'no bootstrap-result within the wait', delivery } });

let second = 0;
/** The bridge's bootstrap-result; the same arguments give the same bytes (a redelivery). */
const result = (thing: string, requestId: string, ok: boolean, options: { bridgeId?: string; at?: string } = {}) => {
  second += 1;
  const at = options.at ?? `2026-05-01T10:30:${String(second % 60).padStart(2, '0')}.000Z`;
  return send(options.bridgeId ?? 'b1', 'bootstrap-result', thing, { endpoint: thing, requestId, ok, lwm2mCode: ok ? '2.04' : '4.04', at });
};

const streamOf = (thing: string) => events.readStream(`device-${thing}`);
const ofType = (stream: readonly StoredEvent[], type: string) => stream.filter((e) => e.type === type);
const rowsOf = async (thing: string) => {
  await engine.settled();
  return { device: rows.getRow(devicesProjection.name, thing) as DeviceRow, session: rows.getRow(deviceSessionsProjection.name, thing) as DeviceSessionRow };
};

describe('an ok after the workflow recorded a timeout', () => {
  it('concludes the bootstrap: the device row shows it bootstrapped and the stream holds one DeviceBootstrapped, late', async () => {
    const run = await delivered('lamp-1');
    await timeOut(run);
    // What the directory showed before: a device holding working credentials, still "provisioned", its last bootstrap failed.
    expect((await rowsOf('lamp-1')).device.status).toBe('provisioned');
    expect((await rowsOf('lamp-1')).session.lastBootstrap).toMatchObject({ outcome: 'failed', lwm2mCode: 'timeout' });
    const failed = ofType(await streamOf('lamp-1'), 'BootstrapFailed');
    expect(failed.map((e) => e.data)).toEqual([
      { thingName: 'lamp-1', endpoint: 'lamp-1', bridgeId: 'b1', lwm2mCode: 'timeout', message: 'no bootstrap-result within the wait', requestId: run.delivery.requestId, brokerUri: BROKER },
    ]);

    await expect(result('lamp-1', run.delivery.requestId, true, { at: '2026-05-01T10:05:00.000Z' })).resolves.toEqual({ outcome: 'recorded', events: ['BootstrapResultReported', 'DeviceBootstrapped'] });

    const stream = await streamOf('lamp-1');
    expect(stream.map((e) => e.type)).toEqual(['DeviceProvisioned', 'DeviceRegistered', 'BootstrapFailed', 'BootstrapResultReported', 'DeviceBootstrapped']);
    expect(stream[4]).toMatchObject({
      actor: { kind: 'system', id: 'bootstrap' },
      correlationId: run.input.trigger,
      causationId: stream[3]!.eventId,
      data: { thingName: 'lamp-1', endpoint: 'lamp-1', bridgeId: 'b1', brokerUri: BROKER, late: true },
    });
    const { device, session } = await rowsOf('lamp-1');
    expect(device).toMatchObject({ status: 'bootstrapped', bootstrappedAt: stream[4]!.recordedAt });
    expect(session).toMatchObject({ bootstrapped: true, lastBootstrap: { outcome: 'bootstrapped', bridgeId: 'b1' } });
    // It is the very event RecordBootstrapped would have appended: were that task to run now, nothing more is stored.
    const { eventId } = await recordBootstrapped({ eventStore: events })({ ...run.input, brokerUri: BROKER });
    expect(eventId).toBe(stream[4]!.eventId);
    expect(ofType(await streamOf('lamp-1'), 'DeviceBootstrapped')).toHaveLength(1);
  });

  it('appends nothing new when the late message is redelivered, and answers as the first time', async () => {
    const before = await streamOf('lamp-1');
    const requestId = (before[3]!.data as { requestId: string }).requestId;
    await expect(result('lamp-1', requestId, true, { at: '2026-05-01T10:05:00.000Z' })).resolves.toEqual({ outcome: 'recorded', events: ['BootstrapResultReported', 'DeviceBootstrapped'] });
    expect(await streamOf('lamp-1')).toEqual(before);
    // A second, different ok for the same delivery is a fact of its own, and concludes nothing twice.
    await expect(result('lamp-1', requestId, true)).resolves.toEqual({ outcome: 'recorded', events: ['BootstrapResultReported'] });
    expect(ofType(await streamOf('lamp-1'), 'DeviceBootstrapped')).toHaveLength(1);
  });

  it('finds the failure behind more device events than one page of the look-back', async () => {
    const run = await delivered('lamp-2');
    await timeOut(run);
    await events.append({
      streamId: 'device-lamp-2',
      expectedVersion: 'any',
      events: Array.from({ length: 80 }, (_, i) => reported('lamp-2', '/3303/0/5700', i, '2026-05-01T10:10:00.000Z')),
    });
    await expect(result('lamp-2', run.delivery.requestId, true)).resolves.toMatchObject({ events: ['BootstrapResultReported', 'DeviceBootstrapped'] });
    expect((await rowsOf('lamp-2')).device.status).toBe('bootstrapped');
  });
});

describe('what a result after the timeout does not change', () => {
  it('a late ok: false is stored and nothing else: the failure stands', async () => {
    const run = await delivered('lamp-3');
    await timeOut(run);
    await expect(result('lamp-3', run.delivery.requestId, false)).resolves.toEqual({ outcome: 'recorded', events: ['BootstrapResultReported'] });
    expect((await streamOf('lamp-3')).map((e) => e.type)).toEqual(['DeviceProvisioned', 'DeviceRegistered', 'BootstrapFailed', 'BootstrapResultReported']);
    expect((await rowsOf('lamp-3')).device.status).toBe('provisioned');
  });

  it('an ok from another bridge than the delivery went to, or for a request no failure names, concludes nothing', async () => {
    const run = await delivered('lamp-4');
    await timeOut(run);
    await expect(result('lamp-4', run.delivery.requestId, true, { bridgeId: 'b2' })).resolves.toEqual({ outcome: 'recorded', events: ['BootstrapResultReported'] });
    await expect(result('lamp-4', 'bs-ffffffffffffffffffffffffffffffff', true)).resolves.toEqual({ outcome: 'recorded', events: ['BootstrapResultReported'] });
    expect(ofType(await streamOf('lamp-4'), 'DeviceBootstrapped')).toEqual([]);
    expect((await rowsOf('lamp-4')).device.status).toBe('provisioned');
  });

  it('an ok for an attempt that timed out, once a later attempt bootstrapped the device, adds only the fact', async () => {
    const first = await delivered('lamp-5');
    await timeOut(first);
    const second = await delivered('lamp-5', { again: true });
    await recordBootstrapped({ eventStore: events })({ ...second.input, brokerUri: BROKER });
    await expect(result('lamp-5', first.delivery.requestId, true)).resolves.toEqual({ outcome: 'recorded', events: ['BootstrapResultReported'] });
    expect(ofType(await streamOf('lamp-5'), 'DeviceBootstrapped')).toHaveLength(1);
  });
});

describe('an ok while the workflow is waiting', () => {
  it('is concluded by the workflow alone: one DeviceBootstrapped, not late', async () => {
    const run = await delivered('lamp-6');
    await expect(result('lamp-6', run.delivery.requestId, true)).resolves.toEqual({ outcome: 'recorded', events: ['BootstrapResultReported'] });
    const poll = await checkResult({ eventStore: events })({ thingName: 'lamp-6', bridgeId: 'b1', requestId: run.delivery.requestId, fromPosition: run.delivery.fromPosition, attempt: 3 });
    expect(poll.status).toBe('ok');
    await recordBootstrapped({ eventStore: events })({ ...run.input, brokerUri: BROKER });
    const bootstrapped = ofType(await streamOf('lamp-6'), 'DeviceBootstrapped');
    expect(bootstrapped.map((e) => e.data)).toEqual([{ thingName: 'lamp-6', endpoint: 'lamp-6', bridgeId: 'b1', brokerUri: BROKER }]);
    expect((await rowsOf('lamp-6')).device.status).toBe('bootstrapped');
  });

  it('lands after the last check but before the timeout is stored: RecordFailed concludes it, and its redelivery adds nothing', async () => {
    const run = await delivered('lamp-7');
    // The handler looks for a failure right after storing the ok: there is none yet.
    await expect(result('lamp-7', run.delivery.requestId, true, { at: '2026-05-01T10:07:00.000Z' })).resolves.toEqual({ outcome: 'recorded', events: ['BootstrapResultReported'] });
    const recorded = await timeOut(run);
    const stream = await streamOf('lamp-7');
    expect(stream.map((e) => e.type)).toEqual(['DeviceProvisioned', 'DeviceRegistered', 'BootstrapResultReported', 'BootstrapFailed', 'DeviceBootstrapped']);
    expect(recorded).toEqual({ eventId: stream[3]!.eventId, lwm2mCode: 'timeout', lateEventId: stream[4]!.eventId });
    expect(stream[4]).toMatchObject({ causationId: stream[2]!.eventId, data: { late: true, brokerUri: BROKER } });
    await expect(result('lamp-7', run.delivery.requestId, true, { at: '2026-05-01T10:07:00.000Z' })).resolves.toMatchObject({ events: ['BootstrapResultReported', 'DeviceBootstrapped'] });
    // A retried RecordFailed task stores nothing twice either.
    await expect(timeOut(run)).resolves.toEqual(recorded);
    expect(await streamOf('lamp-7')).toEqual(stream);
    expect((await rowsOf('lamp-7')).device.status).toBe('bootstrapped');
  });

  it('a failure the bridge reported is not reopened by a later ok: RecordFailed names no delivery then', async () => {
    const run = await delivered('lamp-8');
    await result('lamp-8', run.delivery.requestId, false);
    await recordFailed({ eventStore: events })({ ...run.input, failure: { lwm2mCode: '4.04', message: 'no object 18830 instance' } });
    await expect(result('lamp-8', run.delivery.requestId, true)).resolves.toEqual({ outcome: 'recorded', events: ['BootstrapResultReported'] });
    expect(ofType(await streamOf('lamp-8'), 'BootstrapFailed').map((e) => e.data)).toEqual([
      { thingName: 'lamp-8', endpoint: 'lamp-8', bridgeId: 'b1', lwm2mCode: '4.04', message: 'no object 18830 instance' },
    ]);
    expect(ofType(await streamOf('lamp-8'), 'DeviceBootstrapped')).toEqual([]);
  });
});

describe('how far back an ok looks for the failure it concludes', () => {
  it('stops at the window before the newest event: a failure stored longer ago is not concluded, however many reports lie between', async () => {
    const time = { now: Date.parse('2026-06-01T00:00:00.000Z') };
    const windowDb = openSqlite({ file: join(dir, 'window.db') });
    const store = createSqliteEventStore(windowDb, { now: () => new Date(time.now) });
    try {
      const thing = 'lamp-window';
      await store.append({ streamId: `device-${thing}`, expectedVersion: 'any', events: [provisioned(thing)] });
      const delivery = { requestId: 'req-window', brokerUri: BROKER, fromPosition: 1 };
      await recordFailed({ eventStore: store })({ thingName: thing, bridgeId: 'b1', trigger: 'register:/rd/w@2026-06-01T00:00:00.000Z', failure: { lwm2mCode: 'timeout', message: 'no result', delivery } });
      // A device that kept reporting for longer than the window, then an ok for that old delivery.
      time.now += LATE_RESULT_WINDOW_MS + 60_000;
      await store.append({ streamId: `device-${thing}`, expectedVersion: 'any', events: Array.from({ length: 100 }, (_, i) => reported(thing, '/3303/0/5700', i, '2026-06-01T00:16:00.000Z')) });
      const ok = newEvent('BootstrapResultReported', { thingName: thing, endpoint: thing, bridgeId: 'b1', requestId: 'req-window', ok: true, lwm2mCode: '2.04', reportedAt: '2026-06-01T00:16:00.000Z' });
      await store.append({ streamId: `device-${thing}`, expectedVersion: 'any', events: [ok] });

      expect(await concludeLateResult(store, thing, { requestId: 'req-window', bridgeId: 'b1' }, ok.eventId)).toBeUndefined();
      expect((await store.readStream(`device-${thing}`)).filter((e) => e.type === 'DeviceBootstrapped')).toEqual([]);
    } finally {
      windowDb.close();
    }
  });
});

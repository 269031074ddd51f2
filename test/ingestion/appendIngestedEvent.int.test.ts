import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqlite } from '../../functions/eventStore/sqliteDatabase.ts';
import { createSqliteEventStore } from '../../functions/eventStore/sqliteEventStore.ts';
import { appendIngestedEvent, UNATTRIBUTED_STREAM } from '../../functions/ingestion/appendIngestedEvent.ts';
import { InputValidationError } from '../../functions/shared/middleware/parseInput.ts';
import { INGEST_SOURCE } from '../../schemas/bus/ingest.ts';

const dir = mkdtempSync(join(tmpdir(), 'ingest-handler-'));
const db = openSqlite({ file: join(dir, 'h.db') });
const events = createSqliteEventStore(db);
afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});
const handler = appendIngestedEvent({ events });
const context = {} as Context;

const envelope = (detailType: string, detail: unknown) => ({
  version: '0',
  id: 'bus-1',
  source: INGEST_SOURCE,
  'detail-type': detailType,
  time: '2026-01-01T00:00:00Z',
  account: '000000000000',
  region: 'local',
  resources: [],
  detail,
});

const state = {
  eventId: 'msg-1#0',
  thingName: 'meter-1',
  messageId: 'msg-1',
  data: {
    thingName: 'meter-1',
    messageId: 'msg-1',
    topic: 'dt/lwm2m/meter-1/state',
    values: [{ name: '/3303/0/5700', path: '/3303/0/5700', time: '2026-01-01T00:00:00Z', value: { kind: 'number', v: 21.5 }, unit: 'Cel' }],
  },
};

describe('append handler for ingested device facts', () => {
  it('appends a valid fact to the device stream, attributed to the device, and treats a redelivery as a duplicate', async () => {
    expect(await handler(envelope('DeviceStateReported', state) as never, context)).toEqual({ status: 'appended', streamId: 'device-meter-1', position: 1 });
    expect(await handler(envelope('DeviceStateReported', state) as never, context)).toEqual({ status: 'duplicate', streamId: 'device-meter-1', position: 1 });
    const [stored] = await events.readStream('device-meter-1');
    expect(stored).toMatchObject({ eventId: 'msg-1#0', type: 'DeviceStateReported', actor: { kind: 'device', id: 'meter-1' }, correlationId: 'msg-1' });
  });

  it('keeps a rejection from an unidentified sender in its own stream', async () => {
    const rejection = {
      eventId: 'msg-2#r',
      messageId: 'msg-2',
      data: { topic: 'junk', messageId: 'msg-2', stage: 'topic', reason: 'unknown topic', payloadBase64: 'AAE=', payloadBytes: 2, truncated: false, receivedAt: '2026-01-01T00:00:00Z' },
    };
    const r = await handler(envelope('MessageRejected', rejection) as never, context);
    expect(r.streamId).toBe(UNATTRIBUTED_STREAM);
  });

  it('refuses a bus event that breaks the contract, naming the field, and stores nothing', async () => {
    const bad = { ...state, eventId: 'msg-3#0', data: { ...state.data, values: [] } };
    await expect(handler(envelope('DeviceStateReported', bad) as never, context)).rejects.toThrow(InputValidationError);
    await expect(handler(envelope('DeviceStateReported', bad) as never, context)).rejects.toThrow(/detail\.data\.values/);
    await expect(handler(envelope('SomethingElse', state) as never, context)).rejects.toThrow(/detail-type/);
    expect(await events.streamVersion('device-meter-1')).toBe(1);
  });
});

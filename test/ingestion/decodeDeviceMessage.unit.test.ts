import { describe, expect, it } from 'vitest';
import { decodeDeviceMessage, type DeviceMessage } from '../../functions/ingestion/decodeDeviceMessage.ts';
import { ingestDetail, INGEST_SOURCE, type IngestDetailType } from '../../schemas/bus/ingest.ts';
import { encodeSenmlCbor, type SenmlPack } from '../../schemas/senml/index.ts';

const at = new Date('2026-01-01T00:00:00.000Z');
const msg = (pack: SenmlPack | Uint8Array, extra: Partial<DeviceMessage> = {}): DeviceMessage => ({
  thingName: 'meter-1',
  channel: 'state',
  topic: 'dt/lwm2m/meter-1/state',
  payload: pack instanceof Uint8Array ? pack : encodeSenmlCbor(pack, { profile: 'lwm2m' }),
  receivedAt: at,
  ...extra,
});

describe('decode step', () => {
  it('turns a CBOR SenML state pack into one DeviceStateReported entry with LwM2M paths, units and absolute times', () => {
    const entries = decodeDeviceMessage(
      msg([
        { bn: '/3303/0/', bt: 1767225600, n: '5700', v: 21.5, u: 'Cel' },
        { n: '5701', vs: 'Cel' },
        { bn: '/3/0/', n: '0', vs: 'Acme', t: -10 },
        { n: '9', vd: new Uint8Array([1, 2, 255]) },
      ]),
    );
    expect(entries).toHaveLength(1);
    const [e] = entries;
    expect(e).toMatchObject({ Source: INGEST_SOURCE, DetailType: 'DeviceStateReported', Time: at });
    const detail = ingestDetail('DeviceStateReported').parse(e!.Detail);
    expect(detail.data).toMatchObject({
      thingName: 'meter-1',
      values: [
        { name: '/3303/0/5700', path: '/3303/0/5700', time: '2026-01-01T00:00:00.000Z', value: { kind: 'number', v: 21.5 }, unit: 'Cel' },
        { path: '/3303/0/5701', value: { kind: 'string', v: 'Cel' } },
        { path: '/3/0/0', time: '2025-12-31T23:59:50.000Z', value: { kind: 'string', v: 'Acme' } },
        { path: '/3/0/9', value: { kind: 'data', v: 'AQL_' } },
      ],
    });
    expect(detail.eventId).toBe(`${detail.messageId}:0`);
  });

  it('resolves a pack without times against the receive time', () => {
    const [e] = decodeDeviceMessage(msg([{ n: '/3303/0/5700', v: 20 }]));
    expect((e!.Detail as { data: { values: { time: string }[] } }).data.values[0]!.time).toBe(at.toISOString());
  });

  it('gives a redelivery the same event ids, and a different message different ones', () => {
    const pack: SenmlPack = [{ n: '/3303/0/5700', v: 20 }];
    const id = (m: DeviceMessage) => (decodeDeviceMessage(m)[0]!.Detail as { eventId: string }).eventId;
    expect(id(msg(pack, { deliveryKey: 'c1:7' }))).toBe(id(msg(pack, { deliveryKey: 'c1:7', receivedAt: new Date(at.getTime() + 5000) })));
    expect(id(msg(pack, { deliveryKey: 'c1:7' }))).not.toBe(id(msg(pack, { deliveryKey: 'c1:8' })));
    expect(id(msg(pack))).not.toBe(id(msg(pack, { thingName: 'meter-2' })));
  });

  it('turns an alarm pack into AlarmRaised and AlarmCleared entries', () => {
    const entries = decodeDeviceMessage(
      msg(
        [
          { bn: 'leak-1/', bt: 1767225600, n: 'state', vs: 'raised' },
          { n: 'code', vs: 'LEAK' },
          { n: 'severity', vs: 'critical' },
          { bn: 'door/', n: 'state', vs: 'cleared' },
        ],
        { channel: 'alarms', topic: 'dt/lwm2m/meter-1/alarms' },
      ),
    );
    expect(entries.map((e) => e.DetailType)).toEqual(['AlarmRaised', 'AlarmCleared']);
    expect(entries[0]!.Detail).toMatchObject({ data: { alarmId: 'leak-1', severity: 'critical', raisedAt: '2026-01-01T00:00:00.000Z' } });
    expect(entries[1]!.Detail).toMatchObject({ data: { alarmId: 'door', clearedAt: '2026-01-01T00:00:00.000Z' } });
  });

  const rejected = (m: DeviceMessage) => {
    const entries = decodeDeviceMessage(m);
    expect(entries).toHaveLength(1);
    expect(entries[0]!.DetailType).toBe<IngestDetailType>('MessageRejected');
    return ingestDetail('MessageRejected').parse(entries[0]!.Detail).data;
  };

  it.each([
    ['garbage bytes', msg(new Uint8Array([0xff, 0x00, 0x13, 0x37])), 'decode', /CBOR SenML/],
    ['a CBOR map instead of a pack', msg(new Uint8Array([0xa1, 0x00, 0x61, 0x78])), 'decode', /not-an-array|array/],
    ['an empty pack', msg([]), 'validate', /no records/],
    ['a broken alarm pack', msg([{ n: 'leak/state', vs: 'exploded' }], { channel: 'alarms' }), 'validate', /raised" or "cleared/],
    ['an alarm pack with a numeric value', msg([{ n: 'leak/state', v: 1 }], { channel: 'alarms' }), 'validate', /string value/],
  ])('rejects %s, keeping its bytes and the reason', (_name, m, stage, reason) => {
    const data = rejected(m);
    expect(data.stage).toBe(stage);
    expect(data.reason).toMatch(reason);
    expect(Buffer.from(data.payloadBase64, 'base64')).toEqual(Buffer.from(m.payload));
    expect(data).toMatchObject({ thingName: 'meter-1', payloadBytes: m.payload.byteLength, truncated: false });
  });

  it('rejects an oversized payload and keeps its first 128 KiB', () => {
    const data = rejected(msg(new Uint8Array(300 * 1024).fill(0x9f)));
    expect(data).toMatchObject({ stage: 'decode', payloadBytes: 300 * 1024, truncated: true });
    expect(Buffer.from(data.payloadBase64, 'base64').byteLength).toBe(128 * 1024);
  });

  it('never throws on random bytes: every message is either facts or one rejection', () => {
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let i = 0; i < 2000; i++) {
      const bytes = Uint8Array.from({ length: Math.floor(rand() * 64) }, () => Math.floor(rand() * 256));
      const entries = decodeDeviceMessage(msg(bytes, { channel: rand() < 0.5 ? 'state' : 'alarms' }));
      expect(entries.length).toBeGreaterThan(0);
    }
  });
});

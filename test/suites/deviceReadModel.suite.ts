import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewEvent, StoredEvent } from '../../events/envelope.ts';
import { alarmsProjection, type AlarmRow } from '../../events/projections/alarms.ts';
import { deviceStateProjection } from '../../events/projections/deviceState.ts';
import { foldProjection, type AnyProjection } from '../../events/projections/projection.ts';
import { rejectionsProjection, type RejectionRow } from '../../events/projections/rejections.ts';
import type { AlarmStatusFilter, DeviceReadModel, RejectionPageRequest } from '../../functions/deviceViews/deviceReadModel.ts';
import { deviceLife, readableEvents, rejectedMessage, type Step } from '../deviceViews/support.ts';
import { newEvent, provisioned, reported } from '../support/events.ts';

/** One read model with its store behind it, as an adapter's test file builds it. */
export interface DeviceReadModelFixture {
  readonly model: DeviceReadModel;
  /** Appends to a stream (at any version); resolves with the events as stored once the model shows them. */
  append(streamId: string, events: readonly NewEvent[]): Promise<readonly StoredEvent[]>;
}

export interface DeviceReadModelFactory {
  /** A fresh, empty store and the read model over it. */
  create(): Promise<DeviceReadModelFixture>;
  /** Called once after all cases. */
  dispose?(): Promise<void>;
}

/** The rows the pure fold gives, as JSON carries them (what a store hands back). */
const reference = <Row>(projection: AnyProjection, stored: readonly StoredEvent[]): Map<string, Row> =>
  new Map([...foldProjection(projection, readableEvents(stored))].map(([k, row]) => [k, JSON.parse(JSON.stringify(row)) as Row]));

const newestFirst = (a: RejectionRow, b: RejectionRow) => (a.receivedAt === b.receivedAt ? (a.eventId < b.eventId ? 1 : -1) : a.receivedAt < b.receivedAt ? 1 : -1);

/**
 * The one device read model conformance suite (STYLE.md 9): every adapter runs exactly these
 * cases, each compared with the pure projections folded over the events the store says it stored.
 * Two devices share a name prefix (`meter-1/...` and `meter-10/...` alarm keys), a third was
 * deprovisioned, and rejections come from devices and from no device, in every stage.
 */
export const testDeviceReadModel = (adapter: string, factory: DeviceReadModelFactory) => {
  describe(`DeviceReadModel conformance: ${adapter}`, () => {
    let fixture: DeviceReadModelFixture;
    let model: DeviceReadModel;
    const stored: StoredEvent[] = [];

    beforeAll(async () => {
      fixture = await factory.create();
      model = fixture.model;
      const play = async (streamId: string, step: Step | undefined) => {
        if (step) stored.push(...(await fixture.append(streamId, step.events)));
      };
      const start = Date.parse('2026-03-01T00:00:00.000Z');
      const one = deviceLife('meter-1', 50, 7, start);
      const ten = deviceLife('meter-10', 20, 8, start);
      for (let i = 0; i < one.length; i++) {
        await play('device-meter-1', one[i]);
        await play('device-meter-10', ten[i]);
      }
      // Unattributed rejections in two stages; every fourth shares its predecessor's time (ties go by event id).
      let at = start;
      for (let i = 0; i < 30; i++) {
        if (i % 4 !== 0) at += 500;
        await play('rejected-unattributed', { advanceMs: 0, events: [rejectedMessage(undefined, i % 2 ? 'topic' : 'unknown-device', new Date(at), 10 + i)] });
      }
      await play('device-meter-2', {
        advanceMs: 0,
        events: [provisioned('meter-2'), reported('meter-2', '/3303/0/5700', 21, '2026-03-01T00:00:01.000Z'), newEvent('DeviceDeprovisioned', { thingName: 'meter-2' })],
      });
    }, 120_000);

    afterAll(async () => {
      await factory.dispose?.();
    });

    it('reads the live device-state row, and none for a deprovisioned or unknown device', async () => {
      const rows = reference(deviceStateProjection, stored);
      expect(rows.size).toBe(2);
      for (const thingName of ['meter-1', 'meter-10']) expect(await model.deviceState(thingName)).toEqual(rows.get(thingName));
      expect(await model.deviceState('meter-2')).toBeUndefined();
      expect(await model.deviceState('no-such-device')).toBeUndefined();
    });

    it('lists a device’s alarms by status in alarm-id order, paged, and never another device’s', async () => {
      const rows = [...reference<AlarmRow>(alarmsProjection, stored).values()];
      const keep: Record<AlarmStatusFilter, (a: AlarmRow) => boolean> = {
        all: () => true,
        active: (a) => a.state === 'active',
        cleared: (a) => a.state === 'cleared',
        acknowledged: (a) => a.acknowledged !== undefined,
      };
      for (const thingName of ['meter-1', 'meter-10']) {
        for (const status of ['all', 'active', 'cleared', 'acknowledged'] as const) {
          const expected = rows.filter((a) => a.thingName === thingName && keep[status](a)).sort((a, b) => (a.alarmId < b.alarmId ? -1 : 1));
          for (const limit of [2, 500]) {
            const seen: AlarmRow[] = [];
            let after: string | undefined;
            for (;;) {
              const page = await model.alarms({ thingName, status, limit, afterAlarmId: after });
              expect(page.items.length).toBeLessThanOrEqual(limit);
              seen.push(...page.items);
              if (!page.more) break;
              expect(page.items).toHaveLength(limit);
              after = page.items.at(-1)!.alarmId;
            }
            expect(seen, `${thingName} ${status} by ${limit}`).toEqual(expected);
          }
        }
      }
      // Each status finds something for meter-1, so the filters are really exercised.
      for (const status of ['active', 'cleared', 'acknowledged'] as const) expect(rows.some((a) => a.thingName === 'meter-1' && keep[status](a))).toBe(true);
      expect((await model.alarms({ thingName: 'meter-2', status: 'all', limit: 10 })).items).toEqual([]);
    });

    it('lists rejections newest first, by device, stage or both, paged by keyset', async () => {
      const rows = [...reference<RejectionRow>(rejectionsProjection, stored).values()].sort(newestFirst);
      const filters: Omit<RejectionPageRequest, 'limit'>[] = [
        {},
        { thingName: 'meter-10' },
        { stage: 'unknown-device' },
        { stage: 'decode' },
        { thingName: 'meter-1', stage: 'decode' },
      ];
      for (const request of filters) {
        const expected = rows.filter((r) => (request.thingName === undefined || r.thingName === request.thingName) && (request.stage === undefined || r.stage === request.stage));
        expect(expected.length, JSON.stringify(request)).toBeGreaterThan(3);
        for (const limit of [3, 500]) {
          const seen: RejectionRow[] = [];
          let after: RejectionPageRequest['after'];
          for (;;) {
            const page = await model.rejections({ ...request, limit, after });
            seen.push(...page.items);
            if (!page.more) break;
            expect(page.items).toHaveLength(limit);
            const last = page.items.at(-1)!;
            after = { receivedAt: last.receivedAt, eventId: last.eventId };
          }
          expect(seen, `${JSON.stringify(request)} by ${limit}`).toEqual(expected);
        }
      }
      // Ties in time exist, so the event-id tie break is really exercised.
      expect(new Set(rows.map((r) => r.receivedAt)).size).toBeLessThan(rows.length);
      expect((await model.rejections({ thingName: 'meter-2', limit: 5 })).items).toEqual([]);
    });

    it('finds the kept bytes of rejected messages by event id, and nothing for other ids', async () => {
      const rejected = stored.filter((e) => e.type === 'MessageRejected');
      const some = [...rejected.filter((e) => e.streamId === 'device-meter-1').slice(0, 4), ...rejected.filter((e) => e.streamId === 'rejected-unattributed').slice(0, 2)];
      const other = stored.find((e) => e.type === 'DeviceStateReported')!;
      const found = await model.rejectedPayloads([...some.map((e) => e.eventId), other.eventId, 'no-such-event']);
      expect([...found.keys()].sort()).toEqual(some.map((e) => e.eventId).sort());
      for (const e of some) expect(found.get(e.eventId)).toEqual({ payloadBase64: (e.data as { payloadBase64: string }).payloadBase64, truncated: false });
      expect(await model.rejectedPayloads([])).toEqual(new Map());
    });
  });
};

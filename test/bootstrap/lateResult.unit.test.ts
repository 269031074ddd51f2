import { describe, expect, it } from 'vitest';
import { BootstrapFailed, DeviceBootstrapped, type EventData } from '../../events/catalog/index.ts';
import type { NewEvent, StoredEvent } from '../../events/envelope.ts';
import { lateBootstrapped } from '../../functions/bootstrap/lateResult.ts';
import { publishedSchemas } from '../../functions/lambda/publishedEventSchemas.ts';
import { derivedEvent } from '../../functions/shared/derivedEvent.ts';
import { newEvent } from '../support/events.ts';

const THING = 'lamp-1';
const TRIGGER = 'register /rd/1 2026-05-01T10:00:00.000Z';
const REQUEST = 'bs-0123456789abcdef0123456789abcdef';
const BROKER = 'mqtts://broker.example:8883';
const delivery = { requestId: REQUEST, bridgeId: 'b1' };

/** A stream in order: each event gets the next position. */
const streamOf = (...events: NewEvent[]): StoredEvent[] =>
  events.map((e, i) => ({ ...e, streamId: `device-${THING}`, streamPosition: i + 1, recordedAt: `2026-05-01T10:0${i}:00.000Z` }));

const bootstrapActor = { kind: 'system', id: 'bootstrap' } as const;
const timedOut = (extra: Partial<EventData<'BootstrapFailed'>> = { requestId: REQUEST, brokerUri: BROKER }) =>
  derivedEvent('BootstrapFailed', { thingName: THING, endpoint: THING, bridgeId: 'b1', lwm2mCode: 'timeout', message: 'no result', ...extra }, [THING, 'b1', TRIGGER], bootstrapActor, TRIGGER);
const result = (ok: boolean, bridgeId = 'b1', requestId = REQUEST, at = '2026-05-01T10:04:00.000Z') =>
  newEvent('BootstrapResultReported', { thingName: THING, endpoint: THING, bridgeId, requestId, ok, lwm2mCode: ok ? '2.04' : '4.04', reportedAt: at });
const provisioned = newEvent('DeviceProvisioned', { thingName: THING, tenant: 't', location: { latitude: 55.7, longitude: 13.2 }, attributes: {}, certificateId: 'c1' });
/** What RecordBootstrapped appends for the same trigger. */
const workflowBootstrapped = (trigger = TRIGGER) =>
  derivedEvent('DeviceBootstrapped', { thingName: THING, endpoint: THING, bridgeId: 'b1', brokerUri: BROKER }, [THING, 'b1', trigger], bootstrapActor, trigger);

describe('lateBootstrapped: the DeviceBootstrapped a result after the timeout concludes', () => {
  it('is the workflow\'s own event for that trigger, with the broker URI the timeout recorded, marked late and caused by the ok', () => {
    const ok = result(true);
    const late = lateBootstrapped(streamOf(provisioned, timedOut(), ok), delivery);
    expect(late).toMatchObject({
      eventId: workflowBootstrapped().eventId,
      type: 'DeviceBootstrapped',
      data: { thingName: THING, endpoint: THING, bridgeId: 'b1', brokerUri: BROKER, late: true },
      actor: bootstrapActor,
      correlationId: TRIGGER,
      causationId: ok.eventId,
    });
  });

  it('concludes an ok stored just before the timeout (the race RecordFailed closes), caused by the first ok of that request', () => {
    const first = result(true);
    const late = lateBootstrapped(streamOf(provisioned, first, result(true, 'b1', REQUEST, '2026-05-01T10:05:00.000Z'), timedOut()), delivery);
    expect(late?.causationId).toBe(first.eventId);
  });

  it('is due again for its own redelivery (the store keeps it once), but not after another DeviceBootstrapped', () => {
    const ok = result(true);
    const first = lateBootstrapped(streamOf(provisioned, timedOut(), ok), delivery)!;
    expect(lateBootstrapped(streamOf(provisioned, timedOut(), ok, first), delivery)).toEqual(first);
    const laterAttempt = workflowBootstrapped('register /rd/2 2026-05-01T10:30:00.000Z');
    expect(lateBootstrapped(streamOf(provisioned, timedOut(), laterAttempt, ok), delivery)).toBeUndefined();
  });

  it('is not due for a device deprovisioned since', () => {
    const gone = newEvent('DeviceDeprovisioned', { thingName: THING, reason: 'retired' });
    expect(lateBootstrapped(streamOf(provisioned, timedOut(), gone, result(true)), delivery)).toBeUndefined();
    expect(lateBootstrapped(streamOf(provisioned, result(true), gone, timedOut()), delivery)).toBeUndefined();
  });

  it('is not due without an ok from the bridge the delivery went to, for that request', () => {
    expect(lateBootstrapped(streamOf(provisioned, timedOut(), result(false)), delivery)).toBeUndefined();
    expect(lateBootstrapped(streamOf(provisioned, timedOut(), result(true, 'b2')), delivery)).toBeUndefined();
    expect(lateBootstrapped(streamOf(provisioned, timedOut(), result(true, 'b1', 'bs-ffffffffffffffffffffffffffffffff')), delivery)).toBeUndefined();
    expect(lateBootstrapped(streamOf(provisioned, timedOut(), result(true, 'b2')), { requestId: REQUEST, bridgeId: 'b2' })).toBeUndefined();
  });

  it('is not due when no failure names the delivery: still waiting, a failure the bridge reported, or one stored before failures named it', () => {
    expect(lateBootstrapped(streamOf(provisioned, result(true)), delivery)).toBeUndefined();
    expect(lateBootstrapped(streamOf(provisioned, timedOut({ lwm2mCode: '4.04' }), result(true)), delivery)).toBeUndefined();
    expect(lateBootstrapped(streamOf(provisioned, timedOut({}), result(true)), delivery)).toBeUndefined();
  });
});

describe('the bootstrap events stay readable by what was written and published before', () => {
  it('reads every BootstrapFailed and DeviceBootstrapped stored before the new fields, unchanged', () => {
    const oldFailed = { thingName: THING, endpoint: THING, bridgeId: 'b1', lwm2mCode: 'timeout', message: 'no result' };
    const oldBootstrapped = { thingName: THING, endpoint: THING, bridgeId: 'b1', brokerUri: BROKER };
    expect(BootstrapFailed.schema.parse(oldFailed)).toEqual(oldFailed);
    expect(DeviceBootstrapped.schema.parse(oldBootstrapped)).toEqual(oldBootstrapped);
    expect([BootstrapFailed.version, DeviceBootstrapped.version]).toEqual([1, 1]);
    // `late` is absent or true: never a false that a reader would have to tell from absent.
    expect(DeviceBootstrapped.schema.safeParse({ ...oldBootstrapped, late: false }).success).toBe(false);
  });

  it('publishes the new fields as optional: the required fields of each schema are those published before', () => {
    const dataSchema = (type: string) => {
      const published = publishedSchemas().find((s) => s.detailType === type)!;
      const detail = (published.jsonSchema.properties as Record<string, { properties: Record<string, { properties: object; required: string[] }> }>).detail!;
      return detail.properties.data!;
    };
    const failed = dataSchema('BootstrapFailed');
    expect(Object.keys(failed.properties)).toEqual(expect.arrayContaining(['requestId', 'brokerUri']));
    expect(failed.required.sort()).toEqual(['bridgeId', 'endpoint', 'lwm2mCode', 'message', 'thingName']);
    const bootstrapped = dataSchema('DeviceBootstrapped');
    expect(bootstrapped.properties).toHaveProperty('late');
    expect(bootstrapped.required.sort()).toEqual(['bridgeId', 'brokerUri', 'endpoint', 'thingName']);
  });
});

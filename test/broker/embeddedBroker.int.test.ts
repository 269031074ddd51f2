import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbeddedBroker, type EmbeddedBroker, type InboundMessage } from '../../functions/broker/embeddedBroker.ts';
import { fleetPrincipals } from '../../functions/broker/principals.ts';
import {
  createCa,
  issueBridgeCertificate,
  issueDeviceCertificate,
  issueServerCertificate,
  RevocationList,
  type IssuedCertificate,
  type LocalCa,
} from '../../functions/registry/localCa.ts';
import { topicFilters, topics } from '../../schemas/topics/topics.ts';
import { connect, end, nextMessage, recordingLog, subscribeCodes, within, type Connection } from './support.ts';

let ca: LocalCa;
let broker: EmbeddedBroker;
let port: number;
const log = recordingLog();
const revocations = new RevocationList();
const registered = new Set<string>();
const received: InboundMessage[] = [];
const waiters: { match: (m: InboundMessage) => boolean; resolve: (m: InboundMessage) => void }[] = [];
const open: Connection[] = [];

const certs = {} as Record<'meter1' | 'meter2' | 'revoked' | 'unregistered' | 'bridge' | 'foreign', IssuedCertificate>;

/** The next message the server-side hook sees that matches. */
const nextReceived = (match: (m: InboundMessage) => boolean) =>
  within(5_000, 'waiting for the onPublish hook', new Promise<InboundMessage>((resolve) => waiters.push({ match, resolve })));

const device = (clientId: string, identity: IssuedCertificate | undefined, extra: Partial<Parameters<typeof connect>[0]> = {}) => {
  const c = connect({ port, clientId, caPem: ca.certificatePem, ...(identity ? { identity } : {}), ...extra });
  open.push(c);
  return c;
};

beforeAll(async () => {
  const otherCa = await createCa({ commonName: 'a stranger' });
  ca = await createCa();
  const [server, meter1, meter2, revoked, unregistered, bridge, foreign] = await Promise.all([
    issueServerCertificate(ca),
    issueDeviceCertificate(ca, 'meter-1'),
    issueDeviceCertificate(ca, 'meter-2'),
    issueDeviceCertificate(ca, 'meter-3'),
    issueDeviceCertificate(ca, 'ghost'),
    issueBridgeCertificate(ca, 'b1'),
    issueDeviceCertificate(otherCa, 'meter-1'),
  ]);
  Object.assign(certs, { meter1, meter2, revoked, unregistered, bridge, foreign });
  for (const c of [meter1, meter2, revoked, bridge]) registered.add(c.certificateId);
  revocations.revoke(revoked.certificateId);

  broker = createEmbeddedBroker({
    port: 0,
    ca: ca.certificatePem,
    cert: server.certificatePem,
    key: server.privateKeyPem,
    revocations,
    log: log.log,
    lookup: fleetPrincipals({ isRegistered: ({ certificateId }) => certificateId !== undefined && registered.has(certificateId) }),
  });
  broker.onPublish((m) => {
    received.push(m);
    for (const w of [...waiters]) {
      if (w.match(m)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  port = await broker.start();
});

afterAll(async () => {
  await Promise.all(open.map((c) => c.client.endAsync(true).catch(() => undefined)));
  await broker?.close();
});

describe('a device with its own certificate', () => {
  it('publishes on its own dt/ topics, and the server-side hook gets the message with its identity', async () => {
    const { client, connected } = device('meter-1', certs.meter1);
    await connected;
    const topic = topics.deviceState('meter-1');
    const seen = nextReceived((m) => m.topic === topic);
    await within(5_000, 'PUBACK', client.publishAsync(topic, Buffer.from([0x81, 0xa1, 0x00, 0x61, 0x78]), { qos: 1 }));
    const message = await seen;
    expect(message.payload).toEqual(Buffer.from([0x81, 0xa1, 0x00, 0x61, 0x78]));
    expect(message.qos).toBe(1);
    expect(message.route).toEqual({ kind: 'device-data', type: 'state', thingName: 'meter-1' });
    expect(message.identity).toEqual({
      kind: 'device',
      thingName: 'meter-1',
      bridgeId: undefined,
      clientId: 'meter-1',
      certificateId: certs.meter1.certificateId,
      transport: 'tls',
    });
    const alarms = nextReceived((m) => m.topic === topics.deviceAlarms('meter-1'));
    await within(5_000, 'PUBACK', client.publishAsync(topics.deviceAlarms('meter-1'), Buffer.from([0x80]), { qos: 1 }));
    expect((await alarms).identity.thingName).toBe('meter-1');
    await end(client);
  });

  it('cannot publish on another device\'s topic: the connection is dropped and the refusal counted', async () => {
    const before = log.count('publish-denied');
    const { client, connected, closed } = device('meter-2', certs.meter2);
    await connected;
    const forged = topics.deviceState('meter-1');
    // The PUBACK never comes: nothing waits on this promise but the deadline below.
    client.publishAsync(forged, Buffer.from('forged'), { qos: 1 }).catch(() => undefined);
    await within(5_000, 'the broker dropping meter-2', closed);
    await log.untilCount('publish-denied', before + 1);
    expect(broker.stats().refusals['publish-denied']).toBe(before + 1);
    expect(received.some((m) => m.topic === forged && m.identity.thingName === 'meter-2')).toBe(false);
    expect(log.entries.find((e) => e.details.refusal === 'publish-denied')?.details).toMatchObject({ clientId: 'meter-2', topic: forged });
  });

  it('gets SUBACK 0x80 for another device\'s cmd/ topics, keeps the connection, and receives its own commands', async () => {
    const before = broker.stats().refusals['subscribe-denied'];
    const { client, connected } = device('meter-2', certs.meter2);
    await connected;
    expect(await subscribeCodes(client, topicFilters.commandRequestsFor('meter-1'))).toEqual([0x80]);
    expect(await subscribeCodes(client, [topicFilters.allCommandRequests, '#', topicFilters.commandRequestsFor('meter-2')])).toEqual([0x80, 0x80, 1]);
    expect(broker.stats().refusals['subscribe-denied']).toBe(before + 3);

    const command = nextMessage(client, 'the command arriving');
    await broker.publish({ topic: topics.commandRequest('meter-1', 'c-other'), payload: '{"operation":"read"}' });
    await broker.publish({ topic: topics.commandRequest('meter-2', 'c-1'), payload: '{"operation":"read","path":"/3/0/0"}' });
    const [topic, payload] = await command;
    // The other device's command, published first, never reached it.
    expect(topic).toBe('cmd/lwm2m/meter-2/req/c-1');
    expect(JSON.parse(payload.toString())).toEqual({ operation: 'read', path: '/3/0/0' });
    expect(client.connected).toBe(true);
    await end(client);
  });

  it('has its last will dropped when the will names a topic it may not publish to', async () => {
    const before = log.count('will-denied');
    const { client, connected, closed } = device('meter-2', certs.meter2, {
      will: { topic: topics.deviceAlarms('meter-1'), payload: Buffer.from('forged will'), qos: 1, retain: false },
    });
    await connected;
    client.stream.destroy();
    await within(5_000, 'the connection ending', closed);
    await log.untilCount('will-denied', before + 1);
    expect(received.some((m) => m.payload.toString() === 'forged will')).toBe(false);
  });
});

describe('connections that are refused', () => {
  it('refuses a client id that is not the certificate\'s thing name with CONNACK 5', async () => {
    const before = log.count('client-id-mismatch');
    const { connected } = device('meter-2', certs.meter1);
    await expect(connected).rejects.toMatchObject({ code: 5 });
    await log.untilCount('client-id-mismatch', before + 1);
    expect(broker.stats().refusals['client-id-mismatch']).toBe(before + 1);
  });

  it('refuses a revoked certificate with CONNACK 5', async () => {
    const before = log.count('revoked-certificate');
    const { connected } = device('meter-3', certs.revoked);
    await expect(connected).rejects.toMatchObject({ code: 5 });
    await log.untilCount('revoked-certificate', before + 1);
  });

  it('refuses a certificate from our CA that the registry does not know with CONNACK 5', async () => {
    const before = log.count('unknown-certificate');
    const { connected } = device('ghost', certs.unregistered);
    await expect(connected).rejects.toMatchObject({ code: 5 });
    await log.untilCount('unknown-certificate', before + 1);
  });

  it('fails the TLS handshake for a client without a certificate', async () => {
    const before = log.count('tls-handshake');
    const { connected } = device('meter-1', undefined);
    await expect(connected).rejects.toThrow();
    await log.untilCount('tls-handshake', before + 1);
  });

  it('fails the TLS handshake for a certificate from another CA, whatever its CN says', async () => {
    const before = log.count('tls-handshake');
    const { connected } = device('meter-1', certs.foreign);
    await expect(connected).rejects.toThrow();
    await log.untilCount('tls-handshake', before + 1);
    expect(received.every((m) => m.identity.certificateId !== certs.foreign.certificateId)).toBe(true);
  });

  it('drops live connections of a certificate revoked while connected, and refuses it from then on', async () => {
    const late = await issueDeviceCertificate(ca, 'meter-4');
    registered.add(late.certificateId);
    const first = device('meter-4', late);
    await first.connected;
    revocations.revoke(late.certificateId);
    expect(await broker.disconnectCertificate(late.certificateId)).toBe(1);
    await within(5_000, 'meter-4 being dropped', first.closed);
    await expect(device('meter-4', late).connected).rejects.toMatchObject({ code: 5 });
  });
});

describe('a bridge', () => {
  it('relays commands for any device, answers them, and reports as itself', async () => {
    const { client, connected } = device('bridge:b1', certs.bridge);
    await connected;
    expect(await subscribeCodes(client, [topicFilters.allCommandRequests, topicFilters.bootstrapResponsesFor('b1')])).toEqual([1, 1]);
    expect(await subscribeCodes(client, [topicFilters.bootstrapResponsesFor('b2'), topicFilters.allDeviceData])).toEqual([0x80, 0x80]);

    const command = nextMessage(client, 'the command arriving');
    await broker.publish({ topic: topics.commandRequest('meter-7', 'c-9'), payload: '{}' });
    expect((await command)[0]).toBe('cmd/lwm2m/meter-7/req/c-9');

    const response = nextReceived((m) => m.topic === topics.commandResponse('meter-7', 'c-9'));
    await within(5_000, 'PUBACK', client.publishAsync(topics.commandResponse('meter-7', 'c-9'), '{"outcome":"succeeded"}', { qos: 1 }));
    const registration = nextReceived((m) => m.topic === topics.bridgeEvent('b1', 'register', 'meter-7'));
    await within(5_000, 'PUBACK', client.publishAsync(topics.bridgeEvent('b1', 'register', 'meter-7'), '{}', { qos: 1 }));
    expect((await response).identity).toMatchObject({ kind: 'bridge', thingName: 'bridge:b1', bridgeId: 'b1' });
    expect((await registration).route).toEqual({ kind: 'bridge-event', bridgeId: 'b1', event: 'register', thingName: 'meter-7' });
    await end(client);
  });

  it('cannot publish device data in a device\'s name', async () => {
    const before = log.count('publish-denied');
    const { client, connected, closed } = device('bridge:b1', certs.bridge);
    await connected;
    client.publishAsync(topics.deviceState('meter-7'), 'x', { qos: 1 }).catch(() => undefined);
    await within(5_000, 'the broker dropping the bridge', closed);
    await log.untilCount('publish-denied', before + 1);
  });
});

describe('stats', () => {
  it('count accepted connections and every refusal by kind', () => {
    const stats = broker.stats();
    expect(stats.accepted).toBeGreaterThanOrEqual(7);
    expect(stats.delivered).toBe(received.length);
    expect(stats.handlerErrors).toBe(0);
    for (const [kind, n] of Object.entries(stats.refusals)) expect(n, kind).toBe(log.count(kind));
    expect(stats.refusals['tls-handshake']).toBeGreaterThanOrEqual(2);
  });
});

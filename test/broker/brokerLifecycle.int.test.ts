import { once } from 'node:events';
import { connect as tcpConnect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbeddedBroker, type EmbeddedBroker, type EmbeddedBrokerOptions, type InboundMessage } from '../../functions/broker/embeddedBroker.ts';
import { fleetPrincipals, type PrincipalLookup } from '../../functions/broker/principals.ts';
import { EMBEDDED_ARN, iotResources } from '../../functions/registry/devicePolicy.ts';
import { createCa, issueDeviceCertificate, issueServerCertificate, type IssuedCertificate, type LocalCa } from '../../functions/registry/localCa.ts';
import { topics } from '../../schemas/topics/topics.ts';
import { connect, end, nextMessage, recordingLog, subscribeCodes, within, type Connection } from './support.ts';

const PASSWORD = 'dev-password-0123456789';
const r = iotResources(EMBEDDED_ARN);

let ca: LocalCa;
let server: IssuedCertificate;
let meter: IssuedCertificate;

beforeAll(async () => {
  ca = await createCa();
  [server, meter] = await Promise.all([issueServerCertificate(ca), issueDeviceCertificate(ca, 'meter-1')]);
});

const baseOptions = (lookup: PrincipalLookup, log = recordingLog().log): EmbeddedBrokerOptions => ({
  port: 0,
  ca: ca.certificatePem,
  cert: server.certificatePem,
  key: server.privateKeyPem,
  lookup,
  log,
});

const everyoneKnown = fleetPrincipals({ isRegistered: () => true });

describe('options', () => {
  it('refuse plain TCP without a real password, and keep it off by default', async () => {
    expect(() => createEmbeddedBroker({ ...baseOptions(everyoneKnown), allowPlainTcp: true })).toThrow(/allowPlainTcp is set without plainTcp/);
    expect(() => createEmbeddedBroker({ ...baseOptions(everyoneKnown), allowPlainTcp: true, plainTcp: { password: 'short' } })).toThrow(/shorter than 16/);
    expect(() => createEmbeddedBroker({ ...baseOptions(everyoneKnown), key: '' })).toThrow(/needs ca, cert and key/);
    const broker = createEmbeddedBroker({ ...baseOptions(everyoneKnown), plainTcp: { password: PASSWORD } });
    expect(await broker.start()).toBeGreaterThan(0);
    expect(broker.plainTcpPort).toBeUndefined();
    await broker.close();
  });
});

describe('the plain-TCP development listener', () => {
  const log = recordingLog();
  const received: InboundMessage[] = [];
  const clients: Connection[] = [];
  let broker: EmbeddedBroker;
  let plainPort: number;

  /** A principal whose policy lets it subscribe to its commands but receive only one of them. */
  const lookup: PrincipalLookup = async (identity) => {
    if (identity.commonName === 'broken-registry') throw new Error('registry down');
    if (identity.commonName !== 'narrow') return everyoneKnown(identity);
    return {
      kind: 'device',
      thingName: 'narrow',
      policies: {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: 'iot:Connect', Resource: r.client('narrow') },
          { Effect: 'Allow', Action: 'iot:Subscribe', Resource: r.topicFilter('cmd/lwm2m/narrow/req/+') },
          { Effect: 'Allow', Action: 'iot:Receive', Resource: r.topic('cmd/lwm2m/narrow/req/ok') },
        ],
      },
    };
  };

  const plain = (clientId: string, username: string | undefined, password: string | undefined) => {
    const c = connect({
      protocol: 'mqtt',
      port: plainPort,
      clientId,
      caPem: ca.certificatePem,
      ...(username !== undefined ? { username } : {}),
      ...(password !== undefined ? { password } : {}),
    });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    broker = createEmbeddedBroker({ ...baseOptions(lookup, log.log), allowPlainTcp: true, plainTcp: { password: PASSWORD } });
    await broker.start();
    plainPort = broker.plainTcpPort!;
    broker.onPublish((m) => {
      received.push(m);
      if (m.payload.toString() === 'throw') throw new Error('handler bug');
    });
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.client.endAsync(true).catch(() => undefined)));
    await broker.close();
  });

  it('lets a known identity in with the shared password, under the same policy', async () => {
    const { client, connected } = plain('meter-1', 'meter-1', PASSWORD);
    await connected;
    await within(5_000, 'PUBACK', client.publishAsync(topics.deviceState('meter-1'), 'x', { qos: 1 }));
    expect(received.at(-1)?.identity).toMatchObject({ thingName: 'meter-1', transport: 'tcp', certificateId: undefined });
    expect(await subscribeCodes(client, 'cmd/lwm2m/meter-2/req/+')).toEqual([0x80]);
    await end(client);
  });

  it.each([
    ['a wrong password', 'meter-1', 'meter-1', 'wrong-password-0000000', 4, 'bad-credentials'],
    ['no credentials', 'meter-1', undefined, undefined, 4, 'bad-credentials'],
    ['a username that is not the client id', 'meter-2', 'meter-1', PASSWORD, 5, 'client-id-mismatch'],
    ['a name that is not a thing name', 'a b', 'a b', PASSWORD, 5, 'unknown-certificate'],
    ['a registry that fails', 'broken-registry', 'broken-registry', PASSWORD, 3, 'lookup-failed'],
  ] as const)('refuses %s with CONNACK %i', async (_label, clientId, username, password, code, kind) => {
    const before = log.count(kind);
    await expect(plain(clientId, username, password).connected).rejects.toMatchObject({ code });
    await log.untilCount(kind, before + 1);
  });

  it('withholds a message the subscriber may not receive, though its subscription was granted', async () => {
    const { client, connected } = plain('narrow', 'narrow', PASSWORD);
    await connected;
    expect(await subscribeCodes(client, 'cmd/lwm2m/narrow/req/+')).toEqual([1]);
    const message = nextMessage(client, 'the allowed message');
    await broker.publish({ topic: 'cmd/lwm2m/narrow/req/blocked', payload: 'no' });
    await broker.publish({ topic: 'cmd/lwm2m/narrow/req/ok', payload: 'yes' });
    const [topic] = await message;
    expect(topic).toBe('cmd/lwm2m/narrow/req/ok');
    await log.untilCount('receive-denied', 1);
    await end(client);
  });

  it('counts a failing handler and keeps the publisher connected', async () => {
    const { client, connected } = plain('meter-1', 'meter-1', PASSWORD);
    await connected;
    await within(5_000, 'PUBACK', client.publishAsync(topics.deviceAlarms('meter-1'), 'throw', { qos: 1 }));
    await within(5_000, 'PUBACK', client.publishAsync(topics.deviceAlarms('meter-1'), 'after', { qos: 1 }));
    expect(received.at(-1)?.payload.toString()).toBe('after');
    expect(broker.stats().handlerErrors).toBe(1);
    expect(client.connected).toBe(true);
    await end(client);
  });

  it('refuses server-side publishes that are not topic names', async () => {
    await expect(broker.publish({ topic: 'cmd/lwm2m/+/req/x', payload: '' })).rejects.toThrow(/wildcard/);
    await expect(broker.publish({ topic: '$SYS/x', payload: '' })).rejects.toThrow(/reserved/);
    await expect(broker.publish({ topic: `dt/${'x'.repeat(300)}`, payload: '' })).rejects.toThrow(/256 bytes/);
  });
});

describe('handleBeforeAck', () => {
  let broker: EmbeddedBroker;
  let device: Connection;

  beforeAll(async () => {
    broker = createEmbeddedBroker({ ...baseOptions(everyoneKnown), handleBeforeAck: true });
    const port = await broker.start();
    device = connect({ port, clientId: 'meter-1', caPem: ca.certificatePem, identity: meter });
    await device.connected;
    expect(await subscribeCodes(device.client, 'cmd/lwm2m/meter-1/req/+')).toEqual([1]);
  });

  afterAll(async () => {
    await end(device.client);
    await broker.close();
  });

  it('sends PUBACK only once the handler is done', async () => {
    // The handler sends the device a command and waits until the device has it. The broker writes
    // to one socket in order, so the device sees the command before the PUBACK only if the PUBACK
    // was held back until the handler finished.
    const seen: string[] = [];
    const probe = nextMessage(device.client, 'the probe command').then(([topic]) => void seen.push(`message ${topic}`));
    const stop = broker.onPublish(async () => {
      await broker.publish({ topic: 'cmd/lwm2m/meter-1/req/probe', payload: '{}' });
      await probe;
    });
    await within(5_000, 'PUBACK', device.client.publishAsync(topics.deviceState('meter-1'), 'x', { qos: 1 }));
    seen.push('puback');
    stop();
    expect(seen).toEqual(['message cmd/lwm2m/meter-1/req/probe', 'puback']);
  });

  it('keeps PUBACKs in PUBLISH order when handlers finish out of order', async () => {
    const gates = new Map<string, () => void>();
    let bothArrived!: () => void;
    const arrivedBoth = new Promise<void>((resolve) => (bothArrived = resolve));
    const stop = broker.onPublish(async (m) => {
      const text = m.payload.toString();
      const gate = new Promise<void>((resolve) => gates.set(text, resolve));
      if (gates.size === 2) bothArrived();
      await gate;
    });
    const acked: string[] = [];
    const first = device.client.publishAsync(topics.deviceState('meter-1'), 'first', { qos: 1 }).then(() => acked.push('first'));
    const second = device.client.publishAsync(topics.deviceState('meter-1'), 'second', { qos: 1 }).then(() => acked.push('second'));
    await within(5_000, 'both messages reaching the handler', arrivedBoth);
    gates.get('second')!();
    gates.get('first')!();
    await within(5_000, 'both PUBACKs', Promise.all([first, second]));
    stop();
    expect(acked).toEqual(['first', 'second']);
  });
});

describe('close()', () => {
  it('ends connected clients, half-open sockets on both listeners, and the listeners', async () => {
    const broker = createEmbeddedBroker({ ...baseOptions(everyoneKnown), allowPlainTcp: true, plainTcp: { password: PASSWORD } });
    const port = await broker.start();
    const device = connect({ port, clientId: 'meter-1', caPem: ca.certificatePem, identity: meter });
    await device.connected;
    expect(broker.stats().connected).toBe(1);

    // Sockets that never say a word: one mid-TLS-handshake, one before CONNECT on plain TCP.
    const raw: Socket[] = [tcpConnect(port, '127.0.0.1'), tcpConnect(broker.plainTcpPort!, '127.0.0.1')];
    await Promise.all(raw.map((s) => within(5_000, 'raw connect', once(s, 'connect'))));
    const rawClosed = raw.map((s) => within(5_000, 'raw socket closed by the broker', once(s, 'close')));

    await within(5_000, 'broker.close()', broker.close());
    await Promise.all(rawClosed);
    await within(5_000, 'the device seeing the end', device.closed);

    const refused = tcpConnect(port, '127.0.0.1');
    const [error] = (await within(5_000, 'connecting to a closed listener', once(refused, 'error'))) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ECONNREFUSED');
    await expect(broker.publish({ topic: 'dt/x', payload: '' })).rejects.toThrow(/not running/);
    await expect(broker.start()).rejects.toThrow(/already started/);
    await broker.close();
  });
});

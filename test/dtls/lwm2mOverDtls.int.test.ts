import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceStatus } from '../../events/projections/devices.ts';
import { issueDevicePsk, readDevicePsk } from '../../functions/dtls/devicePsk.ts';
import { createDevicePskLookup } from '../../functions/dtls/devicePskLookup.ts';
import { openDtlsTransport, type DtlsTransport } from '../../functions/dtls/dtlsTransport.ts';
import type { HandshakeFailedEvent } from '../../functions/dtls/index.ts';
import { combineSecureAndPlain, type SecurePlainTransport } from '../../functions/dtls/securePlainTransport.ts';
import { encodeCoap } from '../../functions/lwm2m/coap/codec.ts';
import { Code, Method } from '../../functions/lwm2m/coap/message.ts';
import { Option, option } from '../../functions/lwm2m/coap/options.ts';
import type { Lwm2mLog } from '../../functions/lwm2m/log.ts';
import { startLwm2mServer, type Lwm2mServer, type RegisteredEvent } from '../../functions/lwm2m/lwm2mServer.ts';
import { openUdpTransport, type PeerAddress } from '../../functions/lwm2m/transport.ts';
import { openEmbeddedObjectStores } from '../../functions/objectStore/embeddedObjectStores.ts';
import type { ObjectStore } from '../../functions/objectStore/objectStore.ts';
import { TestDevice } from '../lwm2m/server/testDevice.ts';
import { DtlsDevice } from './support/dtlsDevice.ts';
import { PskClient } from './support/pskClient.ts';
import { runClient } from './support/processes.ts';
import { nextEvent } from './support/testServer.ts';

/**
 * The LwM2M server over the DTLS transport, with each device's PSK from the encrypted credentials
 * area, and plain CoAP beside it (one server, two transports). Devices are node-dtls-client and
 * libcoap's coap-client-openssl: stacks nobody here wrote.
 */

const dir = mkdtempSync(join(tmpdir(), 'lwm2m-dtls-'));
const statuses = new Map<string, DeviceStatus>();
const quiet: Lwm2mLog = { info: () => undefined, warn: () => undefined, error: () => undefined };
let credentials: ObjectStore;
let dtls: DtlsTransport;
let transport: SecurePlainTransport;
let server: Lwm2mServer;
let plainPort: number;
const plainFromSecure: PeerAddress[] = [];
const plainDropped: ((peer: PeerAddress) => void)[] = [];
const open: DtlsDevice[] = [];

const keyOf = async (thing: string) => (await readDevicePsk(credentials, thing))!.key;
const device = async (thing: string, identity = thing, key?: Buffer) => {
  const d = await DtlsDevice.open(dtls.localAddress().port, identity, key ?? (await keyOf(thing)));
  open.push(d);
  return d;
};
const nextRegistered = () => nextEvent<RegisteredEvent>(server.events, 'registered', 15_000);
const refusedAsMismatch = () => server.stats().rejected['identity-mismatch'];

beforeAll(async () => {
  ({ credentials } = await openEmbeddedObjectStores({ dataDir: dir }));
  for (const thing of ['dev-1', 'dev-2', 'dev-4', 'dev-5', 'dev-6']) {
    await issueDevicePsk({ credentials, thingName: thing });
    statuses.set(thing, 'provisioned');
  }
  await issueDevicePsk({ credentials, thingName: 'dev-3', identity: 'SN-0003' });
  statuses.set('dev-3', 'provisioned');
  // libcoap's -k takes the key as text.
  await issueDevicePsk({ credentials, thingName: 'libcoap-1', key: Buffer.from('libcoap-key-0001') });
  statuses.set('libcoap-1', 'provisioned');

  const lookup = createDevicePskLookup({ credentials, deviceStatus: (t) => Promise.resolve(statuses.get(t)) });
  dtls = await openDtlsTransport({
    port: 0,
    pskLookup: async (identity) => {
      const psk = await lookup(identity);
      return psk && { key: psk.key, device: psk.thingName };
    },
  });
  const plain = await openUdpTransport({ port: 0 });
  plainPort = plain.localAddress().port;
  transport = combineSecureAndPlain(dtls, plain, {
    onPlainFromSecurePeer: (peer) => {
      plainFromSecure.push(peer);
      plainDropped.shift()?.(peer);
    },
  });
  server = await startLwm2mServer({ transport, log: quiet, timing: { ackTimeoutMs: 100, ackRandomFactor: 1, maxRetransmit: 1, maxLatencyMs: 500 } });
});

afterAll(async () => {
  for (const d of open) await d.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('LwM2M over DTLS with per-device PSKs', () => {
  it('registers a device under the identity its PSK proves, and reaches it through its session', async () => {
    const dev = await device('dev-1');
    const registered = nextRegistered();
    const { code, location } = await dev.register('dev-1');
    expect(code).toBe(Code.CREATED);
    const { registration } = await registered;
    expect(registration).toMatchObject({ endpoint: 'dev-1', identity: 'dev-1', id: location.replace('/rd/', '') });
    expect(registration.address.port).not.toBe(plainPort);

    dev.handler = (request, path) => (request.code === Method.GET && path === '/3/0/0' ? { code: Code.CONTENT, options: [option(Option.CONTENT_FORMAT, 0)], payload: Buffer.from('Lund Lighting') } : undefined);
    const read = await server.read('dev-1', '/3/0/0');
    expect(read).toMatchObject({ code: '2.05', payload: { contentFormat: 0 } });
    expect(read.payload?.bytes.toString()).toBe('Lund Lighting');
    expect(dev.requests.at(-1)?.code).toBe(Method.GET);
  });

  it("refuses (4.03, counted) a Register with another device's endpoint name, and leaves that device's registration alone", async () => {
    const before = refusedAsMismatch();
    const held = server.registration('dev-1');
    const dev2 = await device('dev-2');
    const { code, response } = await dev2.register('dev-1');
    expect(code).toBe(Code.FORBIDDEN);
    expect(response.payload.toString()).toMatch(/authenticated as 'dev-2' and may register only as endpoint 'dev-2', not 'dev-1'/);
    expect(refusedAsMismatch()).toBe(before + 1);
    expect(server.registration('dev-1')).toEqual(held);
    expect((await dev2.register('dev-2')).code).toBe(Code.CREATED);
  });

  it('hands up the device, not the raw identity, for a PSK issued under its own identity', async () => {
    const dev3 = await device('dev-3', 'SN-0003');
    expect((await dev3.register('SN-0003')).code).toBe(Code.FORBIDDEN);
    const registered = nextRegistered();
    expect((await dev3.register('dev-3')).code).toBe(Code.CREATED);
    expect((await registered).registration).toMatchObject({ endpoint: 'dev-3', identity: 'dev-3' });
  });

  it('gives no session for a wrong key, an unknown identity, or a device no longer in the fleet', async () => {
    const failures: HandshakeFailedEvent[] = [];
    const onFailure = (f: HandshakeFailedEvent) => failures.push(f);
    dtls.server.on('handshakeFailed', onFailure);
    try {
      await expect(DtlsDevice.open(dtls.localAddress().port, 'dev-4', Buffer.alloc(16, 7))).rejects.toThrow('received fatal alert: bad_record_mac');
      await expect(DtlsDevice.open(dtls.localAddress().port, 'nobody', Buffer.alloc(16, 7))).rejects.toThrow('received fatal alert: unknown_psk_identity');
      statuses.set('dev-6', 'deprovisioned');
      await expect(DtlsDevice.open(dtls.localAddress().port, 'dev-6', await keyOf('dev-6'))).rejects.toThrow('received fatal alert: unknown_psk_identity');
    } finally {
      dtls.server.off('handshakeFailed', onFailure);
    }
    expect(failures.map((f) => [f.reason, f.identity?.toString()])).toEqual([
      ['bad_record_mac', 'dev-4'],
      ['unknown_psk_identity', 'nobody'],
      ['unknown_psk_identity', 'dev-6'],
    ]);
    expect(server.registration('dev-4')).toBeUndefined();
    expect(server.registration('dev-6')).toBeUndefined();
  });
});

describe('plain CoAP beside DTLS (one server, two transports)', () => {
  it('registers a plain device without an identity, and never lets it replace a DTLS registration', async () => {
    const plain = await TestDevice.open(plainPort);
    try {
      const registered = nextRegistered();
      expect((await plain.register({ ep: 'plain-1', lwm2m: '1.1' })).code).toBe(Code.CREATED);
      const { registration } = await registered;
      expect(registration.endpoint).toBe('plain-1');
      expect(registration.identity).toBeUndefined();
      plain.resources.set('/3/0/0', { code: Code.CONTENT, contentFormat: 0, payload: 'plain answer' });
      expect((await server.read('plain-1', '/3/0/0')).payload?.bytes.toString()).toBe('plain answer');

      const before = refusedAsMismatch();
      const { code, response } = await plain.register({ ep: 'dev-1', lwm2m: '1.1' });
      expect(code).toBe(Code.FORBIDDEN);
      expect(response.payload.toString()).toMatch(/registered over an authenticated session/);
      expect(refusedAsMismatch()).toBe(before + 1);
      expect(server.registration('dev-1')?.identity).toBe('dev-1');
    } finally {
      await plain.close();
    }
  });

  it("drops plain datagrams from a DTLS peer's address and port, during its session and after it", async () => {
    const client = await PskClient.open({ port: dtls.localAddress().port, identity: 'dev-4', psk: await keyOf('dev-4') });
    try {
      await client.handshake();
      // One CoAP ping over DTLS: the server answers RST, and the peer is now known as a DTLS peer.
      client.sendRaw(client.applicationData(encodeCoap({ type: 'CON', code: 0, messageId: 1 })));
      expect((await client.receive()).data[0]! >> 4).toBe(0x7); // version 1, RST

      const spoofedRegister = encodeCoap({ type: 'CON', code: Method.POST, messageId: 2, token: Buffer.of(1), options: [option(Option.URI_PATH, 'rd'), option(Option.URI_QUERY, 'ep=dev-4')] });
      const sendPlain = async () => {
        const dropped = new Promise<PeerAddress>((resolve) => plainDropped.push(resolve));
        client.socket.send(spoofedRegister, plainPort, '127.0.0.1');
        return dropped;
      };
      expect(await sendPlain()).toEqual({ address: '127.0.0.1', port: client.localPort });

      // The session ends (the device is deprovisioned): the address stays a DTLS peer's, never reached in clear.
      const closed = once(dtls.server.sessions().find((s) => s.remote.port === client.localPort)!, 'close');
      expect(dtls.closeSessionsOf('dev-4')).toBe(1);
      await closed;
      expect(await sendPlain()).toEqual({ address: '127.0.0.1', port: client.localPort });
      await expect(transport.send(Buffer.from('secret'), { address: '127.0.0.1', port: client.localPort })).rejects.toThrow(/no DTLS session .* any more/);
      expect(server.registration('dev-4')).toBeUndefined();
      expect(plainFromSecure).toHaveLength(2);
    } finally {
      client.close();
    }
  });
});

describe('interop: libcoap registers over DTLS', () => {
  const coapClient = (ep: string) =>
    runClient('coap-client-openssl', [
      ...['-u', 'libcoap-1', '-k', 'libcoap-key-0001', '-B', '5', '-m', 'post', '-t', '40', '-e', '</1/0>,</3/0>,</18830>'],
      `coaps://127.0.0.1:${dtls.localAddress().port}/rd?ep=${ep}&lt=60&lwm2m=1.1&b=U`,
    ]);

  it('coap-client-openssl -u <identity> -k <key> POST coaps://…/rd?ep=… is registered under its identity', async () => {
    const registered = nextRegistered();
    const out = await coapClient('libcoap-1');
    expect(out.code).toBe(0);
    const { registration } = await registered;
    expect(registration).toMatchObject({ endpoint: 'libcoap-1', identity: 'libcoap-1', lifetimeSeconds: 60, lwm2mVersion: '1.1' });
    expect(registration.objectLinks.objects.map((o) => o.objectId)).toEqual([1, 3, 18830]);
  });

  it('coap-client-openssl registering under another endpoint name gets 4.03', async () => {
    const before = refusedAsMismatch();
    const out = await coapClient('dev-5');
    expect(`${out.stdout}${out.stderr}`).toMatch(/4\.03/);
    expect(refusedAsMismatch()).toBe(before + 1);
    expect(server.registration('dev-5')).toBeUndefined();
  });
});

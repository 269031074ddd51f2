import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceStateRow } from '../../events/projections/deviceState.ts';
import { issueDeviceCertificate, type IssuedCertificate } from '../../functions/registry/localCa.ts';
import { loadConfig } from '../../infra/embedded/config.ts';
import { startEmbeddedSystem, type EmbeddedSystem } from '../../infra/embedded/system.ts';
import { topics } from '../../schemas/topics/topics.ts';
import { encodeSenmlCbor } from '../../schemas/senml/index.ts';
import { connect, end, subscribeCodes, within } from '../broker/support.ts';
import { provisioned } from '../support/events.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'e2e-ingest-'));
let system: EmbeddedSystem;
const certs: Record<string, IssuedCertificate> = {};

beforeAll(async () => {
  system = await startEmbeddedSystem(loadConfig({ FLEET_DATA_DIR: dataDir, FLEET_HTTP_PORT: '0', FLEET_MQTT_PORT: '0', FLEET_LOG_LEVEL: 'silent' }));
  // Register each device as provisioning does: thing, certificate from the registry, attached.
  for (const thing of ['meter-a', 'meter-b']) {
    await system.registry.ensureThing({ thingName: thing, attributes: {} });
    const cert = await system.registry.createKeysAndCertificate({ thingName: thing });
    await system.registry.attachThingPrincipal(thing, cert.certificateId);
    certs[thing] = { ...cert, commonName: thing } as unknown as IssuedCertificate;
    await system.events.append({ streamId: `device-${thing}`, expectedVersion: 0, events: [provisioned(thing, { certificateId: cert.certificateId })] });
  }
  await system.projections.settled();
});
afterAll(async () => {
  await system.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const caPem = () => readFileSync(join(dataDir, 'pki', 'ca.pem'), 'utf8');
const device = async (thing: string) => {
  const c = connect({ port: system.mqtt.port, clientId: thing, caPem: caPem(), identity: certs[thing]! });
  await c.connected;
  return c;
};
const pack = (v: number) => Buffer.from(encodeSenmlCbor([{ bn: '/3303/0/', bt: 1767225600 + v, n: '5700', v, u: 'Cel' }], { profile: 'lwm2m' }));

describe('ingestion end to end: device certificate → TLS → broker → decode → bus → append → projections', () => {
  it('stores a device message before its PUBACK: the state projection has it once the publish resolves', async () => {
    const a = await device('meter-a');
    await within(5000, 'publish', a.client.publishAsync(topics.deviceState('meter-a'), pack(21), { qos: 1 }));
    // PUBACK has arrived: the fact must already be in the store.
    const [stored] = await system.events.readStream('device-meter-a', { from: 2 });
    expect(stored).toMatchObject({ type: 'DeviceStateReported', actor: { kind: 'device', id: 'meter-a' } });
    await system.projections.settled();
    const row = system.projectionStore.getRow('device-state', 'meter-a') as DeviceStateRow;
    expect(row.resources['/3303/0/5700']).toMatchObject({ value: { kind: 'number', v: 21 }, unit: 'Cel' });
    await end(a.client);
  });

  it('keeps a garbage payload as a rejection with its bytes', async () => {
    const a = await device('meter-a');
    const junk = Buffer.from([0xde, 0xad, 0xbe, 0xef]);
    await within(5000, 'publish', a.client.publishAsync(topics.deviceAlarms('meter-a'), junk, { qos: 1 }));
    await system.projections.settled();
    const rejections = [...system.projectionStore.allRows('rejections').values()] as { thingName: string; stage: string }[];
    expect(rejections).toEqual([expect.objectContaining({ thingName: 'meter-a', stage: 'decode' })]);
    const last = (await system.events.readStream('device-meter-a', { direction: 'backwards', limit: 1 }))[0]!;
    expect(Buffer.from((last.data as { payloadBase64: string }).payloadBase64, 'base64')).toEqual(junk);
    await end(a.client);
  });

  it('with two real device certificates, neither can publish or subscribe on the other’s topics', async () => {
    const a = await device('meter-a');
    const b = await device('meter-b');
    expect(await subscribeCodes(a.client, topics.commandRequest('meter-b', 'c1'))).toEqual([128]);
    expect(await subscribeCodes(a.client, `cmd/lwm2m/meter-a/req/+`)).toEqual([1]);
    const before = system.mqtt.broker.stats().refusals['publish-denied'];
    void a.client.publishAsync(topics.deviceState('meter-b'), pack(99), { qos: 1 }).catch(() => undefined);
    await within(5000, 'connection dropped', a.closed);
    expect(system.mqtt.broker.stats().refusals['publish-denied']).toBe(before + 1);
    await system.projections.settled();
    const bRow = system.projectionStore.getRow('device-state', 'meter-b') as DeviceStateRow | undefined;
    expect(bRow).toBeUndefined();
    await within(5000, 'publish', b.client.publishAsync(topics.deviceState('meter-b'), pack(5), { qos: 1 }));
    await system.projections.settled();
    expect((system.projectionStore.getRow('device-state', 'meter-b') as DeviceStateRow).resources['/3303/0/5700']!.value).toEqual({ kind: 'number', v: 5 });
    await end(b.client);
  });

  it('10,000 messages over MQTT/TLS from 10 devices, 1% garbage: every good one is in the state projection, every bad one a rejection with its bytes', async () => {
    const things = Array.from({ length: 10 }, (_, i) => `bulk-${i}`);
    for (const thing of things) {
      await system.registry.ensureThing({ thingName: thing, attributes: {} });
      const cert = await system.registry.createKeysAndCertificate({ thingName: thing });
      await system.registry.attachThingPrincipal(thing, cert.certificateId);
      certs[thing] = { ...cert, commonName: thing } as unknown as IssuedCertificate;
    }
    const perDevice = 1000;
    const garbage = new Set<string>();
    const lastGood = new Map<string, number>();
    // Each device publishes its share at QoS 1 with up to 16 messages in flight; every publish must be acknowledged.
    await Promise.all(
      things.map(async (thing, d) => {
        const { client } = await device(thing);
        for (let i = 0; i < perDevice; i += 16) {
          await within(
            10_000,
            `${thing} publishes`,
            Promise.all(
              Array.from({ length: Math.min(16, perDevice - i) }, (_, k) => {
                const n = d * perDevice + i + k;
                const bad = n % 100 === 37;
                const payload = bad ? Buffer.from([0x9f, 0xa1, n & 0xff, n >> 8, 0xff]) : pack(n);
                if (bad) garbage.add(payload.toString('base64'));
                else lastGood.set(thing, Math.max(lastGood.get(thing) ?? -1, n));
                return client.publishAsync(topics.deviceState(thing), payload, { qos: 1 });
              }),
            ),
          );
        }
        await end(client);
      }),
    );
    await system.projections.settled();

    expect(garbage.size).toBe(100);
    const rows = things.map((t) => system.projectionStore.getRow('device-state', t) as DeviceStateRow & { messages: number });
    expect(rows.reduce((sum, r) => sum + r.messages, 0)).toBe(10_000 - garbage.size);
    for (const [i, thing] of things.entries()) expect(rows[i]!.resources['/3303/0/5700']!.value).toEqual({ kind: 'number', v: lastGood.get(thing) });
    const rejected = (await Promise.all(things.map((t) => system.events.readStream(`device-${t}`)))).flat().filter((e) => e.type === 'MessageRejected');
    expect(new Set(rejected.map((e) => (e.data as { payloadBase64: string }).payloadBase64))).toEqual(garbage);
    const rejectionRows = [...system.projectionStore.allRows('rejections').values()] as { thingName: string }[];
    expect(rejectionRows.filter((r) => r.thingName.startsWith('bulk-'))).toHaveLength(garbage.size);
  });

  it('refuses a certificate the fleet does not know (CONNACK not authorized) and counts it', async () => {
    // Signed by the fleet's own CA, but never registered: the registry, not the CA, decides.
    const stranger = await issueDeviceCertificate(system.ca, 'meter-z');
    const c = connect({ port: system.mqtt.port, clientId: 'meter-z', caPem: caPem(), identity: stranger });
    await expect(c.connected).rejects.toThrow(/Not authorized|not authorized|code 5/i);
    expect(system.mqtt.broker.stats().refusals['unknown-certificate']).toBeGreaterThanOrEqual(1);
  });
});

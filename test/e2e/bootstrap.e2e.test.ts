import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceSessionRow } from '../../events/projections/deviceSessions.ts';
import type { DeviceRow } from '../../events/projections/devices.ts';
import { bootstrapExecution, bootstrapRequestTrigger, registrationTrigger } from '../../functions/bootstrap/bootstrapTrigger.ts';
import { certificateIdOf, type IssuedCertificate } from '../../functions/registry/localCa.ts';
import type { ExecutionDescription } from '../../functions/workflows/workflowEngine.ts';
import { loadConfig } from '../../infra/embedded/config.ts';
import { bootstrapModule } from '../../infra/embedded/modules/bootstrap.ts';
import { bridgeMessagesModule } from '../../infra/embedded/modules/bridgeMessages.ts';
import { deprovisioningModule } from '../../infra/embedded/modules/deprovisioning.ts';
import { provisioningModule } from '../../infra/embedded/modules/provisioning.ts';
import { startEmbeddedSystem, type EmbeddedSystem } from '../../infra/embedded/system.ts';
import { BootstrapDelivery } from '../../schemas/bridge/index.ts';
import { topics } from '../../schemas/topics/topics.ts';
import { dataOf, startBridge, type TestBridge } from '../bridgeMessages/support.ts';
import { connect, end } from '../broker/support.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'e2e-bootstrap-'));
let system: EmbeddedSystem;
let bridge: TestBridge;
let intruder: TestBridge;
/** Every bootstrap execution any test started, for the history scan at the end. */
const bootstrapRuns = new Set<string>();
/** Every key a bridge received, so the scan can look for pieces of real keys. */
const deliveredKeys: string[] = [];

const EXECUTION_PREFIX = 'arn:aws:states:local:000000000000:execution:';

beforeAll(async () => {
  system = await startEmbeddedSystem(loadConfig({ FLEET_DATA_DIR: dataDir, FLEET_HTTP_PORT: '0', FLEET_MQTT_PORT: '0', FLEET_LOG_LEVEL: 'silent' }), {
    // The poll loop's waits (about 160 s in all) take about 3 s.
    workflowTimeScale: 0.02,
    systemModules: [
      provisioningModule(),
      deprovisioningModule({ disconnect: (id) => system.mqtt.broker.disconnectCertificate(id) }),
      // Plain CoAP switched off, as it will be once DTLS lands: the tests below register over coaps.
      bootstrapModule({ allowPlainCoap: false, brokerUri: () => `mqtts://127.0.0.1:${system.mqtt.port}` }),
      bridgeMessagesModule(),
    ],
  });
  system.workflows.onEvent(({ executionId, stateMachine }) => {
    if (stateMachine === 'bootstrap') bootstrapRuns.add(executionId);
  });
  const csv = ['serial,tenant,latitude,longitude', ...Array.from({ length: 8 }, (_, i) => `lamp-${i + 1},city-of-lund,55.7${i},13.19`)].join('\n') + '\n';
  await system.objects.uploads.put('manifests/b-lamps.csv', csv, { contentType: 'text/csv' });
  const batch = await system.workflows.waitForCompletion(`${EXECUTION_PREFIX}provisioning:b-lamps`);
  expect(batch.output).toMatchObject({ provisioned: 8 });
  bridge = await startBridge(system, 'b1');
  intruder = await startBridge(system, 'b2');
});
afterAll(async () => {
  await bridge?.end();
  await intruder?.end();
  await system?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

let registrations = 0;
/** A Register as bridge b1 sees it; each call is a new registration (new location and time). */
const registration = (endpoint: string, objectLinks = '</>;rt="oma.lwm2m";ct=110,</1/0>,</3/0>,</18830>;ver=1.0', transport: 'coap' | 'coaps' = 'coaps') => {
  registrations += 1;
  return {
    endpoint,
    lwm2mVersion: '1.1',
    lifetimeSeconds: 300,
    bindingMode: 'U',
    queueMode: false,
    objectLinks,
    location: `/rd/r${registrations}`,
    registeredAt: new Date(Date.UTC(2026, 10, 24, 12, 0, registrations)).toISOString(),
    transport,
  };
};

const executionOf = (thingName: string, body: ReturnType<typeof registration>, bridgeId = 'b1') =>
  `${EXECUTION_PREFIX}bootstrap:${bootstrapExecution({ thingName, bridgeId, transport: body.transport, trigger: registrationTrigger(body.location, body.registeredAt) }).name}`;

const streamOf = (thingName: string) => system.events.readStream(`device-${thingName}`);
const typesOf = async (thingName: string) => (await streamOf(thingName)).map((e) => e.type);

/** The delivery a bridge received, checked against its contract; its key is kept for the secrets scan. */
const takeDelivery = async (b: TestBridge, thingName: string) => {
  const received = await b.nextDelivery();
  expect(received.topic).toBe(topics.bootstrapResponse(b.identity.bridgeId, thingName));
  expect(received.retain).toBe(false);
  const delivery = BootstrapDelivery.parse(JSON.parse(received.payload.toString('utf8')));
  deliveredKeys.push(delivery.privateKeyPem);
  return delivery;
};

const answer = (thingName: string, requestId: string, ok: boolean, lwm2mCode: string, from: TestBridge = bridge, message?: string) =>
  from.event('bootstrap-result', thingName, { endpoint: thingName, requestId, ok, lwm2mCode, ...(message ? { message } : {}), at: new Date().toISOString() });

const settledSession = async (thingName: string) => {
  await system.projections.settled();
  return system.projectionStore.getRow('device-sessions', thingName) as DeviceSessionRow | undefined;
};

describe('bootstrap end to end: a bridge relays a registration → workflow → credentials through that bridge → outcome', () => {
  it('delivers the device\'s own certificate and matching key to the bridge, which writes them and answers ok: DeviceBootstrapped', async () => {
    const body = registration('lamp-1');
    await bridge.event('register', 'lamp-1', body);
    const delivery = await takeDelivery(bridge, 'lamp-1');

    // The certificate is the one provisioning issued for lamp-1, and the key belongs to it.
    const provisioned = (await streamOf('lamp-1')).find((e) => e.type === 'DeviceProvisioned');
    const certificate = new X509Certificate(delivery.certificatePem);
    expect(certificate.subject).toContain('CN=lamp-1');
    expect(certificateIdOf(delivery.certificatePem)).toBe(dataOf(provisioned)?.['certificateId']);
    const fromKey = createPublicKey(createPrivateKey(delivery.privateKeyPem)).export({ type: 'spki', format: 'der' });
    expect(Buffer.compare(fromKey, certificate.publicKey.export({ type: 'spki', format: 'der' }))).toBe(0);
    expect(delivery).toMatchObject({ endpoint: 'lamp-1', clientId: 'lamp-1', securityMode: 'certificate', trustAnchorPem: system.ca.certificatePem, brokerUri: `mqtts://127.0.0.1:${system.mqtt.port}` });
    expect(Date.parse(delivery.expiresAt)).toBeGreaterThan(Date.now());

    // What the device would do next: connect to the broker it was given, with what it was given.
    const device = connect({ port: Number(new URL(delivery.brokerUri).port), clientId: delivery.clientId, caPem: delivery.trustAnchorPem, identity: delivery as unknown as IssuedCertificate });
    await device.connected;
    await end(device.client);

    await answer('lamp-1', delivery.requestId, true, '2.04');
    const run = await system.workflows.waitForCompletion(executionOf('lamp-1', body));
    expect(run.status).toBe('SUCCEEDED');
    const stream = await streamOf('lamp-1');
    expect(stream.map((e) => e.type)).toEqual(['DeviceProvisioned', 'DeviceRegistered', 'BootstrapResultReported', 'DeviceBootstrapped']);
    expect(stream[1]!.actor).toEqual({ kind: 'system', id: 'bridge:b1' });
    expect(stream[3]).toMatchObject({ actor: { kind: 'system', id: 'bootstrap' }, data: { thingName: 'lamp-1', bridgeId: 'b1', brokerUri: delivery.brokerUri } });
    expect(await settledSession('lamp-1')).toMatchObject({ bridgeId: 'b1', registered: true, bootstrapped: true, lastBootstrap: { outcome: 'bootstrapped' } });
    expect((system.projectionStore.getRow('devices', 'lamp-1') as DeviceRow).status).toBe('bootstrapped');
  });

  it('records the device\'s LwM2M answer when a write fails (4.04), and ignores a result from a bridge the delivery did not go to', async () => {
    const body = registration('lamp-2');
    await bridge.event('register', 'lamp-2', body);
    const delivery = await takeDelivery(bridge, 'lamp-2');
    // Another bridge claims success for the same request first: it holds no delivery, so it proves nothing.
    await answer('lamp-2', delivery.requestId, true, '2.04', intruder);
    await answer('lamp-2', delivery.requestId, false, '4.04', bridge, 'the device has no object 18830 instance to write');
    const run: ExecutionDescription = await system.workflows.waitForCompletion(executionOf('lamp-2', body));
    expect(run).toMatchObject({ status: 'FAILED', error: 'BootstrapFailed' });
    const failed = (await streamOf('lamp-2')).filter((e) => e.type === 'BootstrapFailed');
    expect(failed.map(dataOf)).toEqual([{ thingName: 'lamp-2', endpoint: 'lamp-2', bridgeId: 'b1', lwm2mCode: '4.04', message: 'the device has no object 18830 instance to write' }]);
    expect(await typesOf('lamp-2')).not.toContain('DeviceBootstrapped');
    expect(await settledSession('lamp-2')).toMatchObject({ bootstrapped: false, lastBootstrap: { outcome: 'failed', lwm2mCode: '4.04' } });
  });

  it('gives up after its bounded wait when the bridge never answers: BootstrapFailed "timeout"', async () => {
    const body = registration('lamp-3');
    await bridge.event('register', 'lamp-3', body);
    await takeDelivery(bridge, 'lamp-3');
    const run = await system.workflows.waitForCompletion(executionOf('lamp-3', body));
    expect(run).toMatchObject({ status: 'FAILED', error: 'BootstrapFailed' });
    const history = await system.workflows.getExecutionHistory(run.executionId);
    const checks = history.filter((e) => e.type === 'TaskStateEntered' && e.stateEnteredEventDetails?.name === 'CheckResult');
    expect(checks).toHaveLength(15);
    const failed = (await streamOf('lamp-3')).find((e) => e.type === 'BootstrapFailed');
    expect(dataOf(failed)).toMatchObject({ lwm2mCode: 'timeout', bridgeId: 'b1' });
  });

  it('refuses a device that already has its credentials: BootstrapRejected already-bootstrapped, nothing delivered', async () => {
    const body = registration('lamp-1');
    await bridge.event('register', 'lamp-1', body);
    const run = await system.workflows.waitForCompletion(executionOf('lamp-1', body));
    expect(run.status).toBe('SUCCEEDED');
    const history = await system.workflows.getExecutionHistory(run.executionId);
    expect(history.some((e) => e.stateEnteredEventDetails?.name === 'DeliverCredentials')).toBe(false);
    const rejected = (await streamOf('lamp-1')).filter((e) => e.type === 'BootstrapRejected');
    expect(rejected.map(dataOf)).toEqual([{ endpoint: 'lamp-1', thingName: 'lamp-1', bridgeId: 'b1', reason: 'already-bootstrapped' }]);
    expect(bridge.pending()).toBe(0);
  });

  it('refuses an endpoint no manifest brought in, under the endpoint\'s name, and starts nothing', async () => {
    const body = registration('stranger-9');
    await bridge.event('register', 'stranger-9', body);
    const refused = await system.events.readStream('endpoint-stranger-9');
    expect(refused.map((e) => [e.type, e.data])).toEqual([['BootstrapRejected', { endpoint: 'stranger-9', bridgeId: 'b1', reason: 'unknown-device' }]]);
    expect(await system.events.streamVersion('device-stranger-9')).toBe(0);
    await expect(system.workflows.describeExecution(executionOf('stranger-9', body))).rejects.toMatchObject({ name: 'ExecutionDoesNotExist' });
  });

  it('refuses a deprovisioned device', async () => {
    const gone = await system.workflows.startExecution('deprovisioning', { thingName: 'lamp-4', reason: 'test' }, { name: 'd-lamp-4' });
    expect((await system.workflows.waitForCompletion(gone)).status).toBe('SUCCEEDED');
    await bridge.event('register', 'lamp-4', registration('lamp-4'));
    const stream = await typesOf('lamp-4');
    expect(stream).toEqual(['DeviceProvisioned', 'DeviceDeprovisioned', 'BootstrapRejected']);
    expect(dataOf((await streamOf('lamp-4'))[2])).toEqual({ endpoint: 'lamp-4', thingName: 'lamp-4', bridgeId: 'b1', reason: 'deprovisioned' });
  });

  it('refuses a registration over plain CoAP while FLEET_BOOTSTRAP_OVER_PLAIN_COAP is off: unauthenticated', async () => {
    const body = registration('lamp-5', undefined, 'coap');
    await bridge.event('register', 'lamp-5', body);
    expect((await system.workflows.waitForCompletion(executionOf('lamp-5', body))).status).toBe('SUCCEEDED');
    const rejected = (await streamOf('lamp-5')).find((e) => e.type === 'BootstrapRejected');
    expect(dataOf(rejected)).toMatchObject({ thingName: 'lamp-5', reason: 'unauthenticated' });

    // A Bootstrap-Request the bridge could not authenticate counts as plain CoAP too.
    const asked = new Date(Date.UTC(2026, 10, 24, 13)).toISOString();
    await bridge.event('bootstrap-request', 'lamp-5', { endpoint: 'lamp-5', at: asked, authenticated: false });
    const request = bootstrapExecution({ thingName: 'lamp-5', bridgeId: 'b1', transport: 'coap', trigger: bootstrapRequestTrigger(asked) });
    expect((await system.workflows.waitForCompletion(`${EXECUTION_PREFIX}bootstrap:${request.name}`)).status).toBe('SUCCEEDED');
    expect((await streamOf('lamp-5')).filter((e) => e.type === 'BootstrapRejected').map((e) => dataOf(e)?.['reason'])).toEqual(['unauthenticated', 'unauthenticated']);
    expect(bridge.pending()).toBe(0);
  });

  it('starts nothing for a registration that shows an 18830 instance, and nothing twice for a redelivered one', async () => {
    const started: string[] = [];
    const stop = system.workflows.onEvent(({ executionId, stateMachine, event }) => {
      if (stateMachine === 'bootstrap' && event.type === 'ExecutionStarted') started.push(executionId);
    });
    try {
      const hasCredentials = registration('lamp-6', '</1/0>,</3/0>,</18830>,</18830/0>');
      await bridge.event('register', 'lamp-6', hasCredentials);
      await expect(system.workflows.describeExecution(executionOf('lamp-6', hasCredentials))).rejects.toMatchObject({ name: 'ExecutionDoesNotExist' });

      const body = registration('lamp-7');
      await bridge.event('register', 'lamp-7', body);
      await bridge.event('register', 'lamp-7', body);
      const delivery = await takeDelivery(bridge, 'lamp-7');
      await answer('lamp-7', delivery.requestId, true, '2.04');
      expect((await system.workflows.waitForCompletion(executionOf('lamp-7', body))).status).toBe('SUCCEEDED');
      expect(started).toEqual([executionOf('lamp-7', body)]);
      expect(await typesOf('lamp-7')).toEqual(['DeviceProvisioned', 'DeviceRegistered', 'BootstrapResultReported', 'DeviceBootstrapped']);
      expect(await typesOf('lamp-6')).toEqual(['DeviceProvisioned', 'DeviceRegistered']);
      expect(bridge.pending()).toBe(0);
    } finally {
      stop();
    }
  });

  it('fails with code "internal" and says what to do when the device\'s stored credentials are gone', async () => {
    await system.objects.credentials.delete('devices/lamp-8/mqtt.json');
    const body = registration('lamp-8');
    await bridge.event('register', 'lamp-8', body);
    const run = await system.workflows.waitForCompletion(executionOf('lamp-8', body));
    expect(run).toMatchObject({ status: 'FAILED', error: 'BootstrapFailed' });
    const failed = dataOf((await streamOf('lamp-8')).find((e) => e.type === 'BootstrapFailed'));
    expect(failed).toMatchObject({ lwm2mCode: 'internal', bridgeId: 'b1' });
    expect(failed?.['message']).toMatch(/CredentialsMissing.*provision the device again/);
    expect(bridge.pending()).toBe(0);
  });

  it('keeps certificates and keys out of every bootstrap execution history and every event', async () => {
    expect(deliveredKeys.length).toBeGreaterThanOrEqual(4);
    const bodies = deliveredKeys.map((pem) => pem.split('\n').filter((l) => l !== '' && !l.startsWith('-----')).join(''));
    const needles = ['PRIVATE KEY', 'BEGIN CERTIFICATE', ...bodies.flatMap((b) => [b.slice(0, 40), b.slice(-40)])];
    // lamp-1 (twice), lamp-2, lamp-3, lamp-5 (twice), lamp-7, lamp-8: strangers and deprovisioned devices are refused without a run.
    expect(bootstrapRuns.size).toBe(8);
    for (const id of bootstrapRuns) {
      const history = JSON.stringify(await system.workflows.getExecutionHistory(id));
      expect(history).toContain('CheckDevice');
      for (const needle of needles) expect(history, id).not.toContain(needle);
      const description = JSON.stringify(await system.workflows.describeExecution(id));
      for (const needle of needles) expect(description, id).not.toContain(needle);
    }
    const all = await system.events.readAll({ limit: 10_000 });
    expect(all.events.length).toBeGreaterThan(20);
    for (const event of all.events) for (const needle of needles) expect(JSON.stringify(event), event.type).not.toContain(needle);
  });
});

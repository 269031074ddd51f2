import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbeddedBroker, type EmbeddedBroker, type InboundMessage } from '../../functions/broker/embeddedBroker.ts';
import { fleetPrincipals } from '../../functions/broker/principals.ts';
import { openMqttLink, type MqttLink } from '../../functions/bridge/mqttLink.ts';
import { createCa, issueBridgeCertificate, issueServerCertificate, type LocalCa } from '../../functions/registry/localCa.ts';
import { bridgeThingName, topicFilters, topics } from '../../schemas/topics/topics.ts';
import { within } from '../broker/support.ts';
import { recordingLog } from './support.ts';

/**
 * The bridge's MQTT link against the embedded broker over mutual TLS, the broker acknowledging a
 * message only once the backend's handler is done (handleBeforeAck, as the embedded system runs
 * it). The handler holds every message until the test lets it go, so what is unacknowledged at any
 * moment is exactly what the test has not released.
 */

const BRIDGE = 'window';
const CAP = 4;
const MESSAGES = 20;

let ca: LocalCa;
let broker: EmbeddedBroker;
let link: MqttLink;
const arrived: InboundMessage[] = [];
const held: (() => void)[] = [];
let onArrival: () => void = () => undefined;

beforeAll(async () => {
  ca = await createCa();
  const server = await issueServerCertificate(ca);
  broker = createEmbeddedBroker({
    port: 0,
    ca: ca.certificatePem,
    cert: server.certificatePem,
    key: server.privateKeyPem,
    lookup: fleetPrincipals({ isRegistered: () => true }),
    handleBeforeAck: true,
    log: { warn: () => undefined, error: () => undefined },
  });
  broker.onPublish((m) => {
    if (m.route?.kind !== 'bridge-event') return;
    arrived.push(m);
    onArrival();
    return new Promise<void>((resolve) => held.push(resolve));
  });
  const port = await broker.start();
  const cert = await issueBridgeCertificate(ca, BRIDGE);
  link = openMqttLink({
    url: `mqtts://127.0.0.1:${port}`,
    ca: ca.certificatePem,
    cert: cert.certificatePem,
    key: cert.privateKeyPem,
    clientId: bridgeThingName(BRIDGE),
    will: { topic: topics.bridgeStatus(BRIDGE), payload: JSON.stringify({ bridgeId: BRIDGE, status: 'offline' }) },
    subscriptions: [topicFilters.bootstrapResponsesFor(BRIDGE)],
    maxInFlight: CAP,
    log: recordingLog().log,
    onConnected: () => undefined,
    onMessage: () => undefined,
  });
  await link.ready;
});

afterAll(async () => {
  for (const release of held.splice(0)) release();
  await link?.close();
  await broker?.close();
});

const untilArrived = (n: number) =>
  within(
    10_000,
    `${n} messages at the broker`,
    new Promise<void>((resolve) => {
      const check = () => {
        if (arrived.length >= n) resolve();
      };
      onArrival = check;
      check();
    }),
  );

describe('the bridge keeps at most maxInFlight QoS 1 publishes unacknowledged', () => {
  it('holds the rest in order behind the window and sends one more for each PUBACK, all arriving in order', async () => {
    const bodies = Array.from({ length: MESSAGES }, (_, i) => `register ${i}`);
    const acked = bodies.map((body, i) => link.publish(topics.bridgeEvent(BRIDGE, 'register', `lamp-${i}`), body));
    await untilArrived(1);
    // Nothing is acknowledged yet: CAP are on their way, the rest wait in the bridge.
    expect([link.inFlight, link.queued]).toEqual([CAP, MESSAGES - CAP]);
    expect(arrived.length).toBeLessThanOrEqual(CAP);

    let released = 0;
    while (released < MESSAGES) {
      await untilArrived(released + 1);
      held.shift()!();
      released += 1;
      // Whatever the broker has seen beyond what was released is unacknowledged: never more than CAP.
      expect(arrived.length - released).toBeLessThanOrEqual(CAP);
      expect(link.inFlight).toBeLessThanOrEqual(CAP);
    }
    await Promise.all(acked);
    expect(arrived.map((m) => m.payload.toString('utf8'))).toEqual(bodies);
    expect([link.inFlight, link.queued]).toEqual([0, 0]);
  });
});

import type { IClientOptions, MqttClient } from 'mqtt';
import type { StoredEvent } from '../../events/envelope.ts';
import type { SqliteEventStore } from '../../functions/eventStore/sqliteEventStore.ts';
import { createBridgeIdentity, type BridgeIdentity } from '../../functions/registry/bridgeIdentity.ts';
import type { DeviceRegistry } from '../../functions/registry/deviceRegistry.ts';
import type { IssuedCertificate } from '../../functions/registry/localCa.ts';
import { topicFilters, topics, type BridgeEvent } from '../../schemas/topics/topics.ts';
import { connect, end, subscribeCodes, within } from '../broker/support.ts';

export interface BridgeTarget {
  readonly registry: DeviceRegistry;
  readonly ca: { readonly certificatePem: string };
  readonly mqtt: { readonly port: number };
}

export interface ReceivedDelivery {
  readonly topic: string;
  readonly payload: Buffer;
  readonly retain: boolean;
}

/**
 * A test "bridge": a real MQTT 3.1.1 client over mutual TLS with a bridge certificate from the
 * registry (thing `bridge:<id>`, bridgePolicy), subscribed to its bootstrap topic. Publishing waits
 * for PUBACK, which the embedded broker sends only once the backend has handled the message.
 */
export const startBridge = async (system: BridgeTarget, bridgeId: string, options: { readonly will?: IClientOptions['will'] } = {}) => {
  const identity: BridgeIdentity = await createBridgeIdentity(system.registry, bridgeId);
  const connection = connect({
    port: system.mqtt.port,
    clientId: identity.thingName,
    caPem: system.ca.certificatePem,
    // connect() reads only the certificate and key of an identity.
    identity: identity as unknown as IssuedCertificate,
    ...(options.will ? { will: options.will } : {}),
  });
  await connection.connected;
  const client: MqttClient = connection.client;
  const received: ReceivedDelivery[] = [];
  const waiting: ((d: ReceivedDelivery) => void)[] = [];
  client.on('message', (topic, payload, packet) => {
    const delivery = { topic, payload, retain: packet.retain };
    const next = waiting.shift();
    if (next) next(delivery);
    else received.push(delivery);
  });
  const granted = await subscribeCodes(client, topicFilters.bootstrapResponsesFor(bridgeId));
  if (granted[0] !== 1) throw new Error(`bridge ${bridgeId} could not subscribe to its bootstrap topic (SUBACK ${granted[0]})`);

  const publish = (topic: string, payload: Buffer | string) => within(5_000, `PUBACK for ${topic}`, client.publishAsync(topic, payload, { qos: 1 })).then(() => undefined);
  return {
    identity,
    client,
    closed: connection.closed,
    publish,
    /** A JSON bridge event (or raw bytes) about one device. */
    event: (event: BridgeEvent, thingName: string, body: unknown) =>
      publish(topics.bridgeEvent(bridgeId, event, thingName), Buffer.isBuffer(body) ? body : JSON.stringify(body)),
    status: (body: unknown) => publish(topics.bridgeStatus(bridgeId), JSON.stringify(body)),
    /** The next bootstrap delivery this bridge receives. */
    nextDelivery: (): Promise<ReceivedDelivery> =>
      within(10_000, `a bootstrap delivery to bridge ${bridgeId}`, new Promise<ReceivedDelivery>((resolve) => {
        const queued = received.shift();
        if (queued) resolve(queued);
        else waiting.push(resolve);
      })),
    /** Deliveries received and not yet taken. */
    pending: () => received.length,
    end: () => end(client),
  };
};

export type TestBridge = Awaited<ReturnType<typeof startBridge>>;

/** Resolves with the stream once `done(events)` holds, re-reading it after every commit (no polling sleeps). */
export const untilStream = async (
  events: SqliteEventStore,
  streamId: string,
  done: (events: readonly StoredEvent[]) => boolean,
  what = streamId,
): Promise<readonly StoredEvent[]> => {
  let unsubscribe: () => void = () => undefined;
  try {
    return await within(
      10_000,
      `waiting for ${what}`,
      new Promise<readonly StoredEvent[]>((resolve, reject) => {
        const check = () => {
          events.readStream(streamId).then((read) => {
            if (done(read)) resolve(read);
          }, reject);
        };
        unsubscribe = events.onAppended(check);
        check();
      }),
    );
  } finally {
    unsubscribe();
  }
};

/** Typed access to a stored event's data in assertions. */
export const dataOf = (event: StoredEvent | undefined) => event?.data as Record<string, unknown> | undefined;

import { createEmbeddedBroker, type EmbeddedBroker } from '../../../functions/broker/embeddedBroker.ts';
import type { PrincipalLookup } from '../../../functions/broker/principals.ts';
import { withGroupCommit } from '../../../functions/eventStore/groupCommit.ts';
import { rejection, messageIdOf } from '../../../functions/ingestion/decodeDeviceMessage.ts';
import { createIngestionPipeline, type IngestionPipeline } from '../../../functions/ingestion/ingestionPipeline.ts';
import { issueServerCertificate, RevocationList, type LocalCa } from '../../../functions/registry/localCa.ts';
import type { EmbeddedModule, RunningModule } from '../runtime.ts';

export interface MqttIngestionOptions {
  readonly ca: LocalCa;
  readonly port: number;
  readonly host: string;
  /** Who a certificate belongs to and what it may do: the device registry answers (functions/broker/README.md). */
  readonly lookup: () => PrincipalLookup;
  readonly revocations?: () => RevocationList;
}

export interface MqttIngestion extends RunningModule {
  readonly broker: EmbeddedBroker;
  readonly pipeline: IngestionPipeline;
  readonly port: number;
}

/**
 * The MQTT broker (mutual TLS, per-device policy) and the ingestion path behind it. A device's
 * QoS 1 PUBACK is sent only once every fact of the message is in the event store
 * (`handleBeforeAck`), so a crash never loses an acknowledged message.
 */
export const mqttIngestionModule = (options: MqttIngestionOptions, onStarted?: (m: MqttIngestion) => void): EmbeddedModule => ({
  name: 'mqtt',
  async start(ctx) {
    // A fresh server certificate each start (milliseconds): SAN localhost, 127.0.0.1 and ::1.
    const server = await issueServerCertificate(options.ca);
    const broker = createEmbeddedBroker({
      port: options.port,
      host: options.host,
      ca: options.ca.certificatePem,
      cert: server.certificatePem,
      key: server.privateKeyPem,
      revocations: options.revocations?.() ?? new RevocationList(),
      lookup: options.lookup(),
      handleBeforeAck: true,
      log: { warn: (o, m) => ctx.log.warn(o, m), error: (o, m) => ctx.log.error(o, m) },
    });
    const pipeline = createIngestionPipeline({ bus: ctx.bus, events: withGroupCommit(ctx.events) });
    broker.onPublish(async (m) => {
      const receivedAt = ctx.clock.now();
      const deliveryKey = m.packetId === undefined ? undefined : `${m.identity.clientId}:${m.packetId}`;
      if (m.route?.kind === 'device-data' && m.identity.kind === 'device') {
        await pipeline.ingest({ thingName: m.route.thingName, channel: m.route.type, topic: m.topic, payload: m.payload, receivedAt, deliveryKey });
        return;
      }
      if (m.identity.kind === 'device' && m.route?.kind !== 'command-response') {
        // The policy allowed a topic the ingestion path has no use for: keep it as a rejection, never drop it.
        const message = { thingName: m.identity.thingName, topic: m.topic, payload: m.payload, receivedAt, deliveryKey };
        await ctx.bus.put([rejection(message, messageIdOf(message), 'topic', `no ingestion route for topic ${m.topic}`)]);
      }
    });
    const port = await broker.start();
    const running: MqttIngestion = {
      broker,
      pipeline,
      port,
      endpoints: { mqtts: `mqtts://${options.host}:${port}` },
      health: () => 'up',
      stop: async () => {
        await broker.close();
        pipeline.stop();
      },
    };
    onStarted?.(running);
    return running;
  },
});

import { IoTDataPlaneClient, PublishCommand, type IoTDataPlaneClientConfig, type PublishCommandOutput } from '@aws-sdk/client-iot-data-plane';
import { CommandRequestMessage } from '../../schemas/bridge/commandMessages.ts';
import type { BridgePublisher } from '../bootstrap/bootstrapPublisher.ts';
import { commandRequestTopic, type CommandPublisher } from '../commands/commandPublisher.ts';

/** The one call these adapters make; an IoTDataPlaneClient satisfies it. */
export interface IotDataSender {
  send(command: PublishCommand): Promise<PublishCommandOutput>;
}

/** AWS IoT Core did not take the message (refused, throttled, unreachable). Never carries the payload. */
export class IotPublishFailed extends Error {
  override name = 'IotPublishFailed';
}

/**
 * One server-side publish through the IoT data plane (`POST /topics/{topic}?qos=1&retain=false`,
 * the message as the body). QoS 1: the subscriber acknowledges it, and the broker redelivers to a
 * persistent session that missed it. Never retained: a retained bootstrap delivery would hand a
 * private key to whoever subscribes later, and a retained command would run again.
 * The error says which topic and what AWS answered; the payload is not in it.
 */
export const publishQos1 = async (client: IotDataSender, topic: string, payload: string): Promise<void> => {
  try {
    await client.send(new PublishCommand({ topic, qos: 1, retain: false, payload: Buffer.from(payload, 'utf8') }));
  } catch (error) {
    const e = error as Error & { $metadata?: { requestId?: string; httpStatusCode?: number } };
    const status = e.$metadata?.httpStatusCode === undefined ? '' : `, HTTP ${e.$metadata.httpStatusCode}`;
    const request = e.$metadata?.requestId === undefined ? '' : `, request ${e.$metadata.requestId}`;
    throw new IotPublishFailed(
      `AWS IoT did not take the message for ${topic} (${e.name}: ${e.message}${status}${request}): ` +
        'check that the role may iot:Publish to this topic and that the data endpoint is this account’s (iot:Data-ATS).',
    );
  }
};

/** The bootstrap workflow's port on AWS: DeliverCredentials publishes the delivery to the bridge's topic. */
export const iotDataPlaneBridgePublisher =
  (client: IotDataSender): BridgePublisher =>
  ({ topic, payload }) =>
    publishQos1(client, topic, payload);

/**
 * The commands port on AWS. The message is checked against the bridge contract before it leaves,
 * as the embedded adapter does, so a bridge never receives what it would have to refuse.
 */
export const iotDataPlaneCommandPublisher = (client: IotDataSender): CommandPublisher => ({
  async publish(thingName, message) {
    const checked = CommandRequestMessage.parse(message);
    const topic = commandRequestTopic(thingName, checked.commandId);
    await publishQos1(client, topic, JSON.stringify(checked));
    return { topic };
  },
});

/**
 * The SDK's logger middleware logs every command's input when a logger is configured (someone
 * debugging a Lambda sets one), and Publish's payload is not marked sensitive: a bootstrap
 * delivery's private key would land in CloudWatch. Run first, this makes the log filter show the
 * payload's size only, whatever logger is set.
 */
const withoutPayload =
  (filter: ((input: unknown) => unknown) | undefined) =>
  (input: unknown): unknown => {
    const shown = filter ? filter(input) : input;
    if (shown === null || typeof shown !== 'object' || !('payload' in shown)) return shown;
    const payload = (input as { payload?: Uint8Array }).payload;
    return { ...shown, payload: `[${payload?.byteLength ?? 0} bytes, not logged]` };
  };

/** An IoT data plane client whose logs never show what it publishes. */
export const createIotDataPlaneClient = (config: IoTDataPlaneClientConfig = {}): IoTDataPlaneClient => {
  const client = new IoTDataPlaneClient(config);
  client.middlewareStack.add(
    (next, context) => (args) => {
      context.inputFilterSensitiveLog = withoutPayload(context.inputFilterSensitiveLog as ((input: unknown) => unknown) | undefined);
      return next(args);
    },
    { step: 'initialize', priority: 'high', name: 'payloadOutOfLogs' },
  );
  return client;
};

import { CommandRequestMessage } from '../../schemas/bridge/commandMessages.ts';
import { topics } from '../../schemas/topics/topics.ts';

/**
 * Hands a command request to the MQTT broker on `cmd/lwm2m/<thing>/req/<commandId>`, where every
 * bridge (and a device that speaks MQTT itself) subscribes; the one holding the device relays it.
 * Embedded: the broker's server-side publish (below). AWS: the IoT data plane's Publish
 * (functions/lambda/iotDataPlanePublisher.ts).
 */
export interface CommandPublisher {
  publish(thingName: string, message: CommandRequestMessage): Promise<{ readonly topic: string }>;
}

/** What the embedded broker offers for this: its server-side publish (QoS 1, never retained). */
export interface ServerPublish {
  publish(message: { readonly topic: string; readonly payload: string; readonly qos?: 0 | 1; readonly retain?: boolean }): Promise<void>;
}

/** The topic a command goes out on. */
export const commandRequestTopic = (thingName: string, commandId: string): string => topics.commandRequest(thingName, commandId);

/**
 * The embedded adapter. The message is checked against the bridge contract before it leaves, so a
 * bridge never receives what it would have to refuse.
 */
export const brokerCommandPublisher = (broker: () => ServerPublish): CommandPublisher => ({
  async publish(thingName, message) {
    const checked = CommandRequestMessage.parse(message);
    const topic = commandRequestTopic(thingName, checked.commandId);
    await broker().publish({ topic, payload: JSON.stringify(checked), qos: 1, retain: false });
    return { topic };
  },
});

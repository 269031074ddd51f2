import middy from '@middy/core';
import { z } from 'zod';
import type { Bus, BusEntry } from '../bus/bus.ts';
import { MAX_ENTRIES_PER_PUT } from '../bus/putEventsLimits.ts';
import { decodeDeviceMessage, messageIdOf, rejection } from '../ingestion/decodeDeviceMessage.ts';
import { isDeviceThingName, parseTopic } from '../../schemas/topics/topics.ts';
import { parseInput } from '../shared/middleware/parseInput.ts';

/**
 * What the device-data IoT rules hand the decode Lambda. The rule SQL base64-encodes the payload
 * (`encode(*, 'base64')`): a Lambda action cannot carry raw binary CBOR.
 */
export const IotRuleMessage = z.object({
  topic: z.string().min(1).max(256),
  thingName: z.string().min(1).max(128),
  payloadBase64: z.string().max(200_000).regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be standard base64'),
  /** `timestamp()` in the rule: milliseconds since the epoch, when the broker received the message. */
  receivedAt: z.number().int().nonnegative(),
});
export type IotRuleMessage = z.infer<typeof IotRuleMessage>;

export interface DecodeResult {
  readonly put: number;
  readonly rejected: boolean;
}

/** Entries of one message that the bus refused; thrown so that Lambda's async retry puts them again. */
export class BusPutFailedError extends Error {
  override name = 'BusPutFailedError';
}

const toEntries = (m: IotRuleMessage): BusEntry[] => {
  const payload = Buffer.from(m.payloadBase64, 'base64');
  const receivedAt = new Date(m.receivedAt);
  const route = parseTopic(m.topic);
  if (route?.kind === 'device-data' && route.thingName === m.thingName) {
    return decodeDeviceMessage({ thingName: route.thingName, channel: route.type, topic: m.topic, payload, receivedAt });
  }
  // The rules only select device data topics; anything else is kept as a rejection, never dropped,
  // attributed to topic(3) when that is a device's name (the device policy pins it to the sender).
  const message = { thingName: isDeviceThingName(m.thingName) ? m.thingName : undefined, topic: m.topic, payload, receivedAt };
  return [rejection(message, messageIdOf({ ...message, thingName: m.thingName }), 'topic', `no ingestion route for topic ${m.topic}`)];
};

/**
 * The decode step as the IoT rules' Lambda action: one device message in, its facts (or one
 * rejection) put on the bus. Event ids come from the message, so a retried invocation is a no-op
 * downstream.
 */
export const decodeIotRuleMessage = (deps: { readonly bus: Pick<Bus, 'put'> }) =>
  middy<IotRuleMessage, DecodeResult>()
    .use(parseInput(IotRuleMessage, 'IoT rule message'))
    .handler(async (message) => {
      const entries = toEntries(message);
      for (let i = 0; i < entries.length; i += MAX_ENTRIES_PER_PUT) {
        const result = await deps.bus.put(entries.slice(i, i + MAX_ENTRIES_PER_PUT));
        if (result.FailedEntryCount > 0) {
          const first = result.Entries.find((e) => e.ErrorCode !== undefined);
          throw new BusPutFailedError(
            `${result.FailedEntryCount} bus entries of message on ${message.topic} were refused (${first?.ErrorCode}: ${first?.ErrorMessage}); the invocation is retried`,
          );
        }
      }
      return { put: entries.length, rejected: entries[0]?.DetailType === 'MessageRejected' };
    });

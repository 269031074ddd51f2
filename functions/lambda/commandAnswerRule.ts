import middy from '@middy/core';
import { z } from 'zod';
import { bridgeIdOfThingName, isDeviceThingName, parseTopic } from '../../schemas/topics/topics.ts';
import { refusalAppend } from '../bridgeMessages/bridgeRefusal.ts';
import { handleCommandAnswer, type AnswerOutcome, type CommandAnswer, type HandleAnswerDeps } from '../commands/handleCommandAnswer.ts';
import { messageIdOf } from '../ingestion/decodeDeviceMessage.ts';
import { parseInput } from '../shared/middleware/parseInput.ts';

/**
 * What the IoT rule on `cmd/lwm2m/+/res/+` hands the Lambda (infra/cdk/constructs/bridgeTraffic.ts):
 *
 *   SELECT encode(*, 'base64') AS payloadBase64, topic() AS topic, clientid() AS clientId,
 *          timestamp() AS receivedAt FROM 'cmd/lwm2m/+/res/+'
 *
 * The client id names the sender: the policies pin it to the certificate's thing (`bridge:<id>` for
 * a bridge, the thing name for a device that answers its own commands).
 */
export const CommandAnswerRuleMessage = z.object({
  topic: z.string().min(1).max(256),
  clientId: z.string().min(1).max(128),
  payloadBase64: z.string().max(200_000).regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be standard base64'),
  /** `timestamp()`: milliseconds since the epoch, when the broker received the message. */
  receivedAt: z.number().int().nonnegative(),
});
export type CommandAnswerRuleMessage = z.infer<typeof CommandAnswerRuleMessage>;

type Read = { readonly ok: true; readonly answer: CommandAnswer } | { readonly ok: false; readonly bridgeId: string | undefined; readonly reason: string };

/** The rule's message as the broker module hands answers over embedded: route from the topic, sender from the client id. */
export const answerOfRuleMessage = (m: CommandAnswerRuleMessage, payload: Buffer): Read => {
  const bridgeId = bridgeIdOfThingName(m.clientId);
  const route = parseTopic(m.topic);
  if (route?.kind !== 'command-response') {
    return { ok: false, bridgeId, reason: `topic ${m.topic} is not a command answer (cmd/lwm2m/<thingName>/res/<commandId>, command ids are 1-64 of A-Z a-z 0-9 _ -)` };
  }
  const base = { topic: m.topic, thingName: route.thingName, commandId: route.commandId, payload };
  if (bridgeId !== undefined) return { ok: true, answer: { ...base, sender: { kind: 'bridge', thingName: m.clientId, bridgeId, clientId: m.clientId } } };
  if (isDeviceThingName(m.clientId)) return { ok: true, answer: { ...base, sender: { kind: 'device', thingName: m.clientId, clientId: m.clientId } } };
  return { ok: false, bridgeId: undefined, reason: `the sender ${JSON.stringify(m.clientId)} is neither a bridge (bridge:<bridgeId>) nor a device thing name` };
};

/**
 * Command answers on AWS: the command-answer handler (functions/commands) on what the IoT rule
 * selected. Its clock is the broker's receive time, so a retried invocation builds the same facts.
 * An answer whose topic or sender cannot be read is kept as MessageRejected (in the sending
 * bridge's stream when a bridge sent it), never dropped.
 */
export const handleCommandAnswerRule = (deps: Pick<HandleAnswerDeps, 'events'>) =>
  middy<CommandAnswerRuleMessage, AnswerOutcome>()
    .use(parseInput(CommandAnswerRuleMessage, 'command answer rule message'))
    .handler(async (m) => {
      const payload = Buffer.from(m.payloadBase64, 'base64');
      const receivedAt = new Date(m.receivedAt);
      const read = answerOfRuleMessage(m, payload);
      if (read.ok) return handleCommandAnswer({ events: deps.events, clock: { now: () => receivedAt } })(read.answer);
      const messageId = messageIdOf({ thingName: m.clientId, topic: m.topic, payload, deliveryKey: undefined });
      await deps.events.append(refusalAppend({ bridgeId: read.bridgeId, thingName: undefined, topic: m.topic, payload, receivedAt, messageId, stage: 'topic', reason: read.reason }));
      return { kind: 'rejected', reason: read.reason };
    });

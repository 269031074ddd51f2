import type { z } from 'zod';
import { BootstrapDelivery } from '../../schemas/bridge/bootstrapMessages.ts';
import { CommandRequestMessage } from '../../schemas/bridge/commandMessages.ts';
import { parseTopic } from '../../schemas/topics/topics.ts';

/**
 * What arrives on the bridge's subscriptions, read at the trust boundary: the topic against the
 * topic tree, the payload against its contract (schemas/bridge). Nothing here throws; every
 * refusal comes back with the kind the bridge counts and a reason it logs.
 *
 * A bootstrap delivery holds a private key, so its refusals never quote it: no JSON parser message
 * (V8's quotes the text), no zod message (which may echo a value), only paths and issue codes.
 */

/** Commands are a few hundred bytes and deliveries a few kilobytes; anything this big is refused unread. */
export const MAX_INBOUND_BYTES = 256 * 1024;

export type MalformedKind = 'topic' | 'too-large' | 'json' | 'schema' | 'mismatch';

export type Inbound =
  | { readonly kind: 'command'; readonly thingName: string; readonly commandId: string }
  | { readonly kind: 'bootstrap'; readonly thingName: string }
  | { readonly kind: 'malformed'; readonly malformed: MalformedKind; readonly reason: string };

/** Routes a message by its topic: a command for some device, or a delivery for this bridge. */
export const routeInbound = (topic: string, bridgeId: string): Inbound => {
  const route = parseTopic(topic);
  if (route?.kind === 'command-request') return { kind: 'command', thingName: route.thingName, commandId: route.commandId };
  if (route?.kind === 'bootstrap-response') {
    if (route.bridgeId === bridgeId) return { kind: 'bootstrap', thingName: route.thingName };
    return { kind: 'malformed', malformed: 'topic', reason: `a delivery for bridge ${route.bridgeId} reached bridge ${bridgeId}: check the broker's policy` };
  }
  return { kind: 'malformed', malformed: 'topic', reason: `topic ${JSON.stringify(topic.slice(0, 300))} is neither a command request nor this bridge's bootstrap topic` };
};

export type Read<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly malformed: MalformedKind; readonly reason: string };

const parseJson = (payload: Uint8Array, quote: boolean): Read<unknown> => {
  if (payload.length > MAX_INBOUND_BYTES) return { ok: false, malformed: 'too-large', reason: `the payload is ${payload.length} bytes; at most ${MAX_INBOUND_BYTES} are read` };
  try {
    return { ok: true, value: JSON.parse(Buffer.from(payload).toString('utf8')) as unknown };
  } catch (error) {
    return { ok: false, malformed: 'json', reason: quote ? `not JSON: ${(error as Error).message.slice(0, 200)}` : 'not JSON' };
  }
};

const issues = (error: z.ZodError, quote: boolean): string =>
  error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(root)'}: ${quote ? i.message : i.code}`)
    .join('; ');

/** A command request, checked against the contract and the id in its topic. */
export const readCommand = (payload: Uint8Array, topicCommandId: string): Read<CommandRequestMessage> => {
  const json = parseJson(payload, true);
  if (!json.ok) return json;
  const parsed = CommandRequestMessage.safeParse(json.value);
  if (!parsed.success) return { ok: false, malformed: 'schema', reason: `not a CommandRequestMessage: ${issues(parsed.error, true)}` };
  if (parsed.data.commandId !== topicCommandId) {
    return { ok: false, malformed: 'mismatch', reason: `the payload names command ${parsed.data.commandId} but came on the topic of command ${topicCommandId}` };
  }
  return { ok: true, value: parsed.data };
};

/** A credential delivery, checked against the contract and the thing in its topic; refusals never quote it. */
export const readDelivery = (payload: Uint8Array, topicThingName: string): Read<BootstrapDelivery> => {
  const json = parseJson(payload, false);
  if (!json.ok) return json;
  const parsed = BootstrapDelivery.safeParse(json.value);
  if (!parsed.success) return { ok: false, malformed: 'schema', reason: `not a BootstrapDelivery: ${issues(parsed.error, false)}` };
  if (parsed.data.endpoint !== topicThingName) {
    return { ok: false, malformed: 'mismatch', reason: `the delivery is for endpoint ${parsed.data.endpoint} but came on the topic of ${topicThingName}` };
  }
  return { ok: true, value: parsed.data };
};

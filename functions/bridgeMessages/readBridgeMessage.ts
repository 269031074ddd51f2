import type { z } from 'zod';
import { BridgeAuthenticationFailed } from '../../schemas/bridge/authenticationMessages.ts';
import {
  BRIDGE_EVENT_SCHEMAS,
  BridgeStatus,
  type BridgeBootstrapRequest,
  type BridgeBootstrapResult,
  type BridgeDeregister,
  type BridgeRegister,
  type BridgeUpdate,
} from '../../schemas/bridge/bridgeEvents.ts';
import { bridgeIdOfThingName, parseTopic } from '../../schemas/topics/topics.ts';
import { describeIssues } from '../shared/middleware/parseInput.ts';

/** What one bridge message says, once its topic, sender and payload have been checked. */
export type ReadBridgeMessage =
  | { readonly kind: 'register'; readonly bridgeId: string; readonly thingName: string; readonly body: BridgeRegister }
  | { readonly kind: 'update'; readonly bridgeId: string; readonly thingName: string; readonly body: BridgeUpdate }
  | { readonly kind: 'deregister'; readonly bridgeId: string; readonly thingName: string; readonly body: BridgeDeregister }
  | { readonly kind: 'bootstrap-request'; readonly bridgeId: string; readonly thingName: string; readonly body: BridgeBootstrapRequest }
  | { readonly kind: 'bootstrap-result'; readonly bridgeId: string; readonly thingName: string; readonly body: BridgeBootstrapResult }
  /** notify / send: SenML CBOR for the ingestion path, which decodes (and may refuse) it. */
  | { readonly kind: 'data'; readonly bridgeId: string; readonly thingName: string; readonly event: 'notify' | 'send' }
  | { readonly kind: 'status'; readonly bridgeId: string; readonly body: BridgeStatus }
  /** Peers the bridge's LwM2M server refused (rate limited there), about no device the topic could name. */
  | { readonly kind: 'auth-failed'; readonly bridgeId: string; readonly body: BridgeAuthenticationFailed }
  | {
      readonly kind: 'refused';
      /** Where the refusal is kept: the sending bridge's stream, or nowhere attributable. */
      readonly bridgeId: string | undefined;
      readonly thingName: string | undefined;
      readonly stage: 'topic' | 'decode' | 'validate';
      readonly reason: string;
    };

const decodeJson = (payload: Uint8Array): { ok: true; value: unknown } | { ok: false; reason: string } => {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(payload);
  } catch {
    return { ok: false, reason: 'the payload is not UTF-8 text: bridge events other than notify and send are JSON' };
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, reason: `the payload is not JSON (${(error as Error).message.slice(0, 200)})` };
  }
};

const issues = (error: z.ZodError) => describeIssues(error).map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ');

/**
 * Reads a bridge message against the topic tree and the bridge contracts (schemas/bridge): the
 * sender must be a bridge, publishing under its own id (the policy already says so; this is the
 * check at the trust boundary), and the payload must be the document its topic names, about the
 * endpoint its topic names. Anything else is `refused` with the stage and the reason.
 */
export const readBridgeMessage = (m: { readonly topic: string; readonly clientId: string; readonly payload: Uint8Array }): ReadBridgeMessage => {
  const sender = bridgeIdOfThingName(m.clientId);
  const route = parseTopic(m.topic);
  const thingName = route && 'thingName' in route ? route.thingName : undefined;
  const refuse = (stage: 'topic' | 'decode' | 'validate', reason: string): ReadBridgeMessage => ({ kind: 'refused', bridgeId: sender, thingName, stage, reason });
  if (sender === undefined) return refuse('topic', `the sender ${JSON.stringify(m.clientId)} is not a bridge (bridge:<bridgeId>): only bridges publish bridge events`);
  if (route === undefined || (route.kind !== 'bridge-event' && route.kind !== 'bridge-status' && route.kind !== 'bridge-auth-failed')) {
    return refuse(
      'topic',
      `topic ${m.topic} is not a bridge event (dt/lwm2m-bridge/<bridgeId>/<event>/<thingName>), status (dt/lwm2m-bridge/<bridgeId>/status) or refusal report (dt/lwm2m-bridge/<bridgeId>/auth-failed)`,
    );
  }
  if (route.bridgeId !== sender) return refuse('topic', `bridge ${sender} published under bridge ${route.bridgeId}'s topic: a bridge reports only as itself`);

  // notify and send carry SenML CBOR, which the ingestion path decodes; everything else is JSON.
  if (route.kind === 'bridge-event' && (route.event === 'notify' || route.event === 'send')) {
    return { kind: 'data', bridgeId: sender, thingName: route.thingName, event: route.event };
  }
  const json = decodeJson(m.payload);
  if (!json.ok) return refuse('decode', json.reason);

  if (route.kind === 'bridge-status') {
    const status = BridgeStatus.safeParse(json.value);
    if (!status.success) return refuse('validate', `not a bridge status: ${issues(status.error)}`);
    if (status.data.bridgeId !== sender) return refuse('validate', `the status names bridge ${status.data.bridgeId} on bridge ${sender}'s topic`);
    return { kind: 'status', bridgeId: sender, body: status.data };
  }
  if (route.kind === 'bridge-auth-failed') {
    const report = BridgeAuthenticationFailed.safeParse(json.value);
    if (!report.success) return refuse('validate', `not a bridge auth-failed message: ${issues(report.error)}`);
    if (Date.parse(report.data.firstAttemptAt) > Date.parse(report.data.lastAttemptAt)) {
      return refuse('validate', `the auth-failed message's firstAttemptAt ${report.data.firstAttemptAt} is after its lastAttemptAt ${report.data.lastAttemptAt}`);
    }
    return { kind: 'auth-failed', bridgeId: sender, body: report.data };
  }
  // notify and send returned above.
  const event = route.event as keyof typeof BRIDGE_EVENT_SCHEMAS;
  const parsed = BRIDGE_EVENT_SCHEMAS[event].safeParse(json.value);
  if (!parsed.success) return refuse('validate', `not a bridge ${event} message: ${issues(parsed.error)}`);
  if (parsed.data.endpoint !== route.thingName) {
    return refuse('validate', `the ${event} message is about endpoint ${parsed.data.endpoint} but its topic names ${route.thingName}: the endpoint name is the thing name`);
  }
  // The schema was chosen by `event`, so the body is that event's document.
  return { kind: event, bridgeId: sender, thingName: route.thingName, body: parsed.data } as ReadBridgeMessage;
};

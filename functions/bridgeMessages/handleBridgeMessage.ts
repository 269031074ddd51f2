import middy from '@middy/core';
import type { EventData, EventType } from '../../events/catalog/index.ts';
import type { NewEvent } from '../../events/envelope.ts';
import { rejectionAppend } from '../bootstrap/bootstrapEvents.ts';
import { BootstrapInput } from '../bootstrap/bootstrapInput.ts';
import { deviceStreamId } from '../bootstrap/bootstrapStreams.ts';
import { bootstrapExecution, bootstrapRequestTrigger, credentialsNeed, registrationTrigger } from '../bootstrap/bootstrapTrigger.ts';
import { concludeLateResult } from '../bootstrap/lateResult.ts';
import { bridgeActor, derivedEvent } from '../shared/derivedEvent.ts';
import { messageIdOf } from '../ingestion/decodeDeviceMessage.ts';
import { parseInput } from '../shared/middleware/parseInput.ts';
import { authenticationFailed } from './bridgeAuthenticationFailed.ts';
import { refusalAppend } from './bridgeRefusal.ts';
import { sessionsLost } from './bridgeStatus.ts';
import type { BridgeMessageDeps } from './bridgePorts.ts';
import { BridgeRuleMessage } from './bridgeRuleMessage.ts';
import { readBridgeMessage, type ReadBridgeMessage } from './readBridgeMessage.ts';

export interface BridgeMessageResult {
  /** recorded: facts appended; ingested: handed to the ingestion path; rejected: kept as a refusal. */
  readonly outcome: 'recorded' | 'ingested' | 'rejected';
  /** Types of the events this message produced (stored now, or already by an earlier delivery). */
  readonly events: readonly string[];
  /** The bootstrap execution this message started (or found already started). */
  readonly bootstrap?: string;
}

/** One message being handled: what every step needs to build its events. */
export interface Handling {
  readonly deps: BridgeMessageDeps;
  readonly topic: string;
  readonly payload: Buffer;
  readonly receivedAt: Date;
  readonly deliveryKey: string | undefined;
  /** Stable per message (a redelivery gets the same id): event ids derive from it. */
  readonly messageId: string;
}

type DeviceRead = Exclude<ReadBridgeMessage, { kind: 'refused' } | { kind: 'status' } | { kind: 'auth-failed' }>;

const refuse = async (h: Handling, r: { bridgeId: string | undefined; thingName: string | undefined; stage: 'topic' | 'decode' | 'validate' | 'unknown-device'; reason: string }): Promise<BridgeMessageResult> => {
  await h.deps.events.append(refusalAppend({ ...r, topic: h.topic, payload: h.payload, receivedAt: h.receivedAt, messageId: h.messageId }));
  return { outcome: 'rejected', events: ['MessageRejected'] };
};

const recordForDevice = async (h: Handling, thingName: string, event: NewEvent): Promise<BridgeMessageResult> => {
  await h.deps.events.append({ streamId: deviceStreamId(thingName), expectedVersion: 'any', events: [event] });
  return { outcome: 'recorded', events: [event.type] };
};

const startBootstrap = async (h: Handling, input: BootstrapInput): Promise<string> => {
  const execution = bootstrapExecution(BootstrapInput.parse(input));
  await h.deps.startBootstrap(execution);
  return execution.name;
};

/** Register and Bootstrap-Request: the moments a device may get credentials, or be refused them. */
const triggerOf = (read: Extract<DeviceRead, { kind: 'register' | 'bootstrap-request' }>): string =>
  read.kind === 'register' ? registrationTrigger(read.body.location, read.body.registeredAt) : bootstrapRequestTrigger(read.body.at);

const deviceMessage = async (h: Handling, read: DeviceRead): Promise<BridgeMessageResult> => {
  const { bridgeId, thingName } = read;
  const triggers = read.kind === 'register' || read.kind === 'bootstrap-request';
  const status = await h.deps.deviceStatus(thingName, triggers ? 'exact' : 'recent');
  const inFleet = status !== undefined && status !== 'deprovisioned';
  if (!inFleet && triggers) {
    // A stranger (or a device that left) is refused at once: the refusal is the fact, and nothing else is recorded for it.
    const reason = status === undefined ? 'unknown-device' : 'deprovisioned';
    await h.deps.events.append(rejectionAppend({ endpoint: thingName, known: status !== undefined, bridgeId, reason, trigger: triggerOf(read) }));
    return { outcome: 'rejected', events: ['BootstrapRejected'] };
  }
  if (!inFleet) {
    const reason =
      status === undefined
        ? `bridge ${bridgeId} reported ${read.kind} for ${thingName}, which is no device of this fleet: provision it, or stop the device`
        : `bridge ${bridgeId} reported ${read.kind} for ${thingName}, which was deprovisioned: stop the device`;
    return refuse(h, { bridgeId, thingName, stage: 'unknown-device', reason });
  }
  const actor = bridgeActor(bridgeId);
  // Each message is one fact: its id comes from the message, so a redelivery appends nothing.
  const fact = <T extends EventType>(type: T, data: EventData<T>) => derivedEvent(type, data, [h.messageId], actor, h.messageId);
  switch (read.kind) {
    case 'register': {
      const b = read.body;
      const recorded = await recordForDevice(
        h,
        thingName,
        fact('DeviceRegistered', {
          thingName,
          endpoint: b.endpoint,
          bridgeId,
          lwm2mVersion: b.lwm2mVersion,
          lifetimeSeconds: b.lifetimeSeconds,
          ...(b.bindingMode === undefined ? {} : { bindingMode: b.bindingMode }),
          queueMode: b.queueMode,
          objectLinks: b.objectLinks,
          registeredAt: b.registeredAt,
        }),
      );
      if (credentialsNeed(b.objectLinks) !== 'needs-credentials') return recorded;
      return { ...recorded, bootstrap: await startBootstrap(h, { thingName, bridgeId, transport: b.transport, trigger: triggerOf(read) }) };
    }
    case 'bootstrap-request': {
      // Only a DTLS session proves the endpoint name; the workflow treats anything else as plain CoAP.
      const transport = read.body.authenticated ? 'coaps' : 'coap';
      return { outcome: 'recorded', events: [], bootstrap: await startBootstrap(h, { thingName, bridgeId, transport, trigger: triggerOf(read) }) };
    }
    case 'update': {
      const b = read.body;
      return recordForDevice(
        h,
        thingName,
        fact('DeviceRegistrationUpdated', {
          thingName,
          endpoint: b.endpoint,
          bridgeId,
          ...(b.lifetimeSeconds === undefined ? {} : { lifetimeSeconds: b.lifetimeSeconds }),
          ...(b.bindingMode === undefined ? {} : { bindingMode: b.bindingMode }),
          ...(b.objectLinks === undefined ? {} : { objectLinks: b.objectLinks }),
          updatedAt: b.updatedAt,
        }),
      );
    }
    case 'deregister':
      return recordForDevice(h, thingName, fact('DeviceDeregistered', { thingName, endpoint: read.body.endpoint, bridgeId, reason: read.body.reason }));
    case 'bootstrap-result': {
      const b = read.body;
      const result = fact('BootstrapResultReported', {
        thingName,
        endpoint: b.endpoint,
        bridgeId,
        requestId: b.requestId,
        ok: b.ok,
        lwm2mCode: b.lwm2mCode,
        ...(b.message === undefined ? {} : { message: b.message }),
        reportedAt: b.at,
      });
      const recorded = await recordForDevice(h, thingName, result);
      // The workflow normally draws the conclusion; an ok it stopped waiting for is concluded here (lateResult.ts).
      if (!b.ok) return recorded;
      const late = await concludeLateResult(h.deps.events, thingName, { requestId: b.requestId, bridgeId }, result.eventId);
      return late ? { ...recorded, events: [...recorded.events, late.type] } : recorded;
    }
    case 'data':
      // The same decode as a device's own state message; the topic in the fact names the bridge it came through.
      await h.deps.ingestState({ thingName, channel: 'state', topic: h.topic, payload: h.payload, receivedAt: h.receivedAt, deliveryKey: h.deliveryKey });
      return { outcome: 'ingested', events: [] };
  }
};

/**
 * What, beside the sender, topic and bytes, tells this message from another. The JSON documents
 * carry their own times (registeredAt, updatedAt, at), so equal bytes are the same fact, however
 * often they are delivered. A status need not carry a time: its receive time tells two offlines
 * apart. SenML packs and refused bytes may repeat byte for byte, so they keep the transport's
 * delivery key, as a device's own message does in ingestion: each one sent is kept.
 */
const identityKey = (read: ReadBridgeMessage, m: BridgeRuleMessage): string | undefined => {
  if (read.kind === 'status') return `received ${m.receivedAt}`;
  if (read.kind === 'data' || read.kind === 'refused') return m.deliveryKey;
  return undefined;
};

/** Handles one checked message: the body of the Lambda, and of the embedded broker's handler. */
export const routeBridgeMessage = async (deps: BridgeMessageDeps, m: BridgeRuleMessage): Promise<BridgeMessageResult> => {
  const payload = Buffer.from(m.payloadBase64, 'base64');
  const read = readBridgeMessage({ topic: m.topic, clientId: m.clientId, payload });
  const h: Handling = {
    deps,
    topic: m.topic,
    payload,
    receivedAt: new Date(m.receivedAt),
    deliveryKey: m.deliveryKey,
    messageId: messageIdOf({ thingName: m.clientId, topic: m.topic, payload, deliveryKey: identityKey(read, m) }),
  };
  switch (read.kind) {
    case 'refused':
      return refuse(h, read);
    case 'status':
      return sessionsLost(h, read);
    case 'auth-failed':
      return authenticationFailed(h, read);
    default:
      return deviceMessage(h, read);
  }
};

/**
 * What the backend does with a bridge's messages: the handler behind the IoT rule on
 * `dt/lwm2m-bridge/#` (AWS) and the embedded broker's onPublish for bridge identities. Registrations,
 * updates and de-registrations become device facts attributed to the bridge; notify and send go
 * through ingestion as device state; a bootstrap result is recorded for the workflow (and an ok the
 * workflow gave up waiting for concludes the bootstrap: DeviceBootstrapped, late); an offline
 * status ends every session the bridge held; a report of refused DTLS peers becomes
 * DeviceAuthenticationFailed; a registration without MQTT credentials starts the bootstrap
 * workflow. A message that fails its contract is kept as MessageRejected.
 */
export const handleBridgeMessage = (deps: BridgeMessageDeps) =>
  middy<BridgeRuleMessage, BridgeMessageResult>()
    .use(parseInput(BridgeRuleMessage, 'bridge rule message'))
    .handler((message) => routeBridgeMessage(deps, message));

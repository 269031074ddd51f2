/**
 * The MQTT topic tree, after AWS's "Designing MQTT topics for AWS IoT Core": a `dt/` (data) or
 * `cmd/` (command) prefix, then the application, then the thing, then what the message is. Fixed
 * levels are lowercase; the thing-name level carries the thing name verbatim because IoT policy
 * variables substitute it verbatim. README.md documents every topic (publisher, subscriber,
 * content type, QoS); TOPIC_CATALOG below is the same table in code.
 */

/** AWS IoT Core refuses a topic longer than 256 bytes of UTF-8. */
export const MAX_TOPIC_BYTES = 256;
/** AWS IoT Core allows at most seven slashes, so eight levels. */
export const MAX_TOPIC_LEVELS = 8;

/** AWS thing names: 1-128 of these. None of `/`, `+`, `#` can appear, so a name is always one level. */
export const THING_NAME_PATTERN = /^[a-zA-Z0-9:_-]{1,128}$/;
/** Bridge ids are a topic level of their own, so they follow the lowercase topic-level rule. */
export const BRIDGE_ID_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,62})$/;
/** Command ids name one request and its responses; UUIDs and ULIDs fit. */
export const COMMAND_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * A bridge is a thing too (it holds a certificate and connects with its thing name as client id),
 * named `bridge:<bridgeId>`. The prefix is reserved: no device may be provisioned under it, which is
 * what lets the broker tell a bridge's certificate from a device's by its common name alone.
 */
export const BRIDGE_THING_PREFIX = 'bridge:';

export const DT = 'dt';
export const CMD = 'cmd';
export const DEVICE_APP = 'lwm2m';
export const BRIDGE_APP = 'lwm2m-bridge';

/** What a device publishes about itself: `dt/lwm2m/<thing>/<type>`. */
export const DEVICE_DATA_TYPES = ['state', 'alarms'] as const;
export type DeviceDataType = (typeof DEVICE_DATA_TYPES)[number];

/**
 * What a bridge reports about a device it serves: `dt/lwm2m-bridge/<bridgeId>/<event>/<thing>`.
 * The names are the LwM2M operations (Register, Update, De-register, Notify, Send, Bootstrap-Request),
 * plus `bootstrap-result`: how delivering credentials to the device went.
 */
export const BRIDGE_EVENTS = ['register', 'update', 'deregister', 'notify', 'send', 'bootstrap-request', 'bootstrap-result'] as const;
export type BridgeEvent = (typeof BRIDGE_EVENTS)[number];

/**
 * What a bridge reports about peers that failed to prove they are devices:
 * `dt/lwm2m-bridge/<bridgeId>/auth-failed`. A level of the bridge, not of a thing: the claimed
 * identity need not be any thing's name (or a valid topic level at all), so it travels in the payload.
 */
export const BRIDGE_AUTH_FAILED = 'auth-failed';

export class TopicError extends Error {
  override name = 'TopicError';
}

export const isThingName = (value: string): boolean => THING_NAME_PATTERN.test(value);

/** A thing name a device may have: valid, and not in the bridges' reserved namespace. */
export const isDeviceThingName = (value: string): boolean => isThingName(value) && !value.startsWith(BRIDGE_THING_PREFIX);

export const isBridgeId = (value: string): boolean => BRIDGE_ID_PATTERN.test(value);

export const isCommandId = (value: string): boolean => COMMAND_ID_PATTERN.test(value);

export const assertDeviceThingName = (value: string): string => {
  if (!isThingName(value)) {
    throw new TopicError(
      `thing name ${JSON.stringify(value)} is not valid: use 1-128 characters of letters, digits, ":", "_" and "-"`,
    );
  }
  if (value.startsWith(BRIDGE_THING_PREFIX)) {
    throw new TopicError(
      `thing name ${JSON.stringify(value)} starts with "${BRIDGE_THING_PREFIX}", which is reserved for bridges: choose another name for the device`,
    );
  }
  return value;
};

export const assertBridgeId = (value: string): string => {
  if (!isBridgeId(value)) {
    throw new TopicError(
      `bridge id ${JSON.stringify(value)} is not valid: use 1-63 lowercase letters, digits and "-", starting with a letter or digit`,
    );
  }
  return value;
};

export const assertCommandId = (value: string): string => {
  if (!isCommandId(value)) {
    throw new TopicError(`command id ${JSON.stringify(value)} is not valid: use 1-64 characters of letters, digits, "_" and "-"`);
  }
  return value;
};

/** The thing name (= client id = certificate CN) of a bridge. */
export const bridgeThingName = (bridgeId: string): string => BRIDGE_THING_PREFIX + assertBridgeId(bridgeId);

/** The bridge id in a bridge's thing name, or undefined when the name is not a bridge's. */
export const bridgeIdOfThingName = (thingName: string): string | undefined => {
  if (!thingName.startsWith(BRIDGE_THING_PREFIX)) return undefined;
  const id = thingName.slice(BRIDGE_THING_PREFIX.length);
  return isBridgeId(id) ? id : undefined;
};

const assertBridgeEvent = (event: string): BridgeEvent => {
  if (!(BRIDGE_EVENTS as readonly string[]).includes(event)) {
    throw new TopicError(`bridge event ${JSON.stringify(event)} is not one of ${BRIDGE_EVENTS.join(', ')}`);
  }
  return event as BridgeEvent;
};

const assertDataType = (type: string): DeviceDataType => {
  if (!(DEVICE_DATA_TYPES as readonly string[]).includes(type)) {
    throw new TopicError(`device data type ${JSON.stringify(type)} is not one of ${DEVICE_DATA_TYPES.join(', ')}`);
  }
  return type as DeviceDataType;
};

/** Builders: every argument is checked, so a built topic always parses back to what built it. */
export const topics = {
  deviceData: (thingName: string, type: DeviceDataType) => `${DT}/${DEVICE_APP}/${assertDeviceThingName(thingName)}/${assertDataType(type)}`,
  deviceState: (thingName: string) => topics.deviceData(thingName, 'state'),
  deviceAlarms: (thingName: string) => topics.deviceData(thingName, 'alarms'),
  commandRequest: (thingName: string, commandId: string) =>
    `${CMD}/${DEVICE_APP}/${assertDeviceThingName(thingName)}/req/${assertCommandId(commandId)}`,
  commandResponse: (thingName: string, commandId: string) =>
    `${CMD}/${DEVICE_APP}/${assertDeviceThingName(thingName)}/res/${assertCommandId(commandId)}`,
  bridgeEvent: (bridgeId: string, event: BridgeEvent, thingName: string) =>
    `${DT}/${BRIDGE_APP}/${assertBridgeId(bridgeId)}/${assertBridgeEvent(event)}/${assertDeviceThingName(thingName)}`,
  bridgeStatus: (bridgeId: string) => `${DT}/${BRIDGE_APP}/${assertBridgeId(bridgeId)}/status`,
  bridgeAuthFailed: (bridgeId: string) => `${DT}/${BRIDGE_APP}/${assertBridgeId(bridgeId)}/${BRIDGE_AUTH_FAILED}`,
  bootstrapResponse: (bridgeId: string, thingName: string) =>
    `${CMD}/${BRIDGE_APP}/${assertBridgeId(bridgeId)}/bootstrap/${assertDeviceThingName(thingName)}`,
} as const;

/** Subscription filters the backend and the bridge use. No one ever gets `#`. */
export const topicFilters = {
  allDeviceData: `${DT}/${DEVICE_APP}/+/+`,
  allDeviceState: `${DT}/${DEVICE_APP}/+/state`,
  allDeviceAlarms: `${DT}/${DEVICE_APP}/+/alarms`,
  commandRequestsFor: (thingName: string) => `${CMD}/${DEVICE_APP}/${assertDeviceThingName(thingName)}/req/+`,
  allCommandRequests: `${CMD}/${DEVICE_APP}/+/req/+`,
  allCommandResponses: `${CMD}/${DEVICE_APP}/+/res/+`,
  allBridgeEvents: `${DT}/${BRIDGE_APP}/+/+/+`,
  allBridgeStatus: `${DT}/${BRIDGE_APP}/+/status`,
  allBridgeAuthFailures: `${DT}/${BRIDGE_APP}/+/${BRIDGE_AUTH_FAILED}`,
  bootstrapResponsesFor: (bridgeId: string) => `${CMD}/${BRIDGE_APP}/${assertBridgeId(bridgeId)}/bootstrap/+`,
} as const;

export type ParsedTopic =
  | { kind: 'device-data'; type: DeviceDataType; thingName: string }
  | { kind: 'command-request'; thingName: string; commandId: string }
  | { kind: 'command-response'; thingName: string; commandId: string }
  | { kind: 'bridge-event'; bridgeId: string; event: BridgeEvent; thingName: string }
  | { kind: 'bridge-status'; bridgeId: string }
  | { kind: 'bridge-auth-failed'; bridgeId: string }
  | { kind: 'bootstrap-response'; bridgeId: string; thingName: string };

export type TopicKind = ParsedTopic['kind'];

const utf8Length = (s: string): number => Buffer.byteLength(s, 'utf8');

/**
 * Reads a topic name (not a filter) into what it addresses, or undefined for anything outside the
 * tree above: wrong prefix, unknown level, invalid name or id, wildcards, too long, too deep.
 */
export const parseTopic = (topic: string): ParsedTopic | undefined => {
  // Cheap bound before any split: a UTF-8 character is at least one byte.
  if (topic.length === 0 || topic.length > MAX_TOPIC_BYTES || utf8Length(topic) > MAX_TOPIC_BYTES) return undefined;
  const levels = topic.split('/');
  if (levels.length > MAX_TOPIC_LEVELS) return undefined;
  const [prefix, app, a, b, c, d] = levels;
  if (prefix === DT && app === DEVICE_APP && levels.length === 4 && a !== undefined && b !== undefined) {
    if (!isDeviceThingName(a) || !(DEVICE_DATA_TYPES as readonly string[]).includes(b)) return undefined;
    return { kind: 'device-data', type: b as DeviceDataType, thingName: a };
  }
  if (prefix === CMD && app === DEVICE_APP && levels.length === 5 && a !== undefined && c !== undefined) {
    if (!isDeviceThingName(a) || !isCommandId(c)) return undefined;
    if (b === 'req') return { kind: 'command-request', thingName: a, commandId: c };
    if (b === 'res') return { kind: 'command-response', thingName: a, commandId: c };
    return undefined;
  }
  if (prefix === DT && app === BRIDGE_APP && a !== undefined && isBridgeId(a)) {
    if (levels.length === 4 && b === 'status') return { kind: 'bridge-status', bridgeId: a };
    if (levels.length === 4 && b === BRIDGE_AUTH_FAILED) return { kind: 'bridge-auth-failed', bridgeId: a };
    if (levels.length === 5 && b !== undefined && c !== undefined) {
      if (!(BRIDGE_EVENTS as readonly string[]).includes(b) || !isDeviceThingName(c)) return undefined;
      return { kind: 'bridge-event', bridgeId: a, event: b as BridgeEvent, thingName: c };
    }
    return undefined;
  }
  if (prefix === CMD && app === BRIDGE_APP && levels.length === 5 && a !== undefined && b === 'bootstrap' && c !== undefined && d === undefined) {
    if (!isBridgeId(a) || !isDeviceThingName(c)) return undefined;
    return { kind: 'bootstrap-response', bridgeId: a, thingName: c };
  }
  return undefined;
};

export type Publisher = 'device' | 'bridge' | 'backend';

export interface TopicSpec {
  readonly kind: TopicKind;
  /** The topic with `<placeholders>`, as README.md shows it. */
  readonly pattern: string;
  readonly publishers: readonly Publisher[];
  readonly subscribers: readonly Publisher[];
  /** MQTT 3.1.1 has no content-type property: the topic fixes the payload's type. */
  readonly contentType: string;
  readonly qos: 0 | 1;
  readonly retained: boolean;
  readonly purpose: string;
}

/** The topic table of README.md, in code, so tests hold the two together. */
export const TOPIC_CATALOG: readonly TopicSpec[] = [
  {
    kind: 'device-data',
    pattern: 'dt/lwm2m/<thingName>/state',
    publishers: ['device'],
    subscribers: ['backend'],
    contentType: 'application/senml+cbor',
    qos: 1,
    retained: false,
    purpose: 'device state as SenML records named by LwM2M path',
  },
  {
    kind: 'device-data',
    pattern: 'dt/lwm2m/<thingName>/alarms',
    publishers: ['device'],
    subscribers: ['backend'],
    contentType: 'application/senml+cbor',
    qos: 1,
    retained: false,
    purpose: 'alarms raised and cleared, as an alarm pack (schemas/alarms)',
  },
  {
    kind: 'command-request',
    pattern: 'cmd/lwm2m/<thingName>/req/<commandId>',
    publishers: ['backend'],
    subscribers: ['bridge', 'device'],
    contentType: 'application/json',
    qos: 1,
    retained: false,
    purpose: 'an LwM2M operation (read, write, execute, observe ...) for one device',
  },
  {
    kind: 'command-response',
    pattern: 'cmd/lwm2m/<thingName>/res/<commandId>',
    publishers: ['bridge', 'device'],
    subscribers: ['backend'],
    contentType: 'application/json',
    qos: 1,
    retained: false,
    purpose: 'what became of a command: dispatched, succeeded with a result, failed',
  },
  {
    kind: 'bridge-event',
    pattern: 'dt/lwm2m-bridge/<bridgeId>/<event>/<thingName>',
    publishers: ['bridge'],
    subscribers: ['backend'],
    contentType: 'application/json (notify: application/senml+cbor)',
    qos: 1,
    retained: false,
    purpose: 'register, update, deregister, notify, bootstrap-request seen by a bridge for one device',
  },
  {
    kind: 'bridge-status',
    pattern: 'dt/lwm2m-bridge/<bridgeId>/status',
    publishers: ['bridge'],
    subscribers: ['backend'],
    contentType: 'application/json',
    qos: 1,
    retained: true,
    purpose: 'bridge online (published on connect) or offline (its last will), so commands to its devices stop',
  },
  {
    kind: 'bridge-auth-failed',
    pattern: 'dt/lwm2m-bridge/<bridgeId>/auth-failed',
    publishers: ['bridge'],
    subscribers: ['backend'],
    contentType: 'application/json',
    qos: 1,
    retained: false,
    purpose: 'peers its LwM2M server refused (wrong PSK, unknown identity, endpoint mismatch), rate limited per identity',
  },
  {
    kind: 'bootstrap-response',
    pattern: 'cmd/lwm2m-bridge/<bridgeId>/bootstrap/<thingName>',
    publishers: ['backend'],
    subscribers: ['bridge'],
    contentType: 'application/json',
    qos: 1,
    retained: false,
    purpose: 'the LwM2M bootstrap writes for one device (object 18830: broker URI, client id, certificate, key, trust anchor)',
  },
];

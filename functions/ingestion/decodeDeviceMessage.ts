import { createHash } from 'node:crypto';
import { currentDefinition, type ReportedValue } from '../../events/catalog/index.ts';
import { AlarmPackError, readAlarmPack } from '../../schemas/alarms/alarmPack.ts';
import { INGEST_SOURCE, type IngestDetail, type IngestDetailType } from '../../schemas/bus/ingest.ts';
import { decodeSenmlCbor, isSenmlError, parseLwm2mName, resolve, toBase64Url, toLwm2mPath, type ResolvedRecord } from '../../schemas/senml/index.ts';
import type { BusEntry } from '../bus/bus.ts';
import { describeIssues } from '../shared/middleware/parseInput.ts';

/** One MQTT message from a device, as the broker (embedded) or the IoT rule (AWS) hands it over. */
export interface DeviceMessage {
  /** The sender: the certificate's thing name (embedded), or `topic(3)` under the IoT policy (AWS). */
  readonly thingName: string;
  readonly channel: 'state' | 'alarms';
  readonly topic: string;
  readonly payload: Uint8Array;
  readonly receivedAt: Date;
  /**
   * Equal for a redelivery of the same MQTT message and different otherwise, where the transport
   * has such a thing (client id + packet id for QoS 1). Omitted: the payload alone identifies it.
   */
  readonly deliveryKey?: string | undefined;
}

/** Bytes of a rejected message kept in its event; AWS IoT's own message limit is 128 KiB. */
export const MAX_KEPT_PAYLOAD_BYTES = 128 * 1024;

const toIso = (seconds: number) => new Date(seconds * 1000).toISOString();

/** Stable per message: a redelivery gets the same id, so the store sees a duplicate. */
export const messageIdOf = (m: Pick<DeviceMessage, 'thingName' | 'topic' | 'payload' | 'deliveryKey'>): string =>
  createHash('sha256')
    .update(`${m.thingName}\n${m.topic}\n${m.deliveryKey ?? ''}\n`)
    .update(m.payload)
    .digest('base64url')
    .slice(0, 32);

const entry = (type: IngestDetailType, detail: IngestDetail, at: Date): BusEntry => ({
  Source: INGEST_SOURCE,
  DetailType: type,
  Detail: detail,
  Time: at,
});

const reportedValue = (r: ResolvedRecord): ReportedValue => {
  const parts = parseLwm2mName(r.name);
  const value: ReportedValue['value'] =
    r.value.kind === 'data'
      ? { kind: 'data', v: toBase64Url(r.value.v) }
      : r.value.kind === 'objlnk'
        ? { kind: 'objlnk', v: `${r.value.v.objectId}:${r.value.v.instanceId}` }
        : r.value;
  return { name: r.name, ...(parts ? { path: toLwm2mPath(parts) } : {}), time: toIso(r.time), value, ...(r.unit === undefined ? {} : { unit: r.unit }) };
};

class Rejected extends Error {
  constructor(
    readonly stage: 'decode' | 'validate',
    message: string,
  ) {
    super(message);
  }
}

declare const validatedByCatalog: unique symbol;
/**
 * Fact data that came out of its catalog schema's parse in this process. Only `checked` makes one,
 * so code holding this type may append it without parsing it again (the embedded fast path).
 */
export type CheckedData = IngestDetail['data'] & { readonly [validatedByCatalog]: true };

/** Validates facts against the catalog here, so nothing invalid reaches the bus. */
const checked = (type: IngestDetailType, data: unknown): CheckedData => {
  const parsed = currentDefinition.get(type)!.schema.safeParse(data);
  if (!parsed.success) {
    throw new Rejected('validate', describeIssues(parsed.error).map((i) => `${i.path}: ${i.message}`).join('; '));
  }
  return parsed.data as CheckedData;
};

const facts = (m: DeviceMessage, messageId: string): { type: CheckedFact['type']; data: CheckedData }[] => {
  let records: ResolvedRecord[];
  try {
    records = resolve(decodeSenmlCbor(m.payload, { profile: 'lwm2m' }), m.receivedAt.getTime() / 1000, { profile: 'lwm2m' });
  } catch (err) {
    if (isSenmlError(err)) throw new Rejected('decode', `not a valid CBOR SenML pack (${err.code}): ${err.message}`);
    throw err;
  }
  if (m.channel === 'state') {
    if (records.length === 0) throw new Rejected('validate', 'the pack holds no records: send at least one value');
    return [{ type: 'DeviceStateReported', data: checked('DeviceStateReported', { thingName: m.thingName, messageId, topic: m.topic, values: records.map(reportedValue) }) }];
  }
  try {
    return readAlarmPack(records).map((f) =>
      f.kind === 'raised'
        ? {
            type: 'AlarmRaised' as const,
            data: checked('AlarmRaised', {
              thingName: m.thingName,
              alarmId: f.alarmId,
              code: f.code,
              severity: f.severity,
              raisedAt: f.at.toISOString(),
              ...(f.message === undefined ? {} : { message: f.message }),
              ...(f.path === undefined ? {} : { path: f.path }),
            }),
          }
        : { type: 'AlarmCleared' as const, data: checked('AlarmCleared', { thingName: m.thingName, alarmId: f.alarmId, clearedAt: f.at.toISOString() }) },
    );
  } catch (err) {
    if (err instanceof AlarmPackError) throw new Rejected('validate', `not a valid alarm pack: ${err.message}`);
    throw err;
  }
};

/**
 * The decode step: CBOR SenML from a device becomes bus entries, one per fact, each with an event
 * id derived from the message, so the whole path is idempotent. A message that cannot be decoded
 * or validated becomes one MessageRejected entry that keeps its bytes: nothing is dropped.
 */
export const decodeDeviceMessage = (m: DeviceMessage): BusEntry[] => {
  const decoded = decodeDeviceFacts(m);
  return decoded.kind === 'facts' ? decoded.facts.map((f) => entry(f.type, f.detail, m.receivedAt)) : [decoded.rejection];
};

/** A fact of a decoded message: its bus detail, whose data passed the catalog schema in `checked`. */
export interface CheckedFact {
  readonly type: Exclude<IngestDetailType, 'MessageRejected'>;
  readonly detail: IngestDetail & { readonly data: CheckedData; readonly thingName: string };
}

export type DecodedDeviceMessage =
  | { readonly kind: 'facts'; readonly messageId: string; readonly facts: readonly CheckedFact[] }
  | { readonly kind: 'rejected'; readonly messageId: string; readonly rejection: BusEntry };

/**
 * The decode step with its result typed: the facts (validated here) or the rejection entry. The
 * embedded pipeline uses the facts' types to append them without a second parse; the bus entries
 * that `decodeDeviceMessage` builds from them are what any other subscriber (and AWS) sees.
 */
export const decodeDeviceFacts = (m: DeviceMessage): DecodedDeviceMessage => {
  const messageId = messageIdOf(m);
  try {
    const list = facts(m, messageId).map(
      (f, i): CheckedFact => ({
        type: f.type,
        detail: { eventId: `${messageId}:${i}`, thingName: m.thingName, messageId, data: f.data },
      }),
    );
    return { kind: 'facts', messageId, facts: list };
  } catch (err) {
    if (!(err instanceof Rejected)) throw err;
    return { kind: 'rejected', messageId, rejection: rejection(m, messageId, err.stage, err.message) };
  }
};

/** The bus entry of a checked fact. */
export const factEntry = (fact: CheckedFact, at: Date): BusEntry => entry(fact.type, fact.detail, at);

/** A rejection entry for a message refused before or during decoding. */
export const rejection = (
  m: Omit<DeviceMessage, 'channel' | 'thingName'> & { thingName?: string | undefined },
  messageId: string,
  stage: 'topic' | 'decode' | 'validate' | 'unknown-device',
  reason: string,
): BusEntry => {
  const kept = m.payload.subarray(0, MAX_KEPT_PAYLOAD_BYTES);
  const data = {
    ...(m.thingName === undefined ? {} : { thingName: m.thingName }),
    topic: m.topic.slice(0, 256),
    messageId,
    stage,
    reason: reason.slice(0, 2000),
    payloadBase64: Buffer.from(kept.buffer, kept.byteOffset, kept.byteLength).toString('base64'),
    payloadBytes: m.payload.byteLength,
    truncated: kept.byteLength < m.payload.byteLength,
    receivedAt: m.receivedAt.toISOString(),
  };
  return entry('MessageRejected', { eventId: `${messageId}:rejected`, ...(m.thingName === undefined ? {} : { thingName: m.thingName }), messageId, data }, m.receivedAt);
};

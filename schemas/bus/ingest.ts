import { z } from 'zod';
import { AlarmCleared, AlarmRaised, DeviceStateReported, MessageRejected, ThingName } from '../../events/catalog/index.ts';

/**
 * Bus events from the decode step to the append handler: "append this device fact". The
 * detail-type is the domain event's name (STYLE.md 7). The event id is fixed by the decode step,
 * so a redelivered message is recognised by the store as a duplicate.
 */
export const INGEST_SOURCE = 'lwm2m.ingest';

export const INGEST_DETAIL_TYPES = ['DeviceStateReported', 'AlarmRaised', 'AlarmCleared', 'MessageRejected'] as const;
export type IngestDetailType = (typeof INGEST_DETAIL_TYPES)[number];

const dataSchemas = {
  DeviceStateReported: DeviceStateReported.schema,
  AlarmRaised: AlarmRaised.schema,
  AlarmCleared: AlarmCleared.schema,
  MessageRejected: MessageRejected.schema,
} as const satisfies Record<IngestDetailType, z.ZodType>;

export const ingestDetail = <T extends IngestDetailType>(type: T) =>
  z.object({
    eventId: z.string().min(1).max(200),
    /** The device the fact belongs to; a rejection from an unidentified sender has none. */
    thingName: ThingName.optional(),
    /** The MQTT message this fact came from (several facts may share one). */
    messageId: z.string().min(1),
    data: dataSchemas[type],
  });

export type IngestDetail = z.infer<ReturnType<typeof ingestDetail>>;

/** The whole envelope as a rule target receives it, for any of the ingest detail types. */
export const IngestEnvelope = z.discriminatedUnion(
  'detail-type',
  INGEST_DETAIL_TYPES.map((t) =>
    z.object({
      version: z.literal('0'),
      id: z.string().min(1),
      source: z.literal(INGEST_SOURCE),
      'detail-type': z.literal(t),
      time: z.string(),
      account: z.string(),
      region: z.string(),
      resources: z.array(z.string()),
      detail: ingestDetail(t),
    }),
  ) as unknown as [z.ZodObject<{ 'detail-type': z.ZodLiteral<IngestDetailType>; detail: ReturnType<typeof ingestDetail> }>],
);
export type IngestEnvelope = z.infer<typeof IngestEnvelope>;

/** The EventBridge pattern of the rule that feeds the append handler. */
export const ingestRulePattern = { source: [INGEST_SOURCE], 'detail-type': [...INGEST_DETAIL_TYPES] };

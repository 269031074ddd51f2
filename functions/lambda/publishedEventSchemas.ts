import { z } from 'zod';
import { currentEvents, type EventDefinition } from '../../events/catalog/index.ts';
import { Actor } from '../../events/envelope.ts';
import { envelopeSchema } from '../bus/envelope.ts';
import { DOMAIN_EVENT_SOURCE, EVENT_TOO_LARGE_DETAIL_TYPE } from './storedEventPublisher.ts';

/**
 * The contracts of what the outbox publishes (storedEventPublisher.ts), from the catalog's zod
 * schemas: one envelope per event type, whose detail-type is the event's name (STYLE.md 7). The
 * CDK app registers their JSON Schemas in the EventBridge schema registry, so downstream teams
 * generate code bindings from the same definitions the store validates appends with.
 */
const storedEventFields = {
  eventId: z.string().min(1),
  streamId: z.string().min(1),
  streamPosition: z.number().int().positive(),
  recordedAt: z.iso.datetime(),
  actor: Actor,
  correlationId: z.string().optional(),
  causationId: z.string().optional(),
};

export const publishedDetailSchema = (definition: EventDefinition) =>
  z.object({ ...storedEventFields, type: z.literal(definition.type), typeVersion: z.literal(definition.version), data: definition.schema });

/** The envelope a rule target receives for one published event type. */
export const publishedEnvelopeSchema = (definition: EventDefinition) =>
  envelopeSchema(publishedDetailSchema(definition)).extend({ source: z.literal(DOMAIN_EVENT_SOURCE), 'detail-type': z.literal(definition.type) });

/** The notice published instead of an event too large for PutEvents. */
export const tooLargeEnvelopeSchema = envelopeSchema(
  z.object({ ...storedEventFields, type: z.string().min(1), typeVersion: z.number().int().positive(), reason: z.string().min(1) }),
).extend({ source: z.literal(DOMAIN_EVENT_SOURCE), 'detail-type': z.literal(EVENT_TOO_LARGE_DETAIL_TYPE) });

export interface PublishedSchema {
  /** `<source>@<detail-type>`, the name EventBridge's schema discovery would give it. */
  readonly name: string;
  readonly detailType: string;
  readonly description: string;
  /** JSON Schema draft 4, the dialect the EventBridge schema registry takes (besides OpenAPI 3). */
  readonly jsonSchema: Record<string, unknown>;
}

const toDraft4 = (schema: z.ZodType, title: string): Record<string, unknown> => ({
  ...(z.toJSONSchema(schema, { target: 'draft-04', io: 'output' }) as Record<string, unknown>),
  title,
});

/** One JSON Schema per current catalog event, plus the too-large notice. */
export const publishedSchemas = (): PublishedSchema[] => [
  ...currentEvents.map((d) => ({
    name: `${DOMAIN_EVENT_SOURCE}@${d.type}`,
    detailType: d.type,
    description: `${d.description} (v${d.version}, as published by the outbox)`,
    jsonSchema: toDraft4(publishedEnvelopeSchema(d as EventDefinition), d.type),
  })),
  {
    name: `${DOMAIN_EVENT_SOURCE}@${EVENT_TOO_LARGE_DETAIL_TYPE}`,
    detailType: EVENT_TOO_LARGE_DETAIL_TYPE,
    description: 'Published instead of a stored event whose entry would exceed PutEvents 256 KB: read the event from the store by stream and position.',
    jsonSchema: toDraft4(tooLargeEnvelopeSchema, EVENT_TOO_LARGE_DETAIL_TYPE),
  },
];

import { z } from 'zod';

/**
 * The event as EventBridge delivers it to a rule's target. The in-process bus builds exactly this
 * shape so that handlers, patterns and input paths written for one mode work in the other.
 */
export interface EventBridgeEnvelope<TDetail = Record<string, unknown>> {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  /** ISO 8601 in UTC to the second, as EventBridge writes it: "2017-10-02T16:24:49Z". */
  time: string;
  region: string;
  resources: string[];
  detail: TDetail;
}

/** Envelope schema for a given detail schema: validate bus events at the boundary where they arrive. */
export const envelopeSchema = <T extends z.ZodType>(detail: T) =>
  z.object({
    version: z.literal('0'),
    id: z.string().min(1),
    'detail-type': z.string().min(1),
    source: z.string().min(1),
    account: z.string().min(1),
    time: z.iso.datetime({ offset: true }),
    region: z.string().min(1),
    resources: z.array(z.string()),
    detail,
  });

/** Any envelope: the detail only has to be a JSON object. */
export const eventBridgeEnvelopeSchema = envelopeSchema(z.record(z.string(), z.unknown()));

/** EventBridge's time format: seconds precision, "Z" suffix. */
export const envelopeTime = (at: Date): string => at.toISOString().replace(/\.\d{3}Z$/, 'Z');

import { defineProjection } from './projection.ts';

export interface RejectionRow {
  readonly eventId: string;
  readonly thingName?: string | undefined;
  readonly topic: string;
  readonly messageId: string;
  readonly stage: 'topic' | 'decode' | 'validate' | 'unknown-device';
  readonly reason: string;
  readonly payloadBytes: number;
  readonly receivedAt: string;
}

/** Every message that could not be decoded or validated; the bytes stay in the event. */
export const rejectionsProjection = defineProjection({
  name: 'rejections',
  version: 1,
  handles: ['MessageRejected'],
  keys: (event) => [event.eventId],
  apply: (_row: RejectionRow | undefined, event): RejectionRow => ({
    eventId: event.eventId,
    thingName: event.data.thingName,
    topic: event.data.topic,
    messageId: event.data.messageId,
    stage: event.data.stage,
    reason: event.data.reason,
    payloadBytes: event.data.payloadBytes,
    receivedAt: event.data.receivedAt,
  }),
});

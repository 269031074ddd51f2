import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { envelopeSchema, envelopeTime, eventBridgeEnvelopeSchema } from '../../functions/bus/envelope.ts';

// The sample event from AWS's "Amazon EventBridge events" page, with this project's values.
const envelope = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'DeviceProvisioned',
  source: 'lwm2m.fleet',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:iot:us-west-1:111122223333:thing/m1'],
  detail: { thingName: 'm1' },
};

describe('EventBridge envelope', () => {
  it('accepts an envelope as EventBridge delivers it', () => {
    expect(eventBridgeEnvelopeSchema.parse(envelope)).toEqual(envelope);
  });

  it.each([
    ['a version other than "0"', { ...envelope, version: '1' }],
    ['a missing detail-type', { ...envelope, 'detail-type': undefined }],
    ['a time that is not ISO 8601', { ...envelope, time: 'yesterday' }],
    ['resources that are not strings', { ...envelope, resources: [1] }],
    ['a detail that is an array', { ...envelope, detail: [1] }],
  ])('rejects %s', (_name, candidate) => {
    expect(eventBridgeEnvelopeSchema.safeParse(candidate).success).toBe(false);
  });

  it('validates the detail with the schema given for it', () => {
    const schema = envelopeSchema(z.object({ thingName: z.string().min(1) }));
    expect(schema.safeParse(envelope).success).toBe(true);
    expect(schema.safeParse({ ...envelope, detail: { thingName: '' } }).success).toBe(false);
  });

  it('writes time to the second with a Z, as EventBridge does', () => {
    expect(envelopeTime(new Date('2026-03-01T12:00:00.999Z'))).toBe('2026-03-01T12:00:00Z');
  });
});

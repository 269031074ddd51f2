import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import type { EventBridgeEnvelope } from '../../functions/bus/envelope.ts';
import { createInProcessBus, type InProcessBus } from '../../functions/bus/inProcessBus.ts';
import { BusPutFailedError, decodeIotRuleMessage, type IotRuleMessage } from '../../functions/lambda/iotRuleMessage.ts';
import { ingestRulePattern } from '../../schemas/bus/ingest.ts';
import { encodeSenmlCbor } from '../../schemas/senml/index.ts';

// The decode Lambda as the IoT rule calls it: the event shape is the SELECT of deviceDataSql.
const ctx = {} as Context;
let bus: InProcessBus | undefined;

const busWithInbox = () => {
  const b = createInProcessBus();
  bus = b;
  const inbox: EventBridgeEnvelope[] = [];
  b.subscribe({ name: 'inbox', pattern: ingestRulePattern, target: (e) => {
      inbox.push(e);
      return Promise.resolve();
    } });
  return { bus: b, inbox };
};

const ruleEvent = (over: Partial<IotRuleMessage> = {}): IotRuleMessage => ({
  topic: 'dt/lwm2m/meter-1/state',
  thingName: 'meter-1',
  payloadBase64: Buffer.from(encodeSenmlCbor([{ bn: '/3303/0/', bt: 1767225600, n: '5700', v: 21.5, u: 'Cel' }], { profile: 'lwm2m' })).toString('base64'),
  receivedAt: Date.parse('2026-01-01T00:00:01Z'),
  ...over,
});

afterEach(async () => {
  await bus?.close();
  bus = undefined;
});

describe('decode Lambda (IoT rule action)', () => {
  it('decodes the base64 CBOR payload and puts the device fact on the bus', async () => {
    const { bus: b, inbox } = busWithInbox();
    const result = await decodeIotRuleMessage({ bus: b })(ruleEvent(), ctx);
    await b.drain();
    expect(result).toEqual({ put: 1, rejected: false });
    expect(inbox).toHaveLength(1);
    expect(inbox[0]).toMatchObject({ source: 'lwm2m.ingest', 'detail-type': 'DeviceStateReported', time: '2026-01-01T00:00:01Z', detail: { thingName: 'meter-1' } });
  });

  it('keeps a payload that is not CBOR SenML as a rejection with its bytes', async () => {
    const { bus: b, inbox } = busWithInbox();
    const result = await decodeIotRuleMessage({ bus: b })(ruleEvent({ payloadBase64: Buffer.from('not cbor').toString('base64') }), ctx);
    await b.drain();
    expect(result).toEqual({ put: 1, rejected: true });
    expect(inbox[0]).toMatchObject({ 'detail-type': 'MessageRejected', detail: { data: { stage: 'decode', payloadBase64: Buffer.from('not cbor').toString('base64') } } });
  });

  it('keeps a message on a topic outside the ingestion routes as a topic rejection', async () => {
    const { bus: b, inbox } = busWithInbox();
    await decodeIotRuleMessage({ bus: b })(ruleEvent({ topic: 'dt/lwm2m/meter-1/other' }), ctx);
    await b.drain();
    expect(inbox[0]).toMatchObject({ 'detail-type': 'MessageRejected', detail: { thingName: 'meter-1', data: { stage: 'topic' } } });
  });

  it('refuses an event that is not what the rule SQL selects, saying which field is wrong', async () => {
    const { bus: b } = busWithInbox();
    await expect(decodeIotRuleMessage({ bus: b })({ ...ruleEvent(), receivedAt: 'yesterday' } as never, ctx)).rejects.toThrow(/receivedAt/);
    await expect(decodeIotRuleMessage({ bus: b })(ruleEvent({ payloadBase64: '***' }), ctx)).rejects.toThrow(/payloadBase64: must be standard base64/);
  });

  it('throws when the bus refuses an entry, so Lambda retries the invocation', async () => {
    const refusing = { put: () => Promise.resolve({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }] }) };
    await expect(decodeIotRuleMessage({ bus: refusing })(ruleEvent(), ctx)).rejects.toThrow(BusPutFailedError);
  });
});

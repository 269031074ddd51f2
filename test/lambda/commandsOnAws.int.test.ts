import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestCommand } from '../../functions/commands/requestCommand.ts';
import { createDynamoEventStore } from '../../functions/eventStore/dynamoEventStore.ts';
import { createEventStoreTable } from '../../functions/eventStore/dynamoTableDesign.ts';
import type { EventStore } from '../../functions/eventStore/eventStore.ts';
import { UNATTRIBUTED_STREAM } from '../../functions/ingestion/appendIngestedEvent.ts';
import { handleCommandAnswerRule, type CommandAnswerRuleMessage } from '../../functions/lambda/commandAnswerRule.ts';
import { iotDataPlaneCommandPublisher } from '../../functions/lambda/iotDataPlanePublisher.ts';
import { manualClock } from '../../functions/shared/clock.ts';
import type { CommandRequestMessage } from '../../schemas/bridge/commandMessages.ts';
import { startDynalite, type LocalDynamo } from '../support/dynalite.ts';
import { startLocalDataPlane, type LocalDataPlane } from './support.ts';

// A command's round trip on AWS: requested with the commands port over the IoT data plane (the
// real SDK client against a loopback server), answered through the command-answer rule's Lambda
// (handleCommandAnswerRule), with the DynamoDB event store on dynalite.
let dynamo: LocalDynamo;
let plane: LocalDataPlane;
let events: EventStore;
let handler: ReturnType<typeof handleCommandAnswerRule>;
const clock = manualClock('2026-05-01T10:00:00.000Z');
let ids = 0;

const answerMessage = (topic: string, body: unknown, clientId = 'bridge:aws-1', receivedAt = Date.parse('2026-05-01T10:00:02.000Z')): CommandAnswerRuleMessage => ({
  topic,
  clientId,
  payloadBase64: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)).toString('base64'),
  receivedAt,
});
const answer = (m: CommandAnswerRuleMessage) => handler(m, {} as Context);

/** A read of meter-1's temperature, held by bridge aws-1 (or `holder`), published through the data plane. */
const request = async (holder: { held: true; bridgeId: string; queueMode: boolean } = { held: true, bridgeId: 'aws-1', queueMode: false }) => {
  const from = plane.received.length;
  const outcome = await requestCommand({
    events,
    clock,
    holderOf: () => holder,
    publisher: iotDataPlaneCommandPublisher(plane.client()),
    newCommandId: () => `c-${++ids}`,
  })({ thingName: 'meter-1', operation: 'read', path: '/3303/0/5700' }, { kind: 'user', id: 'operator-1' });
  return { outcome, published: plane.received.slice(from) };
};

beforeAll(async () => {
  dynamo = await startDynalite();
  await createEventStoreTable(dynamo.client, 'events');
  events = createDynamoEventStore({ client: DynamoDBDocumentClient.from(dynamo.client), tableName: 'events' });
  plane = await startLocalDataPlane();
  handler = handleCommandAnswerRule({ events });
});

afterAll(async () => {
  await plane.close();
  await dynamo.close();
});

describe('commands on AWS', () => {
  it('publishes the request on cmd/lwm2m/<thing>/req/<id> (qos 1, not retained) and records the bridge’s answers from the rule', async () => {
    const { outcome, published } = await request();
    expect(outcome.status).toBe('published');
    expect(published).toHaveLength(1);
    expect(published[0]!.topic).toBe(`cmd/lwm2m/meter-1/req/${outcome.commandId}`);
    expect(published[0]!.query).toEqual({ qos: '1', retain: 'false' });
    const sent = JSON.parse(published[0]!.body.toString('utf8')) as CommandRequestMessage;
    expect(sent).toMatchObject({ commandId: outcome.commandId, operation: 'read', path: '/3303/0/5700' });

    const topic = `cmd/lwm2m/meter-1/res/${outcome.commandId}`;
    const base = { commandId: outcome.commandId, bridgeId: 'aws-1' };
    await expect(answer(answerMessage(topic, { ...base, status: 'dispatched', at: '2026-05-01T10:00:01.000Z' }))).resolves.toEqual({ kind: 'applied', eventTypes: ['CommandDispatched'] });
    const succeeded = answerMessage(topic, { ...base, status: 'succeeded', lwm2mCode: '2.05', values: [{ path: '/3303/0/5700', value: { kind: 'number', v: 21.5 } }], at: '2026-05-01T10:00:02.000Z' });
    await expect(answer(succeeded)).resolves.toEqual({ kind: 'applied', eventTypes: ['CommandSucceeded'] });
    // Lambda's retry of the same invocation (or IoT redelivering it) changes nothing.
    await expect(answer(succeeded)).resolves.toEqual({ kind: 'duplicate' });
    const stream = await events.readStream(`command-${outcome.commandId}`);
    expect(stream.map((e) => e.type)).toEqual(['CommandRequested', 'CommandPublished', 'CommandDispatched', 'CommandSucceeded']);
    expect(stream.at(-1)!.actor).toEqual({ kind: 'system', id: 'bridge:aws-1' });
  });

  it('ends a command whose publish IoT refused as failed, not sent', async () => {
    plane.refuseNext(403, 'ForbiddenException', 'Not authorized');
    const { outcome } = await request();
    expect(outcome.status).toBe('failed');
    const last = (await events.readStream(`command-${outcome.commandId}`)).at(-1)!;
    expect(last.type).toBe('CommandFailed');
    const data = last.data as { lwm2mCode: string; message: string };
    expect(data.lwm2mCode).toBe('not-sent');
    expect(data.message).toContain('ForbiddenException: Not authorized');
  });

  it('keeps an answer from a bridge that was not asked as a rejection beside the command', async () => {
    const { outcome } = await request();
    const result = await answer(answerMessage(`cmd/lwm2m/meter-1/res/${outcome.commandId}`, { commandId: outcome.commandId, bridgeId: 'aws-2', status: 'dispatched', at: '2026-05-01T10:00:01.000Z' }, 'bridge:aws-2'));
    expect(result.kind).toBe('rejected');
    const last = (await events.readStream(`command-${outcome.commandId}`)).at(-1)!;
    expect(last.type).toBe('MessageRejected');
  });

  it('takes a device’s answer to its own command, named by its client id', async () => {
    const { outcome } = await request();
    const topic = `cmd/lwm2m/meter-1/res/${outcome.commandId}`;
    const result = await answer(answerMessage(topic, { commandId: outcome.commandId, bridgeId: 'aws-1', status: 'dispatched', at: '2026-05-01T10:00:01.000Z' }, 'meter-1'));
    expect(result).toEqual({ kind: 'applied', eventTypes: ['CommandDispatched'] });
    const last = (await events.readStream(`command-${outcome.commandId}`)).at(-1)!;
    expect(last.actor).toEqual({ kind: 'device', id: 'meter-1' });
  });

  it('keeps answers whose topic or sender cannot be read, in the sending bridge’s stream or the unattributed one', async () => {
    const badTopic = await answer(answerMessage('cmd/lwm2m/meter-1/res/c!1', '{}', 'bridge:aws-1'));
    expect(badTopic.kind).toBe('rejected');
    expect(badTopic.kind === 'rejected' && badTopic.reason).toMatch(/is not a command answer/);
    const kept = (await events.readStream('bridge-aws-1')).at(-1)!;
    expect(kept).toMatchObject({ type: 'MessageRejected', data: { stage: 'topic', topic: 'cmd/lwm2m/meter-1/res/c!1' } });

    const stranger = await answer(answerMessage('cmd/lwm2m/meter-1/res/c-1', '{}', '$weird client'));
    expect(stranger.kind === 'rejected' && stranger.reason).toMatch(/neither a bridge/);
    const stored = await events.readStream(UNATTRIBUTED_STREAM);
    expect(stored.at(-1)).toMatchObject({ type: 'MessageRejected', data: { stage: 'topic' } });
  });

  it('refuses a rule message that is not what the rule selects, naming the field', async () => {
    await expect(handler({ topic: 'cmd/lwm2m/meter-1/res/c-1', clientId: 'bridge:aws-1', payloadBase64: 'not base64!', receivedAt: 1 }, {} as Context)).rejects.toThrow(
      /Invalid command answer rule message: payloadBase64: must be standard base64/,
    );
  });
});

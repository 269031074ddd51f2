import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../events/envelope.ts';
import { createDynamoDeviceReadModel } from '../../functions/deviceViews/dynamoDeviceReadModel.ts';
import { createDynamoEventStore } from '../../functions/eventStore/dynamoEventStore.ts';
import { claimKey, createEventStoreTable } from '../../functions/eventStore/dynamoTableDesign.ts';
import type { EventStore } from '../../functions/eventStore/eventStore.ts';
import { createProjectionTables } from '../directory/support/dynamoProjections.ts';
import { startDynalite, type LocalDynamo } from '../support/dynalite.ts';
import { testDeviceReadModel } from '../suites/deviceReadModel.suite.ts';
import { provisioned } from '../support/events.ts';
import { rejectedMessage } from './support.ts';

// The real DynamoDB event store and the stream projector's fold (createDynamoProjector) on
// dynalite: each append's stored events are folded as the table's stream would deliver them.
let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo.close();
});

let storeCount = 0;
const openReadSide = async (client?: (doc: DynamoDBDocumentClient) => DynamoDBDocumentClient) => {
  const doc = DynamoDBDocumentClient.from(dynamo.client);
  const eventStoreTable = `events-${++storeCount}`;
  await createEventStoreTable(dynamo.client, eventStoreTable);
  const events: EventStore = createDynamoEventStore({ client: doc, tableName: eventStoreTable });
  const projections = await createProjectionTables(dynamo, ['deviceState', 'alarms', 'rejections']);
  const model = createDynamoDeviceReadModel({
    client: client ? client(doc) : doc,
    tables: { deviceState: projections.tables.deviceState.tableName, alarms: projections.tables.alarms.tableName, rejections: projections.tables.rejections.tableName },
    eventStore: { tableName: eventStoreTable, events },
  });
  const append = async (streamId: string, batch: Parameters<EventStore['append']>[0]['events']): Promise<readonly StoredEvent[]> => {
    const result = await events.append({ streamId, expectedVersion: 'any', events: batch });
    await projections.project(result.events);
    return result.events;
  };
  return { doc, eventStoreTable, events, model, append };
};

testDeviceReadModel('DynamoDB (dynalite)', { create: () => openReadSide() });

describe('DynamoDB read model: what it reads', () => {
  it('finds a rejected payload whose claim its writer never confirmed, through the head the writer read', async () => {
    const side = await openReadSide();
    await side.append('device-meter-7', [provisioned('meter-7')]);
    const [rejected] = await side.append('device-meter-7', [rejectedMessage('meter-7', 'decode', new Date('2026-03-01T00:00:00Z'), 12)]);
    // As a writer that died after its commit and before confirming leaves the claim.
    await side.doc.send(
      new UpdateCommand({
        TableName: side.eventStoreTable,
        Key: claimKey(rejected!.eventId),
        UpdateExpression: 'SET #s = :pending, headAtClaim = :head REMOVE #p',
        ExpressionAttributeNames: { '#s': 'state', '#p': 'position' },
        ExpressionAttributeValues: { ':pending': 'pending', ':head': 1 },
      }),
    );
    const found = await side.model.rejectedPayloads([rejected!.eventId]);
    expect(found.get(rejected!.eventId)).toEqual({ payloadBase64: (rejected!.data as { payloadBase64: string }).payloadBase64, truncated: false });
  });

  it('reads a page of all rejections as four stage queries of at most a page each, and a device’s alarms in one query', async () => {
    const sent: { index?: string; limit?: number; forward?: boolean }[] = [];
    const side = await openReadSide(
      (doc) =>
        ({
          send: (command: { input: { IndexName?: string; Limit?: number; ScanIndexForward?: boolean } }) => {
            sent.push({ ...(command.input.IndexName ? { index: command.input.IndexName } : {}), ...(command.input.Limit ? { limit: command.input.Limit } : {}), ...(command.input.ScanIndexForward === undefined ? {} : { forward: command.input.ScanIndexForward }) });
            return doc.send(command as never);
          },
        }) as unknown as DynamoDBDocumentClient,
    );
    for (let i = 0; i < 12; i++) await side.append('rejected-unattributed', [rejectedMessage(undefined, i % 2 ? 'topic' : 'validate', new Date(Date.UTC(2026, 2, 1, 0, 0, i)), 5)]);
    const page = await side.model.rejections({ limit: 5 });
    expect(page.items.map((r) => r.receivedAt)).toEqual([11, 10, 9, 8, 7].map((s) => new Date(Date.UTC(2026, 2, 1, 0, 0, s)).toISOString()));
    expect(page.more).toBe(true);
    expect(sent).toEqual(Array.from({ length: 4 }, () => ({ index: 'byStage', limit: 6, forward: false })));
    sent.length = 0;
    await side.model.alarms({ thingName: 'meter-7', status: 'all', limit: 50 });
    expect(sent).toEqual([{ index: 'byThing', limit: 51, forward: true }]);
  });
});

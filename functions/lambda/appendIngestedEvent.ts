import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDynamoEventStore } from '../eventStore/dynamoEventStore.ts';
import { appendIngestedEvent } from '../ingestion/appendIngestedEvent.ts';
import { LAMBDA_ENV, requiredEnv } from './env.ts';
import { observed } from './observability.ts';

// Composition root of the EventBridge ingest rule's target: config and clients once per container.
const events = createDynamoEventStore({
  client: DynamoDBDocumentClient.from(new DynamoDBClient({})),
  tableName: requiredEnv(LAMBDA_ENV.eventStoreTable),
});

export const handler = observed(appendIngestedEvent({ events }), {
  result: (r) => (r.status === 'appended' ? { EventsAppended: 1 } : { DuplicatesIgnored: 1 }),
});

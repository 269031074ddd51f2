import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentEvents } from '../../events/catalog/index.ts';
import { matchesPattern } from '../../functions/bus/patternMatcher.ts';
import { publishedSchemas } from '../../functions/lambda/publishedEventSchemas.ts';
import { PROJECTION_ROW_KEY, PROJECTION_TABLES, type ProjectionTableName } from '../../functions/projections/projectionTableDesign.ts';
import { ALARMS_RAISED_PATTERN } from '../../infra/cdk/constructs/alarmSubscription.ts';
import { PROJECTION_TABLE_ENV } from '../../infra/cdk/constructs/projections.ts';
import { COMMIT_INSERT_FILTER, STREAM_RETRY_ATTEMPTS } from '../../infra/cdk/constructs/streamConsumer.ts';
import type { HandlerFunction } from '../../infra/cdk/constructs/handlerFunction.ts';
import type { StreamConsumer } from '../../infra/cdk/constructs/streamConsumer.ts';
import { allowedActions, synthesizeFleet, type SynthesizedFleet } from './synthesizedFleet.ts';
import { asList } from './templateValues.ts';

let fleet: SynthesizedFleet;
beforeAll(() => {
  fleet = synthesizeFleet();
});
afterAll(() => fleet.remove());

const consumers = (): [string, HandlerFunction, StreamConsumer][] => [
  ['outbox', fleet.stack.outbox.publisher, fleet.stack.outbox.consumer],
  ['projector', fleet.stack.projections.projector, fleet.stack.projections.consumer],
];

describe('stream consumers (outbox and projector)', () => {
  it('read the event store stream from its start, one batch per shard, retrying from the first failed record, then to a queue', () => {
    const mappings = fleet.ofType('AWS::Lambda::EventSourceMapping');
    expect(mappings).toHaveLength(2);
    for (const [, handler, consumer] of consumers()) {
      const mapping = fleet.resources[fleet.logicalId(consumer.mapping)]!.Properties!;
      expect(mapping).toMatchObject({
        EventSourceArn: { 'Fn::GetAtt': [fleet.logicalId(fleet.stack.eventStore.table), 'StreamArn'] },
        FunctionName: { Ref: fleet.logicalId(handler.fn) },
        StartingPosition: 'TRIM_HORIZON',
        ParallelizationFactor: 1,
        BisectBatchOnFunctionError: true,
        MaximumRetryAttempts: STREAM_RETRY_ATTEMPTS,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [fleet.logicalId(consumer.failures), 'Arn'] } } },
      });
      expect((mapping.FilterCriteria as { Filters: { Pattern: string }[] }).Filters.map((f) => JSON.parse(f.Pattern) as unknown)).toEqual([COMMIT_INSERT_FILTER]);
    }
  });

  it('filter in commit inserts only (Lambda filters use EventBridge pattern syntax; checked with the bus matcher)', () => {
    const image = (extra: Record<string, unknown>) => ({ pk: { S: 'device-m1' }, sk: { N: '1' }, ...extra });
    const commit = { eventName: 'INSERT', dynamodb: { NewImage: image({ gsk: { S: '2026-05-01T00:00:00.000Z#device-m1#000000000001' } }) } };
    expect(matchesPattern(COMMIT_INSERT_FILTER, commit)).toBe(true);
    expect(matchesPattern(COMMIT_INSERT_FILTER, { ...commit, eventName: 'MODIFY' })).toBe(false);
    expect(matchesPattern(COMMIT_INSERT_FILTER, { eventName: 'INSERT', dynamodb: { NewImage: { pk: { S: '$event#e1' }, sk: { N: '0' } } } })).toBe(false);
    expect(matchesPattern(COMMIT_INSERT_FILTER, { eventName: 'REMOVE', dynamodb: {} })).toBe(false);
  });

  it('give the outbox the fleet bus and the stream, and the projector its tables and the stream, nothing more', () => {
    const streamActions = ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'];
    const queueActions = ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'];
    const logActions = ['logs:CreateLogStream', 'logs:PutLogEvents'];
    expect(allowedActions(fleet.statementsOf(fleet.stack.outbox.publisher.role))).toEqual([...streamActions, 'events:PutEvents', ...logActions, ...queueActions].sort());
    expect(allowedActions(fleet.statementsOf(fleet.stack.projections.projector.role))).toEqual(
      ['dynamodb:BatchGetItem', 'dynamodb:PutItem', ...streamActions, ...logActions, ...queueActions].sort(),
    );
    const projectorTables = fleet.statementsOf(fleet.stack.projections.projector.role).find((s) => asList(s.Action).includes('dynamodb:PutItem'))!;
    expect(asList(projectorTables.Resource as unknown[])).toEqual(Object.values(fleet.stack.projections.tables).map((t) => ({ 'Fn::GetAtt': [fleet.logicalId(t), 'Arn'] })));
    for (const [, handler] of consumers()) {
      const stream = fleet.statementsOf(handler.role).find((s) => asList(s.Action).includes('dynamodb:GetRecords'))!;
      expect(stream.Resource).toEqual({ 'Fn::GetAtt': [fleet.logicalId(fleet.stack.eventStore.table), 'StreamArn'] });
    }
  });
});

describe('projection tables', () => {
  it('are keyed by row key with the indexes of projectionTableDesign, recoverable, and named to the projector', () => {
    const projector = fleet.resources[fleet.logicalId(fleet.stack.projections.projector.fn)]!.Properties!;
    const env = (projector.Environment as { Variables: Record<string, unknown> }).Variables;
    for (const [name, design] of Object.entries(PROJECTION_TABLES) as [ProjectionTableName, (typeof PROJECTION_TABLES)[ProjectionTableName]][]) {
      const table = fleet.stack.projections.tables[name];
      const props = fleet.resources[fleet.logicalId(table)]!.Properties!;
      expect(props.KeySchema).toEqual([{ AttributeName: PROJECTION_ROW_KEY, KeyType: 'HASH' }]);
      expect(props.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(asList(props.GlobalSecondaryIndexes as { IndexName: string; KeySchema: unknown }[]).map((i) => [i.IndexName, i.KeySchema])).toEqual(
        design.indexes.map((i) => [i.indexName, [{ AttributeName: i.partitionKey, KeyType: 'HASH' }, { AttributeName: i.sortKey, KeyType: 'RANGE' }]]),
      );
      expect(env[PROJECTION_TABLE_ENV[name]]).toEqual({ Ref: fleet.logicalId(table) });
    }
  });
});

describe('schema registry', () => {
  it('holds one draft-4 JSON Schema per catalog event (and the too-large notice), generated from the zod schemas', () => {
    const schemas = fleet.ofType('AWS::EventSchemas::Schema');
    const expected = publishedSchemas();
    expect(schemas).toHaveLength(currentEvents.length + 1);
    expect(expected).toHaveLength(currentEvents.length + 1);
    for (const want of expected) {
      const found = schemas.find(([, s]) => s.Properties!.SchemaName === want.name);
      expect(found, want.name).toBeDefined();
      const props = found![1].Properties!;
      expect(props.Type).toBe('JSONSchemaDraft4');
      expect(props.RegistryName).toEqual({ 'Fn::GetAtt': [fleet.stack.getLogicalId(fleet.stack.schemaRegistry.registry), 'RegistryName'] });
      const content = JSON.parse(props.Content as string) as { $schema: string; properties: Record<string, { enum?: string[] }> };
      expect(content).toEqual(want.jsonSchema);
      expect(content.$schema).toBe('http://json-schema.org/draft-04/schema#');
      expect(content.properties['detail-type']!.enum).toEqual([want.detailType]);
    }
  });
});

describe('example downstream subscription', () => {
  it('routes every AlarmRaised on the fleet bus to an encrypted queue with a dead-letter queue', () => {
    const { rule, queue, deadLetters } = fleet.stack.alarmSubscription;
    const props = fleet.resources[fleet.logicalId(rule)]!.Properties!;
    expect(props.EventPattern).toEqual(ALARMS_RAISED_PATTERN);
    expect(props.EventBusName).toEqual({ Ref: fleet.logicalId(fleet.stack.eventBus.bus) });
    expect(asList(props.Targets as { Arn: unknown }[]).map((t) => t.Arn)).toEqual([{ 'Fn::GetAtt': [fleet.logicalId(queue), 'Arn'] }]);
    const q = fleet.resources[fleet.logicalId(queue)]!.Properties!;
    expect(q).toMatchObject({ SqsManagedSseEnabled: true, RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [fleet.logicalId(deadLetters), 'Arn'] }, maxReceiveCount: 5 } });
    // Only this rule may send to the queue.
    fleet.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: fleet.logicalId(queue) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Principal: { Service: 'events.amazonaws.com' }, Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [fleet.logicalId(rule), 'Arn'] } } } }),
        ]),
      },
    });
  });
});

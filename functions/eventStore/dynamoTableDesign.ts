import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  type CreateTableCommandInput,
  type DynamoDBClient,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';

/**
 * The event store table (ADR 0002), as plain data so the CDK app and the tests build the same table.
 *
 * Item kinds, all in one table:
 * - commit: pk = streamId, sk = position of its first event; one item per append.
 * - claim:  pk = `$event#<eventId>`, sk = 0; guards idempotency by event id.
 * - meta:   pk = `$meta`, sk = 0; the first and last day that holds a commit (bounds readAll).
 * Stream ids start with a lower-case letter (validateAppend), so `$` keys never collide with streams.
 */
export const eventStoreTableDesign = {
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'N' },
  billingMode: 'PAY_PER_REQUEST',
  /** On AWS, projectors and the bus publisher read the table's stream; readAll is for replay. */
  stream: 'NEW_IMAGE',
  globalSecondaryIndexes: [
    {
      indexName: 'byDay',
      partitionKey: { name: 'gpk', type: 'S' },
      sortKey: { name: 'gsk', type: 'S' },
      projection: 'ALL',
    },
  ],
} as const;

export const BY_DAY_INDEX = eventStoreTableDesign.globalSecondaryIndexes[0].indexName;

/** Commits of one day are spread over this many index partitions. Part of the stored format: never change it. */
export const DAY_SHARDS = 8;

/** DynamoDB's item size limit (400 KB, counting attribute names and values). */
export const MAX_ITEM_BYTES = 400 * 1024;

export const claimKey = (eventId: string) => ({ pk: `$event#${eventId}`, sk: 0 });
export const META_KEY = { pk: '$meta', sk: 0 } as const;

/** The keys and attribute definitions of the design, in the shape CreateTable takes. */
export const createTableInput = (tableName: string): CreateTableCommandInput => {
  const d = eventStoreTableDesign;
  const keys = [d.partitionKey, d.sortKey, ...d.globalSecondaryIndexes.flatMap((i) => [i.partitionKey, i.sortKey])];
  return {
    TableName: tableName,
    BillingMode: d.billingMode,
    AttributeDefinitions: keys.map((k) => ({ AttributeName: k.name, AttributeType: k.type })),
    KeySchema: [
      { AttributeName: d.partitionKey.name, KeyType: 'HASH' },
      { AttributeName: d.sortKey.name, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: d.globalSecondaryIndexes.map((i) => ({
      IndexName: i.indexName,
      KeySchema: [
        { AttributeName: i.partitionKey.name, KeyType: 'HASH' },
        { AttributeName: i.sortKey.name, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: i.projection },
    })),
    StreamSpecification: { StreamEnabled: true, StreamViewType: d.stream },
  };
};

const isActive = (t: TableDescription | undefined) =>
  t?.TableStatus === 'ACTIVE' && (t.GlobalSecondaryIndexes ?? []).every((i) => i.IndexStatus === 'ACTIVE');

const sameKeys = (t: TableDescription): boolean => {
  const want = createTableInput('x');
  const hash = (ks: { AttributeName?: string | undefined; KeyType?: string | undefined }[] | undefined) =>
    JSON.stringify((ks ?? []).map((k) => [k.AttributeName, k.KeyType]));
  return (
    hash(t.KeySchema) === hash(want.KeySchema) &&
    (want.GlobalSecondaryIndexes ?? []).every((wi) =>
      (t.GlobalSecondaryIndexes ?? []).some((ti) => ti.IndexName === wi.IndexName && hash(ti.KeySchema) === hash(wi.KeySchema)),
    )
  );
};

/**
 * Creates the table (or accepts an existing one with the same keys) and resolves once it and its
 * index are ACTIVE. For tests and the embedded tooling; on AWS the CDK app builds the table.
 */
export const createEventStoreTable = async (client: DynamoDBClient, tableName: string, timeoutMs = 60_000): Promise<void> => {
  try {
    await client.send(new CreateTableCommand(createTableInput(tableName)));
  } catch (err) {
    if (!(err instanceof ResourceInUseException)) throw err;
  }
  const deadline = Date.now() + timeoutMs;
  for (let delay = 10; ; delay = Math.min(delay * 2, 1000)) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table && !sameKeys(Table)) {
      throw new Error(
        `Table ${tableName} exists with other keys or indexes than the event store needs (ADR 0002): ` +
          'point the store at another table name or delete this one.',
      );
    }
    if (isActive(Table)) return;
    if (Date.now() > deadline) {
      throw new Error(`Table ${tableName} is still ${Table?.TableStatus ?? 'missing'} after ${timeoutMs} ms: check the DynamoDB endpoint and retry.`);
    }
    await new Promise((r) => setTimeout(r, delay));
  }
};

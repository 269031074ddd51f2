import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { PROJECTION_ROW_KEY, type ProjectionTableDesign } from './projectionTableDesign.ts';

/**
 * Reading projection rows back from their DynamoDB tables (written by dynamoProjectionTables.ts):
 * the row is JSON in `row`; an item without it is a tombstone (the projection deleted the row,
 * the item stays for its stream markers) and reads as no row.
 */

/** The attributes a reader needs: the key and the row; markers and revisions stay behind. */
export const ROW_ATTRIBUTES = { projection: '#pk, #row', names: { '#pk': PROJECTION_ROW_KEY, '#row': 'row' } } as const;

/** The row an item holds, or undefined for a tombstone or no item. */
export const rowOfItem = <Row>(item: Record<string, unknown> | undefined, tableName: string): Row | undefined => {
  const text = item?.row;
  if (text === undefined) return undefined;
  if (typeof text !== 'string') {
    throw new Error(`${tableName} item ${String(item?.[PROJECTION_ROW_KEY])} holds a row that is not a string: the item was not written by the projector; delete it and rebuild the projection.`);
  }
  try {
    return JSON.parse(text) as Row;
  } catch {
    throw new Error(`${tableName} item ${String(item?.[PROJECTION_ROW_KEY])} holds a row that is not JSON: the item was not written by the projector; delete it and rebuild the projection.`);
  }
};

/**
 * A projection table's keys and indexes in the shape CreateTable takes, as the CDK construct
 * deploys them (infra/cdk/constructs/projections.ts): for tests and local tooling over dynalite.
 */
export const projectionCreateTableInput = (tableName: string, design: Pick<ProjectionTableDesign, 'indexes'>): CreateTableCommandInput => {
  const keys = [PROJECTION_ROW_KEY, ...design.indexes.flatMap((i) => [i.partitionKey, i.sortKey])];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...new Set(keys)].map((k) => ({ AttributeName: k, AttributeType: 'S' })),
    KeySchema: [{ AttributeName: PROJECTION_ROW_KEY, KeyType: 'HASH' }],
    ...(design.indexes.length === 0
      ? {}
      : {
          GlobalSecondaryIndexes: design.indexes.map((i) => ({
            IndexName: i.indexName,
            KeySchema: [
              { AttributeName: i.partitionKey, KeyType: 'HASH' },
              { AttributeName: i.sortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          })),
        }),
  };
};

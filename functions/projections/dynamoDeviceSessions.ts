import { GetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DeviceSessionRow } from '../../events/projections/deviceSessions.ts';
import type { HeldSession } from '../bridgeMessages/bridgePorts.ts';
import { holderFromRow, type DeviceHolderLookup } from '../commands/deviceHolder.ts';
import { ROW_ATTRIBUTES, rowOfItem } from './dynamoProjectionRows.ts';
import { PROJECTION_ROW_KEY } from './projectionTableDesign.ts';

/** The `device-sessions` projection table (PROJECTION_TABLES.deviceSessions) and a client for it. */
export interface DynamoSessionsTable {
  readonly client: Pick<DynamoDBDocumentClient, 'send'>;
  readonly tableName: string;
}

/**
 * "Which bridge holds this device?" on AWS: the device's session row, read strongly consistent
 * (the projector wrote it; a read never sees less than the last write). The answer is the one the
 * embedded lookup gives for the same row (holderFromRow).
 */
export const dynamoHolderLookup =
  (t: DynamoSessionsTable): DeviceHolderLookup =>
  async (thingName, now) => {
    const out = await t.client.send(
      new GetCommand({ TableName: t.tableName, Key: { [PROJECTION_ROW_KEY]: thingName }, ConsistentRead: true, ProjectionExpression: ROW_ATTRIBUTES.projection, ExpressionAttributeNames: ROW_ATTRIBUTES.names }),
    );
    return holderFromRow(rowOfItem<DeviceSessionRow>(out.Item, t.tableName), thingName, now);
  };

/**
 * The sessions a bridge holds now, from the table's sparse `byBridge` index (only registered rows
 * carry `heldBy`). An index is eventually consistent and the projector runs behind the store by
 * its stream's delay (about a second): a registration the bridge sent in its last second may be
 * missed. That session is not left open for ever: its lifetime runs out, and the holder lookup
 * treats a registration past its expiry as gone.
 */
export const dynamoSessionsHeldBy =
  (t: DynamoSessionsTable) =>
  async (bridgeId: string): Promise<readonly HeldSession[]> => {
    const held: HeldSession[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await t.client.send(
        new QueryCommand({
          TableName: t.tableName,
          IndexName: 'byBridge',
          KeyConditionExpression: '#heldBy = :bridge',
          ExpressionAttributeNames: { '#heldBy': 'heldBy', ...ROW_ATTRIBUTES.names },
          ExpressionAttributeValues: { ':bridge': bridgeId },
          ProjectionExpression: ROW_ATTRIBUTES.projection,
          ...(start === undefined ? {} : { ExclusiveStartKey: start }),
        }),
      );
      for (const item of out.Items ?? []) {
        const row = rowOfItem<DeviceSessionRow>(item, t.tableName);
        // The index attribute and the row are written together; the row decides.
        if (row?.registered && row.bridgeId === bridgeId && row.endpoint !== undefined && row.lastUpdateAt !== undefined) {
          held.push({ thingName: row.thingName, endpoint: row.endpoint, lastUpdateAt: row.lastUpdateAt });
        }
      }
      start = out.LastEvaluatedKey;
    } while (start !== undefined);
    return held;
  };

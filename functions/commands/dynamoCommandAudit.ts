import { GetCommand, QueryCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { CommandAuditRow } from '../../events/projections/commandAudit.ts';
import { ROW_ATTRIBUTES, rowOfItem } from '../projections/dynamoProjectionRows.ts';
import { AUDIT_OPEN_PARTITION, AUDIT_TIME_PARTITION, PROJECTION_ROW_KEY } from '../projections/projectionTableDesign.ts';
import { decodeAuditCursor, encodeAuditCursor, type AuditFilter, type AuditPosition } from './auditCursor.ts';
import type { CommandAuditReads } from './commandAuditPort.ts';

export interface DynamoCommandAuditOptions {
  readonly client: Pick<DynamoDBDocumentClient, 'send'>;
  /** The `command-audit` projection table (PROJECTION_TABLES.commandAudit), written by the stream projector. */
  readonly tableName: string;
}

/** The order key of a position: requestedKey on the table's indexes (auditOrderKey). */
const orderKey = (p: AuditPosition) => `${p.requestedAt}#${p.key}`;

/**
 * The command audit over its DynamoDB projection table. A search walks one index newest first
 * (ScanIndexForward false on `requestedKey` = requestedAt#commandId): byThing when a device is
 * named, else byOperator when an operator is, else byTime; the time range and the cursor are a key
 * range on requestedKey, and the one filter the index does not key on (an operator within a device)
 * is a filter expression. Every ISO time the API passes has the same length (toISOString), so
 * comparing `requestedAt#id` with a bare time orders as comparing the times.
 *
 * The indexes are eventually consistent: a command is listed a moment after its row is written.
 * One command by id reads the table itself, strongly consistent.
 */
export const createDynamoCommandAudit = (o: DynamoCommandAuditOptions): CommandAuditReads => {
  const indexOf = (filter: AuditFilter) =>
    filter.thingName !== undefined
      ? { indexName: 'byThing', attribute: 'thingName', value: filter.thingName }
      : filter.operator !== undefined
        ? { indexName: 'byOperator', attribute: 'operator', value: filter.operator }
        : { indexName: 'byTime', attribute: 'auditPartition', value: AUDIT_TIME_PARTITION };

  const readPage = async (filter: AuditFilter, limit: number, after: AuditPosition | undefined) => {
    const index = indexOf(filter);
    // Both bounds are exclusive above: the cursor's own row and anything at `to` are left out.
    const uppers = [filter.to, after && orderKey(after)].filter((v): v is string => v !== undefined);
    const upper = uppers.length === 0 ? undefined : uppers.reduce((a, b) => (a < b ? a : b));
    const names: Record<string, string> = { '#p': index.attribute, '#k': 'requestedKey', ...ROW_ATTRIBUTES.names };
    const values: Record<string, unknown> = { ':p': index.value };
    let range = '';
    if (filter.from !== undefined && upper !== undefined) {
      range = ' AND #k BETWEEN :from AND :upper';
      Object.assign(values, { ':from': filter.from, ':upper': upper });
    } else if (filter.from !== undefined) {
      range = ' AND #k >= :from';
      values[':from'] = filter.from;
    } else if (upper !== undefined) {
      range = ' AND #k < :upper';
      values[':upper'] = upper;
    }
    let filterExpression: string | undefined;
    if (filter.thingName !== undefined && filter.operator !== undefined) {
      filterExpression = '#operator = :operator';
      names['#operator'] = 'operator';
      values[':operator'] = filter.operator;
    }
    const items: CommandAuditRow[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const input: QueryCommandInput = {
        TableName: o.tableName,
        IndexName: index.indexName,
        KeyConditionExpression: `#p = :p${range}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ProjectionExpression: `${ROW_ATTRIBUTES.projection}, #k`,
        ScanIndexForward: false,
        // One more than the page, to know whether another follows; a filter may need more reads.
        Limit: limit + 1 - items.length,
        ...(filterExpression === undefined ? {} : { FilterExpression: filterExpression }),
        ...(start === undefined ? {} : { ExclusiveStartKey: start }),
      };
      const out = await o.client.send(new QueryCommand(input));
      for (const item of out.Items ?? []) {
        // BETWEEN includes its upper bound: that is the cursor's own row.
        if (upper !== undefined && item.requestedKey === upper) continue;
        const row = rowOfItem<CommandAuditRow>(item, o.tableName);
        if (row) items.push(row);
      }
      start = out.LastEvaluatedKey;
    } while (start !== undefined && items.length <= limit);
    const page = items.slice(0, limit);
    const last = page.at(-1);
    return { items: page, more: items.length > limit && last !== undefined ? { requestedAt: last.requestedAt, key: last.commandId } : undefined };
  };

  const openQuery = (extra: Partial<QueryCommandInput>) =>
    o.client.send(
      new QueryCommand({
        TableName: o.tableName,
        IndexName: 'openByExpiry',
        ExpressionAttributeNames: { '#p': 'openPartition', '#e': 'expiresAt', '#pk': PROJECTION_ROW_KEY },
        ProjectionExpression: '#pk, #e',
        ScanIndexForward: true,
        KeyConditionExpression: '#p = :p',
        ExpressionAttributeValues: { ':p': AUDIT_OPEN_PARTITION },
        ...extra,
      }),
    );

  return {
    async row(commandId) {
      const out = await o.client.send(
        new GetCommand({ TableName: o.tableName, Key: { [PROJECTION_ROW_KEY]: commandId }, ConsistentRead: true, ProjectionExpression: ROW_ATTRIBUTES.projection, ExpressionAttributeNames: ROW_ATTRIBUTES.names }),
      );
      return rowOfItem<CommandAuditRow>(out.Item, o.tableName);
    },
    async page(filter, limit, cursor) {
      const { items, more } = await readPage(filter, limit, cursor === undefined ? undefined : decodeAuditCursor(cursor, filter));
      return { items, ...(more ? { nextCursor: encodeAuditCursor(filter, more) } : {}) };
    },
    async *rows(filter, pageSize = 500) {
      let after: AuditPosition | undefined;
      do {
        const { items, more } = await readPage(filter, pageSize, after);
        yield* items;
        after = more;
      } while (after);
    },
    async due(now, limit) {
      const out = await openQuery({ KeyConditionExpression: '#p = :p AND #e <= :now', ExpressionAttributeValues: { ':p': AUDIT_OPEN_PARTITION, ':now': now.toISOString() }, Limit: limit });
      return (out.Items ?? []).map((i) => ({ commandId: String(i[PROJECTION_ROW_KEY]), expiresAt: String(i.expiresAt) }));
    },
    async nextExpiry() {
      const out = await openQuery({ Limit: 1 });
      const first = out.Items?.[0];
      return first === undefined ? undefined : String(first.expiresAt);
    },
  };
};

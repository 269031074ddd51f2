import { GetCommand, QueryCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DeviceRow } from '../../events/projections/devices.ts';
import { DEVICE_STATUSES, type SearchQuery } from '../../schemas/directory/searchQuery.ts';
import { ROW_ATTRIBUTES, rowOfItem } from '../projections/dynamoProjectionRows.ts';
import { PROJECTION_ROW_KEY, PROJECTION_TABLES } from '../projections/projectionTableDesign.ts';
import { decodeCursor, encodeCursor, searchFingerprint, type CursorPosition } from './cursor.ts';
import { DirectoryQueryError, type DeviceDirectory, type DirectoryItem, type DirectoryPage } from './deviceDirectory.ts';
import { matchesNothing, searchMatcher } from './searchMatch.ts';

export interface DynamoDeviceDirectoryOptions {
  readonly client: Pick<DynamoDBDocumentClient, 'send'>;
  /** The `directory` projection table (projectionTableDesign.ts), folded by the stream projector. */
  readonly tableName: string;
  /**
   * Items one search may read (README, "On AWS"). Past it, a search that still lacks its page is
   * refused as too broad; a first page of a tenant in name order is answered without `total`.
   */
  readonly maxItemsRead?: number;
}

export const DEFAULT_MAX_ITEMS_READ = 50_000;

const [TENANT_INDEX] = PROJECTION_TABLES.directory.indexes;

interface Hit {
  readonly key: string;
  readonly row: DeviceRow;
  readonly distance?: number | undefined;
}

const byKey = (a: Hit, b: Hit) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
const byDistanceThenKey = (a: Hit, b: Hit) => (a.distance ?? 0) - (b.distance ?? 0) || byKey(a, b);

const isAfter = (hit: Hit, after: CursorPosition): boolean =>
  after.distance === undefined ? hit.key > after.key : (hit.distance ?? 0) > after.distance || ((hit.distance ?? 0) === after.distance && hit.key > after.key);

/**
 * The directory over the `directory` projection table on DynamoDB. The row is opaque JSON, so only
 * the tenant (the `byTenant` index, sorted by thing name) and the status (a top-level copy) are
 * evaluated by DynamoDB; every other filter runs here, with the same meaning and the same distance
 * function as the SQLite adapter (searchMatch.ts).
 *
 * - A search naming a tenant Queries that tenant's partition of the index, in thing-name order:
 *   a later page of a name-ordered search starts at its cursor and stops once the page is full.
 * - A search without one Scans the table. A Scan comes back in hash order, not name order, so
 *   every page reads every candidate and sorts the matches; so does every `near` page (distance
 *   order is global) and every first page (it counts `total`).
 *
 * Reads are capped (`maxItemsRead`) so that a search answers well inside the API's timeout: past
 * the cap a search without its page yet is refused, saying what to narrow; a first page of a
 * tenant in name order is answered, without `total`. Cursors are the SQLite adapter's
 * (cursor.ts), so a page never repeats or skips a device that matched throughout.
 */
export const createDynamoDeviceDirectory = (options: DynamoDeviceDirectoryOptions): DeviceDirectory => {
  const { client, tableName } = options;
  const maxItemsRead = options.maxItemsRead ?? DEFAULT_MAX_ITEMS_READ;
  if (!Number.isSafeInteger(maxItemsRead) || maxItemsRead < 1) throw new Error(`maxItemsRead ${maxItemsRead} is not a positive whole number.`);

  const tooBroad = (query: SearchQuery) => {
    const [message, hint] =
      query.tenant === undefined
        ? [
            `the search would read more than ${maxItemsRead} devices: without a tenant it reads the whole fleet, since on AWS the directory has an index by tenant only.`,
            'Name a tenant (tenant=...): its devices are read through the index.',
          ]
        : query.near
          ? [
              `tenant ${query.tenant} has more than ${maxItemsRead} devices, and ordering them by distance means reading them all.`,
              'Use bbox instead of near: a box search pages in name order and reads only as far as each page needs.',
            ]
          : [
              `fewer than a page of matches are among the first ${maxItemsRead} devices of tenant ${query.tenant}.`,
              'Loosen the attribute, group, type, status or box filters: on AWS only the tenant narrows what a search reads.',
            ];
    return new DirectoryQueryError([{ field: query.near ? 'near' : 'tenant', rule: 'too-broad', message, hint }]);
  };

  /** Pages of candidate items: the tenant's index partition from `afterKey` on, or the whole table. */
  async function* candidates(query: SearchQuery, afterKey: string | undefined): AsyncGenerator<{ items: readonly Record<string, unknown>[]; last: boolean; budgetLeft: number }> {
    const names: Record<string, string> = { ...ROW_ATTRIBUTES.names };
    const values: Record<string, unknown> = {};
    const filters: string[] = [];
    if (query.status.length < DEVICE_STATUSES.length) {
      names['#status'] = 'status';
      filters.push(`#status IN (${query.status.map((s, i) => ((values[`:s${i}`] = s), `:s${i}`)).join(', ')})`);
    }
    let keyCondition: string | undefined;
    if (query.tenant !== undefined) {
      names['#tenant'] = TENANT_INDEX.partitionKey;
      values[':tenant'] = query.tenant;
      keyCondition = '#tenant = :tenant';
      if (afterKey !== undefined) {
        values[':after'] = afterKey;
        keyCondition += ' AND #pk > :after';
      }
    }
    let start: Record<string, unknown> | undefined;
    let budgetLeft = maxItemsRead;
    do {
      const common = {
        TableName: tableName,
        // Limit counts items read (before the filter), as the cap does; 1 MB still ends a page first.
        Limit: budgetLeft,
        ProjectionExpression: ROW_ATTRIBUTES.projection,
        ExpressionAttributeNames: names,
        ...(Object.keys(values).length === 0 ? {} : { ExpressionAttributeValues: values }),
        ...(filters.length === 0 ? {} : { FilterExpression: filters.join(' AND ') }),
        ...(start === undefined ? {} : { ExclusiveStartKey: start }),
      };
      const out =
        keyCondition === undefined
          ? await client.send(new ScanCommand(common))
          : await client.send(new QueryCommand({ ...common, IndexName: TENANT_INDEX.indexName, KeyConditionExpression: keyCondition }));
      start = out.LastEvaluatedKey;
      budgetLeft -= out.ScannedCount ?? out.Items?.length ?? 0;
      yield { items: out.Items ?? [], last: start === undefined, budgetLeft };
    } while (start !== undefined && budgetLeft > 0);
  }

  const search = async (query: SearchQuery): Promise<DirectoryPage> => {
    const fingerprint = searchFingerprint(query);
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, fingerprint, query.near !== undefined);
    if (matchesNothing(query)) return { items: [], ...(after ? {} : { total: 0 }) };
    const take = query.limit + 1;
    const match = searchMatcher(query);
    // Within a tenant the index walks in name order, which is the order of a search without near:
    // its later pages start at the cursor, and any page is complete once it holds `take` matches.
    const ordered = query.tenant !== undefined && query.near === undefined;
    const hits: Hit[] = [];
    let counted = after === undefined;
    for await (const page of candidates(query, ordered ? after?.key : undefined)) {
      for (const item of page.items) {
        const row = rowOfItem<DeviceRow>(item, tableName);
        const matched = row && match(row);
        if (row && matched) hits.push({ key: String(item[PROJECTION_ROW_KEY]), row, distance: matched.distanceMeters });
      }
      const full = ordered && hits.length >= take;
      if (full && after) break;
      if (!page.last && page.budgetLeft <= 0) {
        if (!full) throw tooBroad(query);
        // The page is there; counting every match would read past the cap, so `total` is left out.
        counted = false;
        break;
      }
    }
    hits.sort(query.near ? byDistanceThenKey : byKey);
    const rows = (after ? hits.filter((h) => isAfter(h, after)) : hits).slice(0, take);
    const items: DirectoryItem[] = rows.slice(0, query.limit).map((h) => (h.distance === undefined ? h.row : { ...h.row, distanceMeters: h.distance }));
    const last = rows[query.limit - 1];
    const nextCursor =
      rows.length > query.limit && last ? encodeCursor(fingerprint, last.distance === undefined ? { key: last.key } : { key: last.key, distance: last.distance }) : undefined;
    return { items, ...(nextCursor === undefined ? {} : { nextCursor }), ...(counted ? { total: hits.length } : {}) };
  };

  return {
    search,
    async get(thingName) {
      const out = await client.send(
        new GetCommand({
          TableName: tableName,
          Key: { [PROJECTION_ROW_KEY]: thingName },
          ConsistentRead: true,
          ProjectionExpression: ROW_ATTRIBUTES.projection,
          ExpressionAttributeNames: ROW_ATTRIBUTES.names,
        }),
      );
      return rowOfItem<DeviceRow>(out.Item, tableName);
    },
  };
};

import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceRow } from '../../events/projections/devices.ts';
import { DirectoryQueryError } from '../../functions/directory/deviceDirectory.ts';
import { createDynamoDeviceDirectory } from '../../functions/directory/dynamoDeviceDirectory.ts';
import { SearchQuery, type SearchQueryInput } from '../../schemas/directory/searchQuery.ts';
import { startDynalite, type LocalDynamo } from '../support/dynalite.ts';
import { collect, testDeviceDirectory } from '../suites/deviceDirectory.suite.ts';
import { createProjectionTables, eventStamper } from './support/dynamoProjections.ts';
import { bruteForce, generateFleet, type FleetDevice } from './support/fleet.ts';

// The directory table on dynalite, folded by the AWS stream projector (createDynamoProjector) from
// events stamped as the event store's stream delivers them.
let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo.close();
});

const seed = async (devices: readonly FleetDevice[]) => {
  const projections = await createProjectionTables(dynamo, ['directory']);
  const stamp = eventStamper();
  await projections.project(devices.flatMap((d) => stamp(`device-${d.thingName}`, d.events)));
  return { ...projections, stamp, tableName: projections.tables.directory.tableName, rows: async () => [...(await projections.rows<DeviceRow>('directory')).values()] };
};

testDeviceDirectory('DynamoDB (dynalite)', {
  // Every page of a search without a tenant, and every radius page, reads every candidate: a
  // smaller fleet than SQLite's keeps the suite's thousand-odd pages within a minute on dynalite.
  fleetSize: 2000,
  randomSearches: 30,
  async create(_name, devices) {
    const fleet = await seed(devices);
    return {
      directory: createDynamoDeviceDirectory({ client: fleet.doc, tableName: fleet.tableName }),
      rows: fleet.rows,
      append: (batches) => fleet.project(batches.flatMap((b) => fleet.stamp(b.streamId, b.events))),
    };
  },
});

/** A client that records every request's command name and index before sending it on. */
const recording = (doc: DynamoDBDocumentClient) => {
  const sent: { command: string; index?: string; read: number }[] = [];
  const client = {
    send: async (command: { constructor: { name: string }; input: { IndexName?: string } }) => {
      const out = (await doc.send(command as never)) as { ScannedCount?: number };
      sent.push({ command: command.constructor.name, ...(command.input.IndexName ? { index: command.input.IndexName } : {}), read: out.ScannedCount ?? 0 });
      return out;
    },
  } as unknown as DynamoDBDocumentClient;
  return { client, sent };
};

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('the search was answered, but it was expected to be refused');
    },
    (err: unknown) => {
      if (err instanceof DirectoryQueryError) return err.errors;
      throw err;
    },
  );

describe('DynamoDB directory: what it reads', () => {
  let fleet: Awaited<ReturnType<typeof seed>>;
  let rows: DeviceRow[];
  beforeAll(async () => {
    fleet = await seed(generateFleet(1500, 4242));
    rows = await fleet.rows();
  }, 60_000);

  it('queries the byTenant index for a tenant, and reads a later name-ordered page from its cursor on only', async () => {
    const { client, sent } = recording(fleet.doc);
    const directory = createDynamoDeviceDirectory({ client, tableName: fleet.tableName });
    const query = SearchQuery.parse({ tenant: 'city-of-lund', limit: 10 });
    const tenantSize = rows.filter((r) => r.tenant === 'city-of-lund').length;
    const first = await directory.search(query);
    expect(sent.every((s) => s.command === 'QueryCommand' && s.index === 'byTenant')).toBe(true);
    // The first page counts every match, so it reads the whole tenant.
    expect(sent.reduce((n, s) => n + s.read, 0)).toBe(tenantSize);
    sent.length = 0;
    const second = await directory.search({ ...query, cursor: first.nextCursor });
    expect(second.items.map((i) => i.thingName)).toEqual(bruteForce(rows, query).slice(10, 20).map((e) => e.row.thingName));
    expect(sent.every((s) => s.command === 'QueryCommand' && s.index === 'byTenant')).toBe(true);
    expect(sent.reduce((n, s) => n + s.read, 0)).toBeLessThan(tenantSize);
  });

  it('scans the table for a search without a tenant', async () => {
    const { client, sent } = recording(fleet.doc);
    const directory = createDynamoDeviceDirectory({ client, tableName: fleet.tableName });
    await directory.search(SearchQuery.parse({ attributes: { kind: 'heat-meter' }, limit: 10 }));
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.every((s) => s.command === 'ScanCommand')).toBe(true);
    expect(sent.reduce((n, s) => n + s.read, 0)).toBe(rows.length);
  });

  describe('past its read cap', () => {
    const cap = 100;
    const capped = () => createDynamoDeviceDirectory({ client: fleet.doc, tableName: fleet.tableName, maxItemsRead: cap });
    const tenant = 'stockholm-vatten';

    it('refuses a search without a tenant, saying to name one', async () => {
      expect(await refusal(capped().search(SearchQuery.parse({ attributes: { kind: 'heat-meter' } })))).toEqual([
        expect.objectContaining({ field: 'tenant', rule: 'too-broad', message: expect.stringContaining(`more than ${cap} devices`) as unknown, hint: expect.stringContaining('tenant=') as unknown }),
      ]);
    });

    it('refuses a radius search over a tenant larger than the cap, suggesting a box', async () => {
      expect(rows.filter((r) => r.tenant === tenant).length).toBeGreaterThan(cap);
      expect(await refusal(capped().search(SearchQuery.parse({ tenant, near: { lat: 59.33, lon: 18.07, radiusMeters: 5000 } })))).toEqual([
        expect.objectContaining({ field: 'near', rule: 'too-broad', hint: expect.stringContaining('bbox') as unknown }),
      ]);
    });

    it('answers a tenant’s pages in name order without total, and every page together is the full answer', async () => {
      const query = SearchQuery.parse({ tenant, limit: 25 });
      const first = await capped().search(query);
      expect(first.total).toBeUndefined();
      expect(first.items).toHaveLength(25);
      const expected = bruteForce(rows, query);
      expect(expected.length).toBeGreaterThan(cap);
      const { items, total } = await collect(capped(), query);
      expect(total).toBeUndefined();
      expect(items.map((i) => i.thingName)).toEqual(expected.map((e) => e.row.thingName));
    });

    it('refuses a tenant search whose filters leave less than a page among the first devices it may read', async () => {
      const rare: SearchQueryInput = { tenant, attributes: { kind: 'no-such-kind' }, limit: 5 };
      expect(await refusal(capped().search(SearchQuery.parse(rare)))).toEqual([expect.objectContaining({ field: 'tenant', rule: 'too-broad' })]);
      // Under the cap, the same search is simply empty.
      expect(await createDynamoDeviceDirectory({ client: fleet.doc, tableName: fleet.tableName }).search(SearchQuery.parse(rare))).toEqual({ items: [], total: 0 });
    });
  });

  it('says which item is broken when a row is not the projector’s JSON', async () => {
    const directory = createDynamoDeviceDirectory({ client: fleet.doc, tableName: fleet.tableName });
    await fleet.doc.send(new PutCommand({ TableName: fleet.tableName, Item: { pk: 'hand-edited', row: '{not json', tenant: 'hand', status: 'provisioned', rev: 1 } }));
    await expect(directory.get('hand-edited')).rejects.toThrow(/hand-edited holds a row that is not JSON.*rebuild the projection/);
    await expect(directory.search(SearchQuery.parse({ tenant: 'hand' }))).rejects.toThrow(/hand-edited/);
  });
});

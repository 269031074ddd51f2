import type { SqliteDatabase } from '../eventStore/sqliteDatabase.ts';

/**
 * The expression indexes behind directory searches, on the projection store's `projection_rows`
 * table. Each is partial (`WHERE projection = 'devices'`), so rows of other projections and of a
 * rebuild's shadow copy cost nothing, and each is keyed by its value and then the thing name, so an
 * equality search walks the index in page order and stops after one page.
 *
 * SQLite uses an expression index only when the query spells the expression and the partial
 * predicate exactly as the index does: queries must build their SQL from these constants, and the
 * projection name is a literal for the same reason (a bound parameter would not match the
 * predicate).
 */

export const DEVICES_PROJECTION = 'devices';
export const IN_DEVICES = `projection = '${DEVICES_PROJECTION}'`;

export const FIELD = Object.freeze({
  tenant: "json_extract(row, '$.tenant')",
  thingGroup: "json_extract(row, '$.thingGroup')",
  deviceType: "json_extract(row, '$.deviceType')",
  status: "json_extract(row, '$.status')",
  latitude: "json_extract(row, '$.location.latitude')",
  longitude: "json_extract(row, '$.location.longitude')",
});

export const INDEX = Object.freeze({
  tenant: 'directory_devices_tenant',
  thingGroup: 'directory_devices_thing_group',
  deviceType: 'directory_devices_device_type',
  status: 'directory_devices_status',
  position: 'directory_devices_position',
});

/** The same rule as manifests apply to attribute names; it also keeps the JSON path below unambiguous. */
const ATTRIBUTE_NAME = /^[a-zA-Z0-9_.-]{1,64}$/;

export const isSafeAttributeName = (name: string): boolean => ATTRIBUTE_NAME.test(name);

/**
 * The JSON path of an attribute. The name is quoted so a dot in it ("fw.version") names one key,
 * not a nested object; names are limited to [a-zA-Z0-9_.-], so nothing in them can close the quote.
 */
export const attributePath = (name: string): string => {
  if (!isSafeAttributeName(name)) {
    throw new RangeError(`attribute name ${JSON.stringify(name)} is not searchable: use 1-64 of letters, digits, "_", "." and "-".`);
  }
  return `$.attributes."${name}"`;
};

/** The indexed expression of a configured attribute (a literal path, as the index needs). */
export const attributeExpression = (name: string): string => `json_extract(row, '${attributePath(name)}')`;

/** Index names are identifiers: the attribute name goes in as hex so "." and "-" cannot break them. */
export const attributeIndexName = (name: string): string => `directory_devices_attr_${Buffer.from(attributePath(name)).toString('hex')}`;

const equalityIndex = (name: string, expression: string) =>
  `CREATE INDEX IF NOT EXISTS ${name} ON projection_rows (${expression}, key) WHERE ${IN_DEVICES}`;

/**
 * Creates the indexes (once; later calls are no-ops). `indexedAttributes` are attributes searched
 * often enough to deserve an index of their own; other attributes are still searchable, as a filter
 * over whatever the other conditions select.
 */
export const ensureDirectoryIndexes = (db: SqliteDatabase, indexedAttributes: readonly string[]): void => {
  const table = db.prepare<[], { name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table' AND name = 'projection_rows'").get();
  if (!table) {
    throw new Error(
      'The device directory reads the projection store\'s table "projection_rows", which this database does not have yet: create the projection store (createSqliteProjectionStore) on it first.',
    );
  }
  const statements = [
    equalityIndex(INDEX.tenant, FIELD.tenant),
    equalityIndex(INDEX.thingGroup, FIELD.thingGroup),
    equalityIndex(INDEX.deviceType, FIELD.deviceType),
    equalityIndex(INDEX.status, FIELD.status),
    // Latitude leads: a box or radius is a latitude range. Longitude and status ride along so the
    // longitude test, the default status filter and the distance are answered from index entries
    // alone (a covering index), and only the rows of the page are read.
    `CREATE INDEX IF NOT EXISTS ${INDEX.position} ON projection_rows (${FIELD.latitude}, ${FIELD.longitude}, ${FIELD.status}) WHERE ${IN_DEVICES}`,
    ...indexedAttributes.map((name) => equalityIndex(attributeIndexName(name), attributeExpression(name))),
  ];
  db.transaction(() => {
    for (const sql of statements) db.exec(sql);
  })();
};

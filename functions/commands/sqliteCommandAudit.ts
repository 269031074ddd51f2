import { commandAuditProjection, type CommandAuditRow } from '../../events/projections/commandAudit.ts';
import type { SqliteDatabase } from '../eventStore/sqliteDatabase.ts';
import { decodeAuditCursor, encodeAuditCursor, type AuditFilter } from './auditCursor.ts';

export { AuditCursorError, type AuditFilter } from './auditCursor.ts';

/**
 * Queries over the `command-audit` projection's rows in SQLite: pages of the audit by device,
 * operator and time, and the open commands whose expiry has passed. Partial expression indexes on
 * the projection store's table keep each query an index walk (the directory does the same,
 * functions/directory/sqliteDirectoryIndexes.ts); the projection name is a literal so the partial
 * predicate matches, and every value is bound.
 */

const PROJECTION = commandAuditProjection.name;
const IN_AUDIT = `projection = '${PROJECTION}'`;
const REQUESTED = "json_extract(row, '$.requestedAt')";
const THING = "json_extract(row, '$.thingName')";
const OPERATOR = "json_extract(row, '$.operator')";
const EXPIRES = "json_extract(row, '$.expiresAt')";
const OPEN = "json_extract(row, '$.open') = 1";

const INDEXES = [
  `CREATE INDEX IF NOT EXISTS command_audit_requested ON projection_rows (${REQUESTED}, key) WHERE ${IN_AUDIT}`,
  `CREATE INDEX IF NOT EXISTS command_audit_thing ON projection_rows (${THING}, ${REQUESTED}, key) WHERE ${IN_AUDIT}`,
  `CREATE INDEX IF NOT EXISTS command_audit_operator ON projection_rows (${OPERATOR}, ${REQUESTED}, key) WHERE ${IN_AUDIT}`,
  `CREATE INDEX IF NOT EXISTS command_audit_open ON projection_rows (${EXPIRES}) WHERE ${IN_AUDIT} AND ${OPEN}`,
];

export interface AuditPage {
  readonly items: readonly CommandAuditRow[];
  readonly nextCursor?: string | undefined;
}

export interface CommandAuditStore {
  row(commandId: string): CommandAuditRow | undefined;
  /** Newest first; `cursor` is a previous page's nextCursor for the same filter. */
  page(filter: AuditFilter, limit: number, cursor?: string): AuditPage;
  /** Every matching row, newest first, read a page at a time (exports). */
  rows(filter: AuditFilter, pageSize?: number): Generator<CommandAuditRow>;
  /** Open commands whose expiry is at or before `now`, soonest first. */
  due(now: Date, limit: number): readonly { readonly commandId: string; readonly expiresAt: string }[];
  /** The soonest expiry of any open command. */
  nextExpiry(): string | undefined;
}

export const createSqliteCommandAudit = (db: SqliteDatabase): CommandAuditStore => {
  const table = db.prepare<[], { name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table' AND name = 'projection_rows'").get();
  if (!table) throw new Error('The command audit reads the projection store\'s table "projection_rows", which this database does not have yet: create the projection store (createSqliteProjectionStore) on it first.');
  db.transaction(() => {
    for (const sql of INDEXES) db.exec(sql);
  })();

  const getRow = db.prepare<[string], { row: string }>(`SELECT row FROM projection_rows WHERE ${IN_AUDIT} AND key = ?`);
  const dueStatement = db.prepare<[string, number], { key: string; expiresAt: string }>(
    `SELECT key, ${EXPIRES} AS expiresAt FROM projection_rows WHERE ${IN_AUDIT} AND ${OPEN} AND ${EXPIRES} <= ? ORDER BY ${EXPIRES} LIMIT ?`,
  );
  const nextStatement = db.prepare<[], { expiresAt: string | null }>(`SELECT min(${EXPIRES}) AS expiresAt FROM projection_rows WHERE ${IN_AUDIT} AND ${OPEN}`);

  // One statement per combination of filters (at most 32), built from fixed fragments.
  const statements = new Map<string, ReturnType<SqliteDatabase['prepare']>>();
  const pageStatement = (filter: AuditFilter, after: boolean) => {
    const where = [IN_AUDIT];
    if (filter.thingName !== undefined) where.push(`${THING} = @thingName`);
    if (filter.operator !== undefined) where.push(`${OPERATOR} = @operator`);
    if (filter.from !== undefined) where.push(`${REQUESTED} >= @from`);
    if (filter.to !== undefined) where.push(`${REQUESTED} < @to`);
    if (after) where.push(`(${REQUESTED} < @afterRequested OR (${REQUESTED} = @afterRequested AND key < @afterKey))`);
    const sql = `SELECT key, row FROM projection_rows WHERE ${where.join(' AND ')} ORDER BY ${REQUESTED} DESC, key DESC LIMIT @limit`;
    let statement = statements.get(sql);
    if (!statement) statements.set(sql, (statement = db.prepare(sql)));
    return statement;
  };

  const readPage = (filter: AuditFilter, limit: number, after: { requestedAt: string; key: string } | undefined) => {
    const params = {
      ...(filter.thingName === undefined ? {} : { thingName: filter.thingName }),
      ...(filter.operator === undefined ? {} : { operator: filter.operator }),
      ...(filter.from === undefined ? {} : { from: filter.from }),
      ...(filter.to === undefined ? {} : { to: filter.to }),
      ...(after ? { afterRequested: after.requestedAt, afterKey: after.key } : {}),
      limit: limit + 1,
    };
    const found = pageStatement(filter, after !== undefined).all(params) as { key: string; row: string }[];
    const items = found.slice(0, limit).map((r) => JSON.parse(r.row) as CommandAuditRow);
    const last = items.at(-1);
    return { items, more: found.length > limit && last !== undefined ? { requestedAt: last.requestedAt, key: last.commandId } : undefined };
  };

  return {
    row(commandId) {
      const found = getRow.get(commandId);
      return found ? (JSON.parse(found.row) as CommandAuditRow) : undefined;
    },
    page(filter, limit, cursor) {
      const { items, more } = readPage(filter, limit, cursor === undefined ? undefined : decodeAuditCursor(cursor, filter));
      return { items, ...(more ? { nextCursor: encodeAuditCursor(filter, more) } : {}) };
    },
    *rows(filter, pageSize = 500) {
      let after: { requestedAt: string; key: string } | undefined;
      do {
        const { items, more } = readPage(filter, pageSize, after);
        yield* items;
        after = more;
      } while (after);
    },
    due: (now, limit) => dueStatement.all(now.toISOString(), limit).map((r) => ({ commandId: r.key, expiresAt: r.expiresAt })),
    nextExpiry: () => nextStatement.get()?.expiresAt ?? undefined,
  };
};

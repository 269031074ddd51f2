import { createHash } from 'node:crypto';
import { z } from 'zod';
import { commandAuditProjection, type CommandAuditRow } from '../../events/projections/commandAudit.ts';
import type { FieldError } from '../../schemas/directory/fieldError.ts';
import type { SqliteDatabase } from '../eventStore/sqliteDatabase.ts';

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

/** The filters of GET /commands and the audit export; times are ISO-8601 UTC (`toISOString`). */
export interface AuditFilter {
  readonly thingName?: string | undefined;
  readonly operator?: string | undefined;
  /** Requested at or after. */
  readonly from?: string | undefined;
  /** Requested before. */
  readonly to?: string | undefined;
}

export interface AuditPage {
  readonly items: readonly CommandAuditRow[];
  readonly nextCursor?: string | undefined;
}

/** A cursor that does not belong to this search; the route answers 400 with this field error. */
export class AuditCursorError extends Error {
  override name = 'AuditCursorError';
  constructor(readonly error: FieldError) {
    super(error.message);
  }
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

const CursorPayload = z.strictObject({ v: z.literal(1), f: z.string(), r: z.string().max(40), k: z.string().min(1).max(200) });

const fingerprintOf = (filter: AuditFilter) =>
  createHash('sha256')
    .update(JSON.stringify([filter.thingName ?? null, filter.operator ?? null, filter.from ?? null, filter.to ?? null]))
    .digest('base64url')
    .slice(0, 16);

const cursorError = (message: string) =>
  new AuditCursorError({ field: 'cursor', rule: 'cursor', message, hint: 'Pass the nextCursor of the previous page unchanged, with the same filters; leave it out for the first page.' });

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

  const decode = (cursor: string, fingerprint: string) => {
    let payload: unknown;
    try {
      payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    } catch {
      payload = undefined;
    }
    const parsed = CursorPayload.safeParse(payload);
    if (!parsed.success) throw cursorError('The cursor is not one this API made.');
    if (parsed.data.f !== fingerprint) throw cursorError('The cursor belongs to a search with other filters.');
    return { requestedAt: parsed.data.r, key: parsed.data.k };
  };

  return {
    row(commandId) {
      const found = getRow.get(commandId);
      return found ? (JSON.parse(found.row) as CommandAuditRow) : undefined;
    },
    page(filter, limit, cursor) {
      const fingerprint = fingerprintOf(filter);
      const { items, more } = readPage(filter, limit, cursor === undefined ? undefined : decode(cursor, fingerprint));
      const nextCursor = more && Buffer.from(JSON.stringify({ v: 1, f: fingerprint, r: more.requestedAt, k: more.key })).toString('base64url');
      return { items, ...(nextCursor ? { nextCursor } : {}) };
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

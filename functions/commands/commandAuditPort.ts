import type { CommandAuditRow } from '../../events/projections/commandAudit.ts';
import type { AuditFilter } from './auditCursor.ts';
import type { AuditPage, CommandAuditStore } from './sqliteCommandAudit.ts';

/**
 * The command audit as a port both modes serve: the SQLite store answers at once, DynamoDB over
 * the network, so the port is asynchronous. Same order (newest first by requestedAt, then command
 * id), same cursors (auditCursor.ts), same expiry queries; test/suites/commandAudit.suite.ts holds
 * every adapter to it.
 */
export interface CommandAuditReads {
  row(commandId: string): Promise<CommandAuditRow | undefined>;
  /** Newest first; `cursor` is a previous page's nextCursor for the same filter (AuditCursorError otherwise). */
  page(filter: AuditFilter, limit: number, cursor?: string): Promise<AuditPage>;
  /** Every matching row, newest first, read a page at a time (exports). */
  rows(filter: AuditFilter, pageSize?: number): AsyncIterable<CommandAuditRow>;
  /** Open commands whose expiry is at or before `now`, soonest first. */
  due(now: Date, limit: number): Promise<readonly { readonly commandId: string; readonly expiresAt: string }[]>;
  /** The soonest expiry of any open command. */
  nextExpiry(): Promise<string | undefined>;
}

/** The embedded (synchronous) store behind the asynchronous port. */
export const asyncCommandAudit = (store: CommandAuditStore): CommandAuditReads => ({
  row: (commandId) => Promise.resolve(store.row(commandId)),
  // A bad cursor throws inside the promise, as the asynchronous adapters do.
  page: (filter, limit, cursor) => Promise.resolve().then(() => store.page(filter, limit, cursor)),
  rows: (filter, pageSize) => ({
    [Symbol.asyncIterator]: () => {
      const rows = store.rows(filter, pageSize);
      return { next: () => Promise.resolve(rows.next()) };
    },
  }),
  due: (now, limit) => Promise.resolve(store.due(now, limit)),
  nextExpiry: () => Promise.resolve(store.nextExpiry()),
});

import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { FieldError } from '../../schemas/directory/fieldError.ts';
import { fromCursorToken, toCursorToken } from '../shared/cursorToken.ts';

/**
 * The audit's paging cursor, shared by the SQLite and DynamoDB adapters so a cursor means the same
 * in both: the last row's (requestedAt, commandId) and a fingerprint of the filters, base64url JSON.
 * Both adapters list newest first by that pair, so the pair is where the next page starts.
 */

/** The filters of GET /commands and the audit export; times are ISO-8601 UTC (`toISOString`). */
export interface AuditFilter {
  readonly thingName?: string | undefined;
  readonly operator?: string | undefined;
  /** Requested at or after. */
  readonly from?: string | undefined;
  /** Requested before. */
  readonly to?: string | undefined;
}

/** Where a page ended: the last row's requestedAt and command id. */
export interface AuditPosition {
  readonly requestedAt: string;
  readonly key: string;
}

/** A cursor that does not belong to this search; the route answers 400 with this field error. */
export class AuditCursorError extends Error {
  override name = 'AuditCursorError';
  constructor(readonly error: FieldError) {
    super(error.message);
  }
}

const CursorPayload = z.strictObject({ v: z.literal(1), f: z.string(), r: z.string().max(40), k: z.string().min(1).max(200) });

const fingerprintOf = (filter: AuditFilter) =>
  createHash('sha256')
    .update(JSON.stringify([filter.thingName ?? null, filter.operator ?? null, filter.from ?? null, filter.to ?? null]))
    .digest('base64url')
    .slice(0, 16);

const cursorError = (message: string) =>
  new AuditCursorError({ field: 'cursor', rule: 'cursor', message, hint: 'Pass the nextCursor of the previous page unchanged, with the same filters; leave it out for the first page.' });

export const encodeAuditCursor = (filter: AuditFilter, after: AuditPosition): string =>
  toCursorToken({ v: 1, f: fingerprintOf(filter), r: after.requestedAt, k: after.key });

/** The position a cursor names; AuditCursorError when it is not one of ours or belongs to other filters. */
export const decodeAuditCursor = (cursor: string, filter: AuditFilter): AuditPosition => {
  const parsed = CursorPayload.safeParse(fromCursorToken(cursor));
  if (!parsed.success) throw cursorError('The cursor is not one this API made.');
  if (parsed.data.f !== fingerprintOf(filter)) throw cursorError('The cursor belongs to a search with other filters.');
  return { requestedAt: parsed.data.r, key: parsed.data.k };
};

import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { FieldError } from '../../schemas/directory/fieldError.ts';
import { canonicalJson } from '../projections/canonicalJson.ts';
import { fromCursorToken, toCursorToken } from '../shared/cursorToken.ts';

/**
 * Keyset cursors for the device views: where the next page starts (a stream position, or the sort
 * key of the last item), plus a fingerprint of the request that made it. A cursor used with other
 * filters is refused rather than silently skipping items; only `limit` may change between pages.
 *
 * base64url JSON: opaque by contract, not secret. A forged cursor can only move the start of a
 * page within the caller's own query, which the caller may read anyway.
 */

export const MAX_CURSOR_LENGTH = 512;

/** What identifies a query apart from its page: the view and every filter. */
export const fingerprintOf = (view: string, filters: Readonly<Record<string, unknown>>): string =>
  createHash('sha256').update(`${view}\n${canonicalJson(filters)}`).digest('base64url').slice(0, 16);

export const encodeCursor = (fingerprint: string, position: unknown): string => toCursorToken({ v: 1, f: fingerprint, p: position });

const Envelope = z.strictObject({ v: z.literal(1), f: z.string().min(1).max(64), p: z.unknown() });

export type CursorRead<P> = { readonly ok: true; readonly position: P } | { readonly ok: false; readonly error: FieldError };

export const decodeCursor = <P>(cursor: string, fingerprint: string, position: z.ZodType<P>): CursorRead<P> => {
  const payload = fromCursorToken(cursor);
  const malformed: CursorRead<P> = {
    ok: false,
    error: { field: 'cursor', rule: 'malformed', message: 'cursor is not one this service handed out.', hint: 'Pass the nextCursor of the previous page unchanged, or leave cursor out to start from the first page.' },
  };
  const envelope = Envelope.safeParse(payload);
  if (!envelope.success) return malformed;
  // The fingerprint first: a cursor of another view or query is that, whatever its position looks like.
  if (envelope.data.f !== fingerprint) {
    return {
      ok: false,
      error: {
        field: 'cursor',
        rule: 'other-query',
        message: 'cursor belongs to a different query: the filters changed since the first page.',
        hint: 'Keep every parameter but limit as it was on the first page, or leave cursor out to start the new query from its first page.',
      },
    };
  }
  const parsed = position.safeParse(envelope.data.p);
  return parsed.success ? { ok: true, position: parsed.data } : malformed;
};

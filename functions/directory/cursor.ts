import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { SearchQuery } from '../../schemas/directory/searchQuery.ts';
import { canonicalJson } from '../projections/canonicalJson.ts';
import { fromCursorToken, toCursorToken } from '../shared/cursorToken.ts';
import { DirectoryQueryError } from './deviceDirectory.ts';

/**
 * Keyset cursors: the sort key of the last device on a page (its thing name, and its distance for
 * `near` searches), plus a fingerprint of the search. The next page starts strictly after that key,
 * so devices added or removed meanwhile cannot shift it. The fingerprint catches a cursor replayed
 * with a different search, which would otherwise silently skip matches.
 *
 * The cursor is base64url JSON: opaque by contract, not secret. A forged cursor can only move the
 * start of a page within the caller's own search.
 */

export interface CursorPosition {
  readonly key: string;
  readonly distance?: number;
}

const Payload = z.strictObject({
  v: z.literal(1),
  f: z.string().min(1),
  k: z.string().min(1).max(256),
  d: z.number().min(0).optional(),
});

/** What identifies a search apart from its page: every filter, not the limit or the cursor. */
export const searchFingerprint = (query: SearchQuery): string => {
  const { cursor: _cursor, limit: _limit, ...filters } = query;
  return createHash('sha256').update(canonicalJson(filters)).digest('base64url').slice(0, 16);
};

export const encodeCursor = (fingerprint: string, position: CursorPosition): string =>
  toCursorToken({ v: 1, f: fingerprint, k: position.key, ...(position.distance === undefined ? {} : { d: position.distance }) });

const bad = (rule: string, message: string, hint: string) => new DirectoryQueryError([{ field: 'cursor', rule, message, hint }]);

export const decodeCursor = (cursor: string, fingerprint: string, near: boolean): CursorPosition => {
  const parsed = Payload.safeParse(fromCursorToken(cursor));
  if (!parsed.success || (parsed.data.d === undefined) === near) {
    throw bad('malformed', 'cursor is not one this service handed out.', 'Pass the nextCursor of the previous page unchanged, or leave cursor out to start from the first page.');
  }
  if (parsed.data.f !== fingerprint) {
    throw bad(
      'other-search',
      'cursor belongs to a different search: the filters changed since the first page.',
      'Keep every filter as it was on the first page (only limit may change), or leave cursor out to start the new search from its first page.',
    );
  }
  return parsed.data.d === undefined ? { key: parsed.data.k } : { key: parsed.data.k, distance: parsed.data.d };
};

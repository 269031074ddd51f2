import { randomBytes } from 'node:crypto';

/**
 * Why batch ids look like `b-8217645993210-3f9c0a1b2c3d4e5f`: S3 lists keys in ascending UTF-8
 * order only (ListObjectsV2 has no "newest first" and no sort by date), and the batch list must not
 * read the whole uploads bucket per request. So the id puts the upload's time first, inverted
 * (`INVERTED_TIME_LIMIT - milliseconds`, 13 digits, zero-padded): a later upload has a smaller
 * number, and listing `manifests/` from the start is newest first, a page at a time, on S3 and in
 * the embedded folder store alike. The random part keeps ids unguessable and unique across Lambdas.
 *
 * Manifests put in the uploads area directly under another name (`manifests/b-lamps.csv`) are
 * still batches; as letters sort after digits they come after every upload made through the API,
 * in name order. Ids of the old form (`b-<uuid>`) interleave by their first hex digit.
 */

/** 10^13 ms is the year 2286: 13 digits hold every upload time until then. */
export const INVERTED_TIME_LIMIT = 9_999_999_999_999;
const DIGITS = 13;

/** The inverted-time part of an id, for an upload at `ms` milliseconds since 1970. */
export const invertedTime = (ms: number): string => {
  if (!Number.isInteger(ms) || ms < 0 || ms > INVERTED_TIME_LIMIT) throw new RangeError(`upload time ${ms} is not a whole number of milliseconds from 1970 to 2286: check the clock`);
  return String(INVERTED_TIME_LIMIT - ms).padStart(DIGITS, '0');
};

/**
 * Makes batch ids in newest-first key order. Within one process an id is never older than the one
 * before it, even when two uploads share a millisecond or the clock steps back, so uploads through
 * one server list in the order they were answered; across Lambdas, clocks within a millisecond or two
 * of each other order them as closely as they can.
 */
export const batchIdSource = (now: () => Date, random: () => string = () => randomBytes(8).toString('hex')) => {
  let last = -1;
  return (): string => {
    const ms = Math.max(now().getTime(), last + 1);
    last = ms;
    return `b-${invertedTime(ms)}-${random()}`;
  };
};

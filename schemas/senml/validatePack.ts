import { SenmlError } from './errors.ts';
import { checkVersions, readRecord } from './readRecord.ts';
import { limitsOf, profileOf } from './types.ts';
import type { SenmlOptions, SenmlPack } from './types.ts';

/**
 * Checks a pack built in code (or handed over by a caller) by the same record rules the decoders
 * apply, and returns a clean copy holding only known labels. Throws only SenmlError.
 */
export const validatePack = (pack: unknown, options?: SenmlOptions): SenmlPack => {
  if (!Array.isArray(pack)) throw new SenmlError('not-an-array', 'a SenML pack is an array of records');
  const { maxRecords } = limitsOf(options);
  if (pack.length > maxRecords) throw new SenmlError('too-large', `the pack has ${pack.length} records; at most ${maxRecords} are allowed: split it`);
  const profile = profileOf(options);
  const out = pack.map((record: unknown, i) => {
    if (typeof record !== 'object' || record === null || Array.isArray(record)) throw new SenmlError('not-a-record', 'is not an object', i);
    return readRecord(Object.entries(record), 'object', profile, i);
  });
  checkVersions(out);
  return out;
};

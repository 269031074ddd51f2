import type { BusEntry, PutResultEntry } from './bus.ts';

export const MAX_ENTRIES_PER_PUT = 10;
/** PutEvents' entry size limit, counted as AWS documents (see entrySize). */
export const MAX_ENTRY_BYTES = 256 * 1024;

/** The whole request is invalid, as the PutEvents API answers with a ValidationException. */
export class PutEventsValidationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PutEventsValidationError';
  }
}

export const checkEntryCount = (entries: unknown): void => {
  if (!Array.isArray(entries)) throw new PutEventsValidationError('put takes an array of entries');
  if (entries.length === 0) throw new PutEventsValidationError('put needs at least one entry');
  if (entries.length > MAX_ENTRIES_PER_PUT) {
    throw new PutEventsValidationError(`put takes at most ${MAX_ENTRIES_PER_PUT} entries, got ${entries.length}: send them in batches of ${MAX_ENTRIES_PER_PUT}`);
  }
};

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

/** AWS's documented entry size: Time counts 14 bytes, then the UTF-8 bytes of Source, DetailType, Detail and each resource. */
export const entrySize = (entry: BusEntry, detailJson: string): number =>
  (entry.Time ? 14 : 0) + utf8(entry.Source) + utf8(entry.DetailType) + utf8(detailJson) + (entry.Resources ?? []).reduce((n, r) => n + utf8(r), 0);

export type CheckedEntry = { ok: true; entry: BusEntry; detailJson: string } | { ok: false; error: Required<Pick<PutResultEntry, 'ErrorCode' | 'ErrorMessage'>> };

const invalid = (ErrorCode: string, ErrorMessage: string): CheckedEntry => ({ ok: false, error: { ErrorCode, ErrorMessage } });

/**
 * Checks one entry the way PutEvents would and serialises its Detail once. Untyped callers can pass
 * anything here, so every field is checked at run time: a bad entry becomes an error result, never a crash.
 */
export const checkEntry = (raw: unknown): CheckedEntry => {
  if (typeof raw !== 'object' || raw === null) return invalid('InvalidArgument', 'the entry must be an object with Source, DetailType and Detail');
  const entry = raw as Partial<Record<keyof BusEntry, unknown>>;
  if (typeof entry.Source !== 'string' || entry.Source.length === 0) return invalid('InvalidArgument', 'Source is required: a non-empty string such as "lwm2m.fleet"');
  if (typeof entry.DetailType !== 'string' || entry.DetailType.length === 0) return invalid('InvalidArgument', 'DetailType is required: a non-empty string naming the event');
  if (entry.Resources !== undefined && !(Array.isArray(entry.Resources) && entry.Resources.every((r) => typeof r === 'string'))) {
    return invalid('InvalidArgument', 'Resources must be an array of strings (ARNs or ids)');
  }
  if (entry.Time !== undefined && !(entry.Time instanceof Date && !Number.isNaN(entry.Time.getTime()))) {
    return invalid('InvalidArgument', 'Time must be a valid Date');
  }
  const detail = entry.Detail;
  if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
    return invalid('MalformedDetail', 'Detail must be a JSON object, e.g. { "thingName": "m1" }');
  }
  let detailJson: string;
  try {
    detailJson = JSON.stringify(detail);
  } catch (error) {
    return invalid('MalformedDetail', `Detail cannot be serialised as JSON: ${(error as Error).message}`);
  }
  const checked = entry as BusEntry;
  const size = entrySize(checked, detailJson);
  if (size > MAX_ENTRY_BYTES) {
    return invalid('InvalidArgument', `the entry is ${size} bytes; PutEvents accepts at most ${MAX_ENTRY_BYTES} (256 KB): store large payloads elsewhere and put a reference`);
  }
  return { ok: true, entry: checked, detailJson };
};

import type { ObjectStore, ObjectSummary } from '../objectStore/objectStore.ts';
import type { BatchProgress } from './batchProgress.ts';
import { BATCH_LIST_LIMITS } from './batchListSchemas.ts';

export { BATCH_LIST_LIMITS };

/**
 * The provisioning batches, newest first: one per manifest in the uploads area (uploaded through
 * the API or written there directly), with who uploaded it and its progress. The manifests are the
 * source because every batch has one and nothing else lists them all; the ids are random, so the
 * keys are read in full and ordered by upload time here. That costs one listing call per 1000
 * batches, plus a head and a progress read per batch shown: fine for the fleets the embedded system
 * serves; a projection would be the next step past that.
 */

export const MANIFEST_KEY = /^manifests\/(b-[A-Za-z0-9_-]{1,60})\.(csv|json|ndjson)$/;

export interface BatchListItem {
  readonly batchId: string;
  readonly format: 'csv' | 'json' | 'ndjson';
  /** The file name given at upload (`?name=`), when one was. */
  readonly fileName?: string | undefined;
  /** The subject of the token that uploaded it; absent for a manifest written to the uploads area directly. */
  readonly uploadedBy?: string | undefined;
  readonly uploadedAt: string;
  /** PENDING: stored, and its workflow not started yet (or never, when the trigger failed). */
  readonly status: BatchProgress['status'] | 'PENDING';
  readonly progress?: BatchProgress | undefined;
}

export interface BatchListPage {
  readonly items: readonly BatchListItem[];
  readonly nextCursor?: string | undefined;
}

/** Where a page starts: after this manifest in newest-first order. */
interface Position {
  readonly t: number;
  readonly k: string;
}

export const encodeBatchCursor = (p: Position): string => Buffer.from(JSON.stringify(p)).toString('base64url');

/** The position in a cursor, or undefined when it is not one this route wrote. */
export const decodeBatchCursor = (cursor: string): Position | undefined => {
  if (cursor.length > 300 || !/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<Position>;
    return typeof v.t === 'number' && Number.isFinite(v.t) && typeof v.k === 'string' && MANIFEST_KEY.test(v.k) ? { t: v.t, k: v.k } : undefined;
  } catch {
    return undefined;
  }
};

/** Newest first; the key breaks ties so the order (and so every cursor) is total. */
const newestFirst = (a: ObjectSummary, b: ObjectSummary): number => b.lastModified.getTime() - a.lastModified.getTime() || (a.key < b.key ? 1 : a.key > b.key ? -1 : 0);

const isAfter = (o: ObjectSummary, p: Position): boolean => {
  const t = o.lastModified.getTime();
  return t < p.t || (t === p.t && o.key < p.k);
};

/** Metadata values are printable ASCII (S3 headers), so free text is stored percent-encoded. */
export const metadataText = (text: string): string => encodeURIComponent(text);
const readMetadataText = (value: string | undefined): string | undefined => {
  if (value === undefined) return undefined;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
};

const allManifests = async (uploads: ObjectStore): Promise<ObjectSummary[]> => {
  const out: ObjectSummary[] = [];
  let after: string | undefined;
  do {
    const page = await uploads.list('manifests/', { after, limit: 1000 });
    out.push(...page.objects.filter((o) => MANIFEST_KEY.test(o.key)));
    after = page.nextAfter;
  } while (after !== undefined);
  return out;
};

export const listBatches = async (
  deps: { readonly uploads: ObjectStore; readonly progress: (batchId: string) => Promise<BatchProgress | undefined> },
  query: { readonly limit: number; readonly after?: Position | undefined },
): Promise<BatchListPage> => {
  const sorted = (await allManifests(deps.uploads)).sort(newestFirst);
  const rest = query.after ? sorted.filter((o) => isAfter(o, query.after!)) : sorted;
  const shown = rest.slice(0, query.limit);
  const items = await Promise.all(
    shown.map(async (o): Promise<BatchListItem> => {
      const [, batchId, format] = MANIFEST_KEY.exec(o.key)!;
      const [info, progress] = await Promise.all([deps.uploads.head(o.key), deps.progress(batchId!)]);
      return {
        batchId: batchId!,
        format: format as BatchListItem['format'],
        fileName: readMetadataText(info?.metadata.filename),
        uploadedBy: readMetadataText(info?.metadata.uploadedby),
        uploadedAt: o.lastModified.toISOString(),
        status: progress?.status ?? 'PENDING',
        progress,
      };
    }),
  );
  const last = shown.at(-1);
  return { items, nextCursor: last && rest.length > shown.length ? encodeBatchCursor({ t: last.lastModified.getTime(), k: last.key }) : undefined };
};

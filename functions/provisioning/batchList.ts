import type { ObjectInfo, ObjectStore, ObjectSummary } from '../objectStore/objectStore.ts';
import { fromCursorToken, toCursorToken } from '../shared/cursorToken.ts';
import type { BatchProgress } from './batchProgress.ts';
import { BATCH_LIST_LIMITS, MAX_CURSOR_LENGTH } from './batchListSchemas.ts';
import { runPool } from './runPool.ts';

export { BATCH_LIST_LIMITS };

/**
 * The provisioning batches, a page at a time: one per manifest in the uploads area (uploaded through
 * the API or written there directly), with who uploaded it and its progress. The manifests are the
 * source because every batch has one and nothing else lists them all. The list follows the
 * uploads area's own key order, which batchListOrder.ts makes newest first for API uploads, so a
 * page costs one listing call (a few more only when other objects sit among the manifests), plus a
 * head and a progress read per batch shown, on S3 as in the embedded folder store.
 */

export const MANIFEST_PREFIX = 'manifests/';
export const MANIFEST_KEY = /^manifests\/(b-[A-Za-z0-9_-]{1,60})\.(csv|json|ndjson)$/;
const FORMATS = ['csv', 'json', 'ndjson'] as const;
type ManifestFormat = (typeof FORMATS)[number];

export interface BatchUpload {
  /** The file name given at upload (`?name=`), when one was. */
  readonly fileName?: string | undefined;
  /** The subject of the token that uploaded it; absent for a manifest written to the uploads area directly. */
  readonly uploadedBy?: string | undefined;
}

export interface BatchListItem extends BatchUpload {
  readonly batchId: string;
  readonly format: ManifestFormat;
  readonly uploadedAt: string;
  /** PENDING: stored, and its workflow not started yet (or never, when the trigger failed). */
  readonly status: BatchProgress['status'] | 'PENDING';
  readonly progress?: BatchProgress | undefined;
}

export interface BatchListPage {
  readonly items: readonly BatchListItem[];
  readonly nextCursor?: string | undefined;
}

/** Listing calls per page at most: junk under manifests/ slows a page down, never makes it unbounded. */
const MAX_LIST_CALLS = 4;
/** Batches whose metadata and progress are read at once (each is a HEAD and a few workflow reads). */
const READS_AT_ONCE = 8;

/** A cursor is the last key a page covered: the next page lists after it (S3's StartAfter). */
export const encodeBatchCursor = (afterKey: string): string => toCursorToken({ k: afterKey });

/** The key in a cursor, or undefined when it is not one this route wrote. */
export const decodeBatchCursor = (cursor: string): string | undefined => {
  if (cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  const v = fromCursorToken(cursor);
  const k = typeof v === 'object' && v !== null ? (v as { k?: unknown }).k : undefined;
  // Any key under manifests/ (a page can end on a non-manifest object), nothing outside it.
  // eslint-disable-next-line no-control-regex
  return typeof k === 'string' && k.startsWith(MANIFEST_PREFIX) && !/[\u0000-\u001f\u007f]/.test(k) ? k : undefined;
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

/** What the upload route stored beside the manifest (provisioningRoutes.ts writes these names). */
export const uploadOf = (info: ObjectInfo | undefined): BatchUpload => ({
  fileName: readMetadataText(info?.metadata.filename),
  uploadedBy: readMetadataText(info?.metadata.uploadedby),
});

/**
 * The stored manifest of one batch, or undefined when there is none. Listed by prefix rather than
 * headed per format: one call whatever the format, and S3 answers a HEAD of a missing key with 403
 * to a caller whose ListBucket is limited by prefix.
 */
export const findBatchManifest = async (uploads: ObjectStore, batchId: string): Promise<(BatchUpload & { readonly uploadedAt: string; readonly format: ManifestFormat }) | undefined> => {
  const listed = await uploads.list(`${MANIFEST_PREFIX}${batchId}.`, { limit: FORMATS.length });
  const found = listed.objects.find((o) => MANIFEST_KEY.exec(o.key)?.[1] === batchId);
  if (!found) return undefined;
  const info = await uploads.head(found.key);
  if (!info) return undefined;
  return { ...uploadOf(info), uploadedAt: info.lastModified.toISOString(), format: MANIFEST_KEY.exec(found.key)![2] as ManifestFormat };
};

/** Up to `limit + 1` manifests after `after` (the extra one says whether a next page exists), and how far the listing got. */
const manifestsAfter = async (uploads: ObjectStore, limit: number, after: string | undefined): Promise<{ manifests: ObjectSummary[]; scannedTo: string | undefined; more: boolean }> => {
  const manifests: ObjectSummary[] = [];
  let from = after;
  for (let call = 0; call < MAX_LIST_CALLS; call++) {
    // The first call asks for just enough; later ones only happen past other objects, so ask wide.
    const page = await uploads.list(MANIFEST_PREFIX, { after: from, limit: call === 0 ? limit + 1 : 1000 });
    for (const o of page.objects) if (MANIFEST_KEY.test(o.key)) manifests.push(o);
    from = page.nextAfter;
    if (from === undefined) return { manifests, scannedTo: undefined, more: false };
    if (manifests.length > limit) break;
  }
  return { manifests, scannedTo: from, more: true };
};

export const listBatches = async (
  deps: { readonly uploads: ObjectStore; readonly progress: (batchId: string) => Promise<BatchProgress | undefined> },
  query: { readonly limit: number; readonly after?: string | undefined },
): Promise<BatchListPage> => {
  const { manifests, scannedTo, more } = await manifestsAfter(deps.uploads, query.limit, query.after);
  const shown = manifests.slice(0, query.limit);
  const items: BatchListItem[] = new Array<BatchListItem>(shown.length);
  await runPool(
    shown.map((o, index) => ({ o, index })),
    READS_AT_ONCE,
    async ({ o, index }) => {
      const [, batchId, format] = MANIFEST_KEY.exec(o.key)!;
      const [info, progress] = await Promise.all([deps.uploads.head(o.key), deps.progress(batchId!)]);
      items[index] = { batchId: batchId!, format: format as ManifestFormat, ...uploadOf(info), uploadedAt: o.lastModified.toISOString(), status: progress?.status ?? 'PENDING', progress };
    },
  );
  // More manifests than shown: the next page starts after the last one shown. The listing budget ran
  // out first: it starts where the listing stopped (this page may then be short, even empty).
  const next = manifests.length > query.limit ? shown.at(-1)?.key : more ? scannedTo : undefined;
  return { items, nextCursor: next === undefined ? undefined : encodeBatchCursor(next) };
};

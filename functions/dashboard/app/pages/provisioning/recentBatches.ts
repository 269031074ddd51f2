/**
 * Batches uploaded from this browser, newest first: the batch page names the file and says when it
 * was uploaded before the server has started its workflow (GET /provisioning/batches lists every
 * batch once it is stored; this only covers the first moments after an upload).
 */

export interface RecentBatch {
  readonly batchId: string;
  readonly fileName: string;
  readonly uploadedAt: string;
  readonly uploadedBy: string;
}

const KEY = 'fleet-console.recent-batches';
const MAX = 10;

const isRecent = (v: unknown): v is RecentBatch => {
  if (!v || typeof v !== 'object') return false;
  const r = v as Record<string, unknown>;
  return typeof r.batchId === 'string' && typeof r.fileName === 'string' && typeof r.uploadedAt === 'string' && typeof r.uploadedBy === 'string';
};

export const loadRecentBatches = (): RecentBatch[] => {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(KEY) ?? '[]');
    return Array.isArray(parsed) ? parsed.filter(isRecent).slice(0, MAX) : [];
  } catch {
    // Storage off or its content unreadable: the list is a convenience, start it afresh.
    return [];
  }
};

export const rememberBatch = (batch: RecentBatch): void => {
  const next = [batch, ...loadRecentBatches().filter((b) => b.batchId !== batch.batchId)].slice(0, MAX);
  try {
    localStorage.setItem(KEY, JSON.stringify(next));
  } catch {
    // A full or disabled storage loses the list, not the upload.
  }
};

export const recentBatch = (batchId: string): RecentBatch | undefined => loadRecentBatches().find((b) => b.batchId === batchId);

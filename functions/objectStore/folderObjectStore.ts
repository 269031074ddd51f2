import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, rm, rmdir, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { systemClock, type Clock } from '../shared/clock.ts';
import { BodyStreamError, bodyChunks, checkBody, guarded, readAll } from './objectBody.ts';
import { compareKeys, validateListOptions, validateObjectKey, validatePrefix, validatePutOptions } from './objectKey.ts';
import {
  ObjectNotFoundError,
  ObjectStoreError,
  quoteKey,
  type ObjectInfo,
  type ObjectStore,
  type ObjectSummary,
  type StoredObject,
} from './objectStore.ts';
import { createPutListeners, objectCreatedDetail, type ListenerErrorHandler } from './putListeners.ts';

export interface FolderObjectStoreOptions {
  /** The area's own folder, e.g. `<data dir>/objects/uploads`. Created (mode 0700) if missing. */
  readonly root: string;
  /** The area's name, as events and errors show it. */
  readonly area: string;
  /**
   * fsync files and folders before a put or delete resolves (default true), so an acknowledged write
   * survives power loss. Without it a write still survives a killed process.
   */
  readonly durable?: boolean;
  readonly clock?: Clock;
  readonly onListenerError?: ListenerErrorHandler;
  /**
   * Objects of at most this many bytes are kept inside their sidecar (format 2) instead of a version
   * file of their own: one file to write, fsync and rename instead of two. 0 (default) never does;
   * meant for areas of small objects such as device credentials.
   */
  readonly inlineMaxBytes?: number;
}

/*
 * Layout (keys never contain '~', see objectKey.ts, so these names cannot collide with a key's):
 *   <root>/~tmp/<uuid>                   bytes being written; swept at open
 *   <root>/a/b/<name>~<version>.data     an object's bytes, immutable once renamed into place
 *   <root>/a/b/<name>~meta.json          the sidecar: version, size, etag, content type, metadata
 *                                        (format 2: also the bytes, base64, for a small object
 *                                        when inlineMaxBytes allows; it then has no version file)
 * The sidecar's rename is the commit point. A put writes its bytes to a new version file, renames the
 * sidecar over the old one, then deletes older versions; a crash at any step leaves either the old
 * object or the new one, plus at worst an unreferenced version file that the next put or delete of
 * that key removes.
 */
const TMP_DIR = '~tmp';
const META_SUFFIX = '~meta.json';
const DATA_SUFFIX = '.data';

interface Sidecar {
  /** 1: the bytes are in the version file; 2: they are in `inline`. */
  readonly format: 1 | 2;
  readonly key: string;
  readonly version: string;
  readonly size: number;
  readonly etag: string;
  readonly contentType: string;
  readonly metadata: Record<string, string>;
  readonly lastModified: string;
  /** Format 2 only: the object's bytes, base64. */
  readonly inline?: string;
}

const errorCode = (error: unknown) => (error as NodeJS.ErrnoException | undefined)?.code;
const isMissing = (error: unknown) => errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR';

/** For clean-up steps whose target may already be gone. */
const unlessMissing = async (step: Promise<unknown>) => {
  try {
    await step;
  } catch (error) {
    if (!isMissing(error)) throw error;
  }
};

const isSidecar = (value: unknown, key: string): value is Sidecar => {
  const v = value as Partial<Sidecar> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    (v.format === 1 || (v.format === 2 && typeof v.inline === 'string' && Buffer.byteLength(v.inline, 'base64') === v.size)) &&
    v.key === key &&
    typeof v.version === 'string' &&
    /^[0-9a-f]{16}$/.test(v.version) &&
    Number.isSafeInteger(v.size) &&
    typeof v.etag === 'string' &&
    typeof v.contentType === 'string' &&
    typeof v.metadata === 'object' &&
    v.metadata !== null &&
    typeof v.lastModified === 'string'
  );
};

const writeFully = async (file: FileHandle, chunk: Buffer) => {
  let offset = 0;
  while (offset < chunk.length) {
    const { bytesWritten } = await file.write(chunk, offset, chunk.length - offset);
    offset += bytesWritten;
  }
};

const fsyncDir = async (dir: string) => {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
};

/**
 * fsync of folders, shared by the puts that need the same folder synced at about the same time (every
 * new device's credentials folder is an entry of `devices/`). A sync already running may have started
 * before the caller's rename, so a caller that finds one running waits for the next, which everyone
 * arriving meanwhile shares: one fsync per folder per round instead of one per put.
 */
const sharedFolderSync = () => {
  const folders = new Map<string, { running?: Promise<void>; next?: Promise<void> }>();
  const start = (dir: string, state: { running?: Promise<void>; next?: Promise<void> }): Promise<void> => {
    const run: Promise<void> = fsyncDir(dir).finally(() => {
      if (state.running === run) delete state.running;
      if (state.running === undefined && state.next === undefined) folders.delete(dir);
    });
    state.running = run;
    return run;
  };
  return (dir: string): Promise<void> => {
    let state = folders.get(dir);
    if (!state) folders.set(dir, (state = {}));
    const current = state;
    if (current.running === undefined) return start(dir, current);
    current.next ??= current.running
      .catch(() => undefined)
      .then(() => {
        delete current.next;
        return start(dir, current);
      });
    return current.next;
  };
};

/** The embedded adapter: one folder per area, atomic replaces, sidecar metadata. One process owns the folder. */
export const openFolderObjectStore = async (options: FolderObjectStoreOptions): Promise<ObjectStore> => {
  const { root, area, durable = true, clock = systemClock, inlineMaxBytes = 0 } = options;
  if (!Number.isSafeInteger(inlineMaxBytes) || inlineMaxBytes < 0 || inlineMaxBytes > 1024 * 1024) {
    throw new ObjectStoreError(`inlineMaxBytes ${inlineMaxBytes} for ${area} is not valid: use a whole number of bytes from 0 to 1 MiB.`);
  }
  const tmpDir = join(root, TMP_DIR);
  await mkdir(root, { recursive: true, mode: 0o700 });
  // Whatever is in ~tmp was being written when a previous process stopped: it was never an object.
  await rm(tmpDir, { recursive: true, force: true });
  await mkdir(tmpDir, { mode: 0o700 });

  const listeners = createPutListeners(options.onListenerError);

  // Commits and deletes are serialized: they are a few renames, and it keeps "delete the previous
  // version" and "remove empty folders" free of races. Streaming the bytes, the file fsyncs and the
  // fsyncs of folders a put created happen outside the lock.
  let tail: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(work: () => Promise<T>): Promise<T> => {
    const run = tail.then(work);
    tail = run.catch(() => undefined);
    return run;
  };

  const locate = (key: string) => {
    const segments = key.split('/');
    const name = segments.pop()!;
    const dir = join(root, ...segments);
    // Validated keys have no '.', '..' or empty segments; this is the last line of defence.
    if (relative(root, dir).split(sep).includes('..')) throw new ObjectStoreError(`Key ${quoteKey(key)} resolves outside ${area}.`);
    return {
      dir,
      name,
      meta: join(dir, `${name}${META_SUFFIX}`),
      data: (version: string) => join(dir, `${name}~${version}${DATA_SUFFIX}`),
    };
  };

  const fail = (what: string, key: string, error: unknown): never => {
    if (error instanceof ObjectStoreError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new ObjectStoreError(`${what} ${quoteKey(key)} in ${area} failed: ${reason}. Check the folder ${root} (space, permissions).`, {
      cause: error,
    });
  };

  const readSidecar = async (key: string): Promise<Sidecar | undefined> => {
    let text: string;
    try {
      text = await readFile(locate(key).meta, 'utf8');
    } catch (error) {
      if (isMissing(error)) return undefined;
      return fail('Reading', key, error);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!isSidecar(parsed, key)) {
      throw new ObjectStoreError(`The sidecar of ${quoteKey(key)} in ${area} is damaged (${locate(key).meta}): restore it from a backup or delete the object.`);
    }
    return parsed;
  };

  const infoOf = (s: Sidecar): ObjectInfo => ({
    key: s.key,
    size: s.size,
    contentType: s.contentType,
    metadata: { ...s.metadata },
    etag: s.etag,
    lastModified: new Date(s.lastModified),
  });

  /** Deletes this key's version files except `keep` (left behind by a replaced object or a crash). */
  const removeVersions = async (key: string, keep: string | undefined) => {
    const { dir, name } = locate(key);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      if (isMissing(error)) return;
      throw error;
    }
    const mine = `${name}~`;
    const current = keep === undefined ? undefined : `${mine}${keep}${DATA_SUFFIX}`;
    await Promise.all(
      names
        .filter((n) => n.startsWith(mine) && n.endsWith(DATA_SUFFIX) && n !== current)
        .map((n) => unlessMissing(unlink(join(dir, n)))),
    );
  };

  const syncFolder = sharedFolderSync();

  /**
   * A commit's folder entries to disk: the folder holding the renamed files and, for every folder the
   * put created, its entry in the parent. A concurrent delete may have removed the folder since: the
   * object is gone then, and so is the need.
   */
  const syncEntries = async (dir: string, firstCreated: string | undefined) => {
    const dirs = [dir];
    if (firstCreated !== undefined) {
      for (let d = dir; ; d = dirname(d)) {
        dirs.push(dirname(d));
        if (d === firstCreated || d === root) break;
      }
    }
    await Promise.all(dirs.map((d) => unlessMissing(syncFolder(d))));
  };

  /** Folders created by a put whose entries are not yet on disk, with the sync that will put them there. */
  const syncingFolders = new Map<string, Promise<void>>();

  const syncNewFolders = (dir: string, firstCreated: string): Promise<void> => {
    const synced = syncEntries(dir, firstCreated);
    const created: string[] = [];
    for (let d = dir; ; d = dirname(d)) {
      created.push(d);
      syncingFolders.set(d, synced);
      if (d === firstCreated || d === root) break;
    }
    const forget = () => {
      for (const d of created) if (syncingFolders.get(d) === synced) syncingFolders.delete(d);
    };
    void synced.then(forget, forget);
    return synced;
  };

  /** What a put into `dir` must wait for: the entry syncs of `dir` or a parent another put just created. */
  const foldersBeingSynced = async (dir: string): Promise<void> => {
    if (syncingFolders.size === 0) return;
    const pending: Promise<void>[] = [];
    for (let d = dir; ; d = dirname(d)) {
      const synced = syncingFolders.get(d);
      if (synced) pending.push(synced);
      if (d === root || dirname(d) === d) break;
    }
    await Promise.all(pending);
  };

  const writeAll = async (handle: FileHandle, chunks: AsyncIterable<Buffer> | Iterable<Buffer>, onChunk: (chunk: Buffer) => void) => {
    for await (const chunk of chunks) {
      onChunk(chunk);
      await writeFully(handle, chunk);
    }
  };

  const store: ObjectStore = {
    area,

    async put(key, body, putOptions) {
      validateObjectKey(key);
      const checked = validatePutOptions(key, putOptions);
      checkBody(key, body);
      const version = randomBytes(8).toString('hex');
      const tmpData = join(tmpDir, `${randomUUID()}${DATA_SUFFIX}`);
      const tmpMeta = join(tmpDir, `${randomUUID()}.json`);
      const md5 = createHash('md5');
      let size = 0;
      /** Writes and syncs the temp files; returns the sidecar they commit with. */
      const writeTemps = async (): Promise<Sidecar> => {
        const handles: FileHandle[] = [];
        // An error from the caller's stream propagates as it is; the temp files go with it.
        const chunks = guarded(bodyChunks(body))[Symbol.asyncIterator]();
        try {
          const count = (chunk: Buffer) => {
            md5.update(chunk);
            size += chunk.length;
          };
          // Up to inlineMaxBytes are read before deciding: a small object stays in its sidecar.
          const first: Buffer[] = [];
          let tooBig = inlineMaxBytes === 0;
          while (!tooBig) {
            const next = await chunks.next();
            if (next.done) break;
            count(next.value);
            first.push(next.value);
            tooBig = size > inlineMaxBytes;
          }
          if (tooBig) {
            const data = await open(tmpData, 'wx', 0o600);
            handles.push(data);
            for (const chunk of first) await writeFully(data, chunk);
            await writeAll(data, { [Symbol.asyncIterator]: () => chunks }, count);
          }
          const sidecar: Sidecar = {
            format: tooBig ? 1 : 2,
            key,
            version,
            size,
            etag: md5.digest('hex'),
            contentType: checked.contentType,
            metadata: { ...checked.metadata },
            lastModified: clock.now().toISOString(),
            ...(tooBig ? {} : { inline: Buffer.concat(first, size).toString('base64') }),
          };
          const meta = await open(tmpMeta, 'wx', 0o600);
          handles.push(meta);
          await writeFully(meta, Buffer.from(`${JSON.stringify(sidecar, null, 2)}\n`));
          // Every file is on disk before any is renamed into place; their fsyncs run side by side.
          if (durable) await Promise.all(handles.map((h) => h.sync()));
          return sidecar;
        } finally {
          await Promise.all(handles.map((h) => h.close()));
          // Ends the caller's stream too when a write failed before it was read to the end.
          await chunks.return(undefined);
        }
      };
      try {
        const sidecar = await writeTemps();
        const target = locate(key);
        const entriesSynced = await exclusive(async () => {
          const created = await mkdir(target.dir, { recursive: true, mode: 0o700 });
          if (sidecar.format === 1) await rename(tmpData, target.data(version));
          await rename(tmpMeta, target.meta);
          if (created === undefined) {
            // The new sidecar reaches the disk before the versions it replaced are deleted, so a
            // crash leaves the old object or the new one.
            if (durable) await fsyncDir(target.dir);
            await removeVersions(key, version);
            return undefined;
          }
          // A folder this put created holds no older version. Its entries are synced outside the
          // lock, shared with other puts; until then, puts into it wait for that sync too.
          return durable ? syncNewFolders(target.dir, created) : undefined;
        });
        await (entriesSynced ?? foldersBeingSynced(target.dir));
        const detail = objectCreatedDetail(area, key, size, sidecar.etag);
        await listeners.emit(detail);
        return { key, size, etag: sidecar.etag };
      } catch (error) {
        await Promise.all([rm(tmpData, { force: true }), rm(tmpMeta, { force: true })]);
        if (error instanceof BodyStreamError) throw error.original;
        return fail('Writing', key, error);
      }
    },

    async get(key): Promise<StoredObject> {
      validateObjectKey(key);
      // A concurrent put may delete the version we just read about; the sidecar then names a newer one.
      for (let attempt = 0; attempt < 5; attempt++) {
        const sidecar = await readSidecar(key);
        if (!sidecar) throw new ObjectNotFoundError(area, key);
        if (sidecar.inline !== undefined) return { ...infoOf(sidecar), body: Readable.from([Buffer.from(sidecar.inline, 'base64')]) };
        let handle: FileHandle;
        try {
          handle = await open(locate(key).data(sidecar.version), 'r');
        } catch (error) {
          if (isMissing(error)) continue;
          return fail('Reading', key, error);
        }
        return { ...infoOf(sidecar), body: handle.createReadStream() };
      }
      throw new ObjectStoreError(`Object ${quoteKey(key)} in ${area} kept changing while it was read: retry.`);
    },

    async getBytes(key) {
      const { body } = await store.get(key);
      return readAll(body);
    },

    async head(key) {
      validateObjectKey(key);
      const sidecar = await readSidecar(key);
      return sidecar && infoOf(sidecar);
    },

    async delete(key) {
      validateObjectKey(key);
      await exclusive(async () => {
        const target = locate(key);
        try {
          await unlink(target.meta);
        } catch (error) {
          if (!isMissing(error)) return fail('Deleting', key, error);
        }
        await removeVersions(key, undefined);
        if (durable) await unlessMissing(fsyncDir(target.dir));
        // Empty folders are pruned so listing never walks dead branches.
        for (let d = target.dir; d !== root && d.startsWith(root); d = dirname(d)) {
          try {
            await rmdir(d);
          } catch {
            break;
          }
        }
      });
    },

    async list(prefix, listOptions) {
      validatePrefix(prefix);
      const { after, limit } = validateListOptions(listOptions);

      async function* walk(dir: string, keyPrefix: string): AsyncGenerator<string> {
        let entries;
        try {
          entries = await readdir(dir, { withFileTypes: true });
        } catch (error) {
          if (isMissing(error)) return;
          throw error;
        }
        const items: { sortKey: string; name: string; isDir: boolean }[] = [];
        for (const entry of entries) {
          if (entry.isDirectory() && !entry.name.includes('~')) {
            items.push({ sortKey: `${keyPrefix}${entry.name}/`, name: entry.name, isDir: true });
          } else if (entry.isFile() && entry.name.endsWith(META_SUFFIX)) {
            const name = entry.name.slice(0, -META_SUFFIX.length);
            if (name !== '' && !name.includes('~')) items.push({ sortKey: `${keyPrefix}${name}`, name, isDir: false });
          }
        }
        // A folder sorts as its name plus '/': every key below it starts so, which keeps a depth-first
        // walk in exact key order.
        items.sort((a, b) => compareKeys(a.sortKey, b.sortKey));
        for (const item of items) {
          const k = item.sortKey;
          if (item.isDir) {
            if (!k.startsWith(prefix) && !prefix.startsWith(k)) continue;
            if (after !== undefined && compareKeys(k, after) < 0 && !after.startsWith(k)) continue;
            yield* walk(join(dir, item.name), k);
          } else if (k.startsWith(prefix) && (after === undefined || compareKeys(k, after) > 0)) {
            yield k;
          }
        }
      }

      const objects: ObjectSummary[] = [];
      let more = false;
      for await (const key of walk(root, '')) {
        if (objects.length === limit) {
          more = true;
          break;
        }
        const sidecar = await readSidecar(key);
        if (sidecar) objects.push({ key, size: sidecar.size, etag: sidecar.etag, lastModified: new Date(sidecar.lastModified) });
      }
      return { objects, nextAfter: more ? objects.at(-1)?.key : undefined };
    },

    onPut(prefix, listener) {
      return listeners.add(prefix, listener);
    },
  };
  return store;
};

import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { link, mkdir, open, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { inspect } from 'node:util';

export const MASTER_KEY_BYTES = 32;

export class MasterKeyError extends Error {
  override name = 'MasterKeyError';
}

/**
 * A 32-byte AES-256 master key. The bytes sit in a private field: they never show in `inspect`,
 * `JSON.stringify`, string conversion or an error; only the key id (a one-way fingerprint) does.
 */
export class MasterKey {
  readonly #bytes: Buffer;
  /** 8 bytes, stored in every object's header so a reader knows which key wrote it. */
  readonly idBytes: Buffer;
  /** The key id in hex, safe to log. */
  readonly id: string;

  private constructor(bytes: Buffer) {
    this.#bytes = bytes;
    this.idBytes = createHmac('sha256', bytes).update('lwm2m-fleet object store key id v1').digest().subarray(0, 8);
    this.id = this.idBytes.toString('hex');
  }

  static fromBytes(bytes: Uint8Array): MasterKey {
    if (bytes.length !== MASTER_KEY_BYTES) throw new MasterKeyError(`A master key is exactly ${MASTER_KEY_BYTES} bytes, not ${bytes.length}.`);
    return new MasterKey(Buffer.from(bytes));
  }

  static generate(): MasterKey {
    return new MasterKey(randomBytes(MASTER_KEY_BYTES));
  }

  /**
   * A key for one object, derived with HKDF-SHA256 from the master key and the object's random IV:
   * no two objects share a data key, so GCM's nonce limits per key never come into play.
   */
  deriveObjectKey(iv: Buffer): Buffer {
    return Buffer.from(hkdfSync('sha256', this.#bytes, iv, 'lwm2m-fleet object store data key v1', 32));
  }

  toJSON() {
    return { masterKeyId: this.id };
  }

  toString() {
    return `MasterKey(${this.id})`;
  }

  [inspect.custom]() {
    return this.toString();
  }
}

const code = (error: unknown) => (error as NodeJS.ErrnoException | undefined)?.code;

const readKeyFile = async (file: string): Promise<MasterKey> => {
  const handle = await open(file, 'r');
  try {
    // fstat of the opened file: what is checked is what is read.
    const stats = await handle.stat();
    if (!stats.isFile()) throw new MasterKeyError(`Master key ${file} is not a regular file: point the key file setting at the key itself.`);
    if (process.platform !== 'win32' && (stats.mode & 0o077) !== 0) {
      throw new MasterKeyError(
        `Master key ${file} is accessible to group or others (mode ${(stats.mode & 0o777).toString(8).padStart(4, '0')}): ` +
          `run chmod 600 ${file}, and treat the key as exposed if others could read it.`,
      );
    }
    if (stats.size !== MASTER_KEY_BYTES) {
      throw new MasterKeyError(
        `Master key ${file} is ${stats.size} bytes, not ${MASTER_KEY_BYTES}: restore the original key file ` +
          '(objects written with it cannot be read with any other), or move it away to start with a new key.',
      );
    }
    const bytes = Buffer.alloc(MASTER_KEY_BYTES);
    const { bytesRead } = await handle.read(bytes, 0, MASTER_KEY_BYTES, 0);
    if (bytesRead !== MASTER_KEY_BYTES) throw new MasterKeyError(`Master key ${file} changed while it was read: retry.`);
    return MasterKey.fromBytes(bytes);
  } finally {
    await handle.close();
  }
};

/**
 * Loads the master key from `file`, or creates it (32 random bytes, mode 0600, folder 0700) when the
 * file does not exist. Refuses a file of the wrong size or one that group or others may access.
 */
export const loadOrCreateMasterKey = async (file: string): Promise<MasterKey> => {
  try {
    return await readKeyFile(file);
  } catch (error) {
    if (code(error) !== 'ENOENT') {
      if (error instanceof MasterKeyError) throw error;
      throw new MasterKeyError(`Cannot read master key ${file}: ${(error as Error).message}`, { cause: error });
    }
  }
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const key = randomBytes(MASTER_KEY_BYTES);
  // Written whole to a temp file, then linked into place: a crash never leaves a short key file, and
  // link fails when another process created the key first.
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(key);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await link(temp, file);
    } catch (error) {
      if (code(error) === 'EEXIST') return await readKeyFile(file);
      throw error;
    }
    const dir = await open(dirname(file), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch (error) {
    if (error instanceof MasterKeyError) throw error;
    throw new MasterKeyError(`Cannot create master key ${file}: ${(error as Error).message}`, { cause: error });
  } finally {
    await rm(temp, { force: true });
  }
  return MasterKey.fromBytes(key);
};

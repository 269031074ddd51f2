import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { ThingName } from '../../events/catalog/common.ts';
import { checkPskIdentity, PSK_KEY_MAX_BYTES, PSK_KEY_MIN_BYTES } from '../../schemas/manifest/fieldRules.ts';
import { ObjectNotFoundError, type ObjectStore } from '../objectStore/objectStore.ts';
import { credentialKeys } from '../provisioning/batchObjects.ts';

/**
 * A device's DTLS pre-shared key: the identity it sends in its handshake and the secret both sides
 * hold. It lives in the credentials area (encrypted at rest, ADR 0004) at `devices/<thing>/psk.json`,
 * the object provisioning writes for a manifest's `pskIdentity`/`pskKey` columns and deprovisioning
 * deletes, as `{ "identity": "...", "key": "<hex>" }`.
 *
 * An identity other than the thing name also gets an index object, `psk-identities/<sha256>.json`
 * (the identity hashed, since identities may hold characters object keys refuse), so the DTLS
 * server can find the device from what the handshake says. The record stays the authority: an
 * index entry whose device's record now holds another identity is stale and ignored.
 */

/** RFC 7925 §4.2: at least 128 bits. */
export const DEFAULT_PSK_BYTES = 16;

const IDENTITY_INDEX_PREFIX = 'psk-identities/';

export const pskIndexKey = (identity: string): string => `${IDENTITY_INDEX_PREFIX}${createHash('sha256').update(identity, 'utf8').digest('hex')}.json`;

const StoredPsk = z.object({
  identity: z.string().refine((v) => checkPskIdentity(v) === undefined, 'not a PSK identity'),
  key: z
    .string()
    .regex(/^(?:[0-9a-fA-F]{2})+$/, 'not hex')
    .refine((v) => v.length >= PSK_KEY_MIN_BYTES * 2 && v.length <= PSK_KEY_MAX_BYTES * 2, 'wrong length'),
});

const StoredIndex = z.object({ identity: z.string(), thingName: ThingName });

export interface DevicePsk {
  readonly thingName: string;
  readonly identity: string;
  readonly key: Buffer;
}

/** A stored PSK object that cannot be used; the message names the object, never its contents. */
export class StoredPskUnreadable extends Error {
  override name = 'StoredPskUnreadable';
}

/** The identity is another device's: two devices cannot share one (the server could not tell them apart). */
export class PskIdentityTaken extends Error {
  override name = 'PskIdentityTaken';
  constructor(
    message: string,
    /** The device that holds the identity. */
    readonly holder: string,
  ) {
    super(message);
  }
}

/** The thing name, identity or key given to issueDevicePsk breaks a rule; nothing was stored. */
export class InvalidPskRequest extends Error {
  override name = 'InvalidPskRequest';
}

const readJson = async (store: ObjectStore, key: string): Promise<unknown> => {
  let bytes: Buffer;
  try {
    bytes = await store.getBytes(key);
  } catch (error) {
    if (error instanceof ObjectNotFoundError) return undefined;
    throw error;
  }
  // JSON.parse quotes the text it fails on, and this text holds a key: never let its message out.
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch {
    throw new StoredPskUnreadable(`${store.area}/${key} is not JSON: issue the device's PSK again (issueDevicePsk) or re-upload its manifest row`);
  }
};

/** The device's PSK, or undefined when it has none. A stored object that is not a PSK throws StoredPskUnreadable. */
export const readDevicePsk = async (credentials: ObjectStore, thingName: string): Promise<DevicePsk | undefined> => {
  const key = credentialKeys.psk(thingName);
  const json = await readJson(credentials, key);
  if (json === undefined) return undefined;
  const parsed = StoredPsk.safeParse(json);
  if (!parsed.success) {
    // Issue paths only, never values: the object holds a secret.
    const fields = parsed.error.issues.map((i) => `${i.path.join('.') || 'object'}: ${i.message}`).join('; ');
    throw new StoredPskUnreadable(`${credentials.area}/${key} is not { identity, key (hex, ${PSK_KEY_MIN_BYTES}-${PSK_KEY_MAX_BYTES} bytes) } (${fields}): issue the device's PSK again`);
  }
  return { thingName, identity: parsed.data.identity, key: Buffer.from(parsed.data.key, 'hex') };
};

/** Which device holds `identity`: its index entry when the record behind it agrees, else the device of that name when its record does. */
export const deviceForIdentity = async (credentials: ObjectStore, identity: string): Promise<DevicePsk | undefined> => {
  const index = StoredIndex.safeParse(await readJson(credentials, pskIndexKey(identity)));
  if (index.success && index.data.identity === identity) {
    const psk = await readDevicePsk(credentials, index.data.thingName);
    if (psk?.identity === identity) return psk;
  }
  if (!ThingName.safeParse(identity).success) return undefined;
  const psk = await readDevicePsk(credentials, identity);
  return psk?.identity === identity ? psk : undefined;
};

export interface IssueDevicePskRequest {
  /** The encrypted credentials area. */
  readonly credentials: ObjectStore;
  readonly thingName: string;
  /** What the device sends as its PSK identity. Default: the thing name (RFC 7925 §4.2 leaves it to the deployment). */
  readonly identity?: string;
  /** The secret, as bytes or hex (a manifest's `pskKey`), 16 to 64 bytes. Default: 16 random bytes. */
  readonly key?: Buffer | string;
}

export interface IssuedDevicePsk {
  readonly thingName: string;
  readonly identity: string;
  /**
   * `issued`: a new PSK was stored. `kept`: the device already had one and no key was asked for, so
   * it keeps it (a device cannot learn a new random key over the air). `replaced`: a given identity
   * or key differs from the stored one. `unchanged`: the given identity and key are the stored ones.
   */
  readonly outcome: 'issued' | 'kept' | 'replaced' | 'unchanged';
}

const toKey = (key: Buffer | string): Buffer => {
  let bytes: Buffer;
  if (typeof key === 'string') {
    // The message never quotes the value: it is a secret.
    if (!/^(?:[0-9a-fA-F]{2})*$/.test(key)) throw new InvalidPskRequest('the PSK key must be hex digits in pairs (no "0x", no spaces), or a Buffer');
    bytes = Buffer.from(key, 'hex');
  } else bytes = Buffer.from(key);
  if (bytes.length < PSK_KEY_MIN_BYTES || bytes.length > PSK_KEY_MAX_BYTES) {
    throw new InvalidPskRequest(`the PSK key is ${bytes.length} bytes; use ${PSK_KEY_MIN_BYTES} to ${PSK_KEY_MAX_BYTES} (RFC 7925 §4.2 asks for at least 16)`);
  }
  return bytes;
};

const sameKey = (a: Buffer, b: Buffer) => a.length === b.length && timingSafeEqual(a, b);

/**
 * Gives a device its PSK, or confirms the one it has. Safe to call again with the same arguments
 * (a manifest uploaded twice): nothing changes. Without a key, a device that already has a PSK
 * keeps it. An identity another device holds is refused with PskIdentityTaken. The result never
 * carries the key: read it with readDevicePsk where it must be handed to the device's maker.
 *
 * Two concurrent calls giving two devices the same new identity can both succeed; provisioning
 * calls this once per manifest row, and a manifest refuses a repeated identity itself.
 */
export const issueDevicePsk = async (request: IssueDevicePskRequest): Promise<IssuedDevicePsk> => {
  const { credentials } = request;
  const thingName = ThingName.safeParse(request.thingName);
  if (!thingName.success) throw new InvalidPskRequest(`cannot issue a PSK for ${JSON.stringify(String(request.thingName)).slice(0, 140)}: ${thingName.error.issues[0]?.message ?? 'not a thing name'}`);
  const thing = thingName.data;
  const identity = request.identity ?? thing;
  const badIdentity = checkPskIdentity(identity);
  if (badIdentity !== undefined) throw new InvalidPskRequest(`the PSK identity for ${thing} is refused: ${badIdentity.message} ${badIdentity.hint}`);
  const given = request.key === undefined ? undefined : toKey(request.key);

  const current = await readDevicePsk(credentials, thing);
  if (current !== undefined && given === undefined && (request.identity === undefined || request.identity === current.identity)) {
    return { thingName: thing, identity: current.identity, outcome: 'kept' };
  }
  // A new identity alone keeps the device's key: it is what the device already holds.
  const key = given ?? current?.key ?? randomBytes(DEFAULT_PSK_BYTES);
  if (current !== undefined && current.identity === identity && sameKey(current.key, key)) {
    return { thingName: thing, identity, outcome: 'unchanged' };
  }
  const holder = await deviceForIdentity(credentials, identity);
  if (holder !== undefined && holder.thingName !== thing) {
    throw new PskIdentityTaken(`the PSK identity ${JSON.stringify(identity)} already belongs to ${holder.thingName}: give ${thing} another identity, or issue ${holder.thingName} a new one first`, holder.thingName);
  }
  // The index first: a record is never reachable by its identity only through a missing index entry.
  if (identity !== thing) {
    await credentials.put(pskIndexKey(identity), JSON.stringify({ identity, thingName: thing }), { contentType: 'application/json' });
  }
  await credentials.put(credentialKeys.psk(thing), JSON.stringify({ identity, key: key.toString('hex') }), { contentType: 'application/json' });
  return { thingName: thing, identity, outcome: current === undefined ? 'issued' : 'replaced' };
};

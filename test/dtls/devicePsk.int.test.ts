import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceStatus } from '../../events/projections/devices.ts';
import { InvalidPskRequest, issueDevicePsk, PskIdentityTaken, pskIndexKey, readDevicePsk, StoredPskUnreadable } from '../../functions/dtls/devicePsk.ts';
import { createDevicePskLookup } from '../../functions/dtls/devicePskLookup.ts';
import { followProvisionedDevicePsks } from '../../functions/dtls/provisionedDevicePsks.ts';
import { openSqlite, type SqliteDatabase } from '../../functions/eventStore/sqliteDatabase.ts';
import { createSqliteEventStore, type SqliteEventStore } from '../../functions/eventStore/sqliteEventStore.ts';
import { openEmbeddedObjectStores } from '../../functions/objectStore/embeddedObjectStores.ts';
import type { ObjectStore } from '../../functions/objectStore/objectStore.ts';
import { provisioningEvent } from '../../functions/provisioning/provisioningEvents.ts';

/**
 * Per-device PSKs in the real encrypted credentials area (a folder under a master key): issuing,
 * re-issuing, identities other than the thing name, the lookup the DTLS server uses, and the
 * follower that gives provisioned devices a PSK until provisioning does it itself.
 */

const dir = mkdtempSync(join(tmpdir(), 'device-psk-'));
let credentials: ObjectStore;
let db: SqliteDatabase;
let events: SqliteEventStore;
const statuses = new Map<string, DeviceStatus>();
const lookup = (identity: string | Buffer) =>
  createDevicePskLookup({ credentials, deviceStatus: (thing) => Promise.resolve(statuses.get(thing)) })(Buffer.isBuffer(identity) ? identity : Buffer.from(identity));

beforeAll(async () => {
  ({ credentials } = await openEmbeddedObjectStores({ dataDir: dir }));
  db = openSqlite({ file: join(dir, 'fleet.db'), synchronous: 'NORMAL' });
  events = createSqliteEventStore(db);
});
afterAll(async () => {
  await events?.close();
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Every byte the credentials folder holds on disk. */
const rawCredentialFiles = (): Buffer => {
  const root = join(dir, 'objects', 'credentials');
  return Buffer.concat(readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => readFileSync(join(e.parentPath, e.name))));
};

describe('issueDevicePsk', () => {
  it('issues a random 16-byte key under the thing name, stored encrypted, and keeps it when asked again', async () => {
    expect(await issueDevicePsk({ credentials, thingName: 'lamp-1' })).toEqual({ thingName: 'lamp-1', identity: 'lamp-1', outcome: 'issued' });
    const psk = await readDevicePsk(credentials, 'lamp-1');
    expect(psk?.identity).toBe('lamp-1');
    expect(psk?.key).toHaveLength(16);
    const raw = rawCredentialFiles();
    expect(raw.includes(Buffer.from(psk!.key.toString('hex')))).toBe(false);
    expect(raw.includes(psk!.key)).toBe(false);

    expect(await issueDevicePsk({ credentials, thingName: 'lamp-1' })).toMatchObject({ outcome: 'kept' });
    expect((await readDevicePsk(credentials, 'lamp-1'))?.key.equals(psk!.key)).toBe(true);
    // Two devices never share a random key.
    await issueDevicePsk({ credentials, thingName: 'lamp-2' });
    expect((await readDevicePsk(credentials, 'lamp-2'))?.key.equals(psk!.key)).toBe(false);
  });

  it('takes a given key (hex or bytes): replaced when it differs, unchanged when it is the stored one', async () => {
    const hex = '000102030405060708090A0B0C0D0E0F';
    expect(await issueDevicePsk({ credentials, thingName: 'lamp-3', key: hex })).toMatchObject({ outcome: 'issued' });
    expect(await issueDevicePsk({ credentials, thingName: 'lamp-3', key: Buffer.from(hex, 'hex') })).toMatchObject({ outcome: 'unchanged' });
    expect(await issueDevicePsk({ credentials, thingName: 'lamp-3', key: 'ff'.repeat(32) })).toMatchObject({ outcome: 'replaced' });
    expect((await readDevicePsk(credentials, 'lamp-3'))?.key).toEqual(Buffer.alloc(32, 0xff));
  });

  it('gives a device its own identity; the lookup finds the device by it, and no longer by the old one', async () => {
    const before = await readDevicePsk(credentials, 'lamp-2');
    expect(await issueDevicePsk({ credentials, thingName: 'lamp-2', identity: 'SN/0002' })).toEqual({ thingName: 'lamp-2', identity: 'SN/0002', outcome: 'replaced' });
    expect((await readDevicePsk(credentials, 'lamp-2'))?.key.equals(before!.key)).toBe(true);
    statuses.set('lamp-2', 'provisioned');
    expect(await lookup('SN/0002')).toMatchObject({ thingName: 'lamp-2', identity: 'SN/0002' });
    expect(await lookup('lamp-2')).toBeUndefined();

    // Back to the thing name: the index entry for SN/0002 stays behind but no longer leads anywhere.
    await issueDevicePsk({ credentials, thingName: 'lamp-2', identity: 'lamp-2' });
    expect(await credentials.head(pskIndexKey('SN/0002'))).toBeDefined();
    expect(await lookup('SN/0002')).toBeUndefined();
    expect(await lookup('lamp-2')).toMatchObject({ thingName: 'lamp-2' });
  });

  it("refuses an identity another device holds, under its own name or as another device's name", async () => {
    await issueDevicePsk({ credentials, thingName: 'lamp-4', identity: 'shared-id' });
    await expect(issueDevicePsk({ credentials, thingName: 'lamp-5', identity: 'shared-id' })).rejects.toThrow(PskIdentityTaken);
    await expect(issueDevicePsk({ credentials, thingName: 'lamp-5', identity: 'lamp-1' })).rejects.toThrow(/already belongs to lamp-1/);
    expect(await readDevicePsk(credentials, 'lamp-5')).toBeUndefined();
  });

  it('refuses bad input with a message that names the rule and never the key', async () => {
    const short = 'abcdef0123456789';
    const error = await issueDevicePsk({ credentials, thingName: 'lamp-6', key: short }).then(
      () => new Error('issued'),
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(InvalidPskRequest);
    expect(error.message).toMatch(/8 bytes; use 16 to 64/);
    expect(error.message).not.toContain(short);
    await expect(issueDevicePsk({ credentials, thingName: 'lamp-6', key: '0xzz' })).rejects.toThrow(/hex digits in pairs/);
    await expect(issueDevicePsk({ credentials, thingName: 'lamp-6', identity: 'has space' })).rejects.toThrow(/printable ASCII/);
    await expect(issueDevicePsk({ credentials, thingName: 'bad name' })).rejects.toThrow(InvalidPskRequest);
    expect(await readDevicePsk(credentials, 'lamp-6')).toBeUndefined();
  });
});

describe('the DTLS PSK lookup', () => {
  it('answers only for devices in the fleet now, and nothing for identities no device holds', async () => {
    statuses.set('lamp-1', 'provisioned');
    const key = (await readDevicePsk(credentials, 'lamp-1'))!.key;
    expect((await lookup('lamp-1'))?.key.equals(key)).toBe(true);
    statuses.set('lamp-1', 'bootstrapped');
    expect((await lookup('lamp-1'))?.thingName).toBe('lamp-1');
    statuses.set('lamp-1', 'deprovisioned');
    expect(await lookup('lamp-1')).toBeUndefined();
    expect(await lookup('lamp-3')).toBeUndefined(); // a PSK, but never provisioned
    expect(await lookup('nobody')).toBeUndefined();
    expect(await lookup(Buffer.from([0x6c, 0x00, 0x61]))).toBeUndefined();
    expect(await lookup(Buffer.from('ä'))).toBeUndefined();
    expect(await lookup(Buffer.alloc(0))).toBeUndefined();
  });

  it('reads what provisioning stores for a manifest row ({ identity, key } in upper-case hex)', async () => {
    await credentials.put('devices/meter-1/psk.json', JSON.stringify({ identity: 'meter-1', key: 'ABCDEF'.repeat(6) }));
    statuses.set('meter-1', 'provisioned');
    expect((await lookup('meter-1'))?.key).toEqual(Buffer.from('abcdef'.repeat(6), 'hex'));
  });

  it('fails (the handshake gets internal_error) on a stored object that is not a PSK, without quoting it', async () => {
    await credentials.put('devices/meter-2/psk.json', '{"identity":"meter-2","key":"secret-not-hex"');
    statuses.set('meter-2', 'provisioned');
    const error = await lookup('meter-2').then(
      () => new Error('found'),
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(StoredPskUnreadable);
    expect(error.message).toContain('credentials/devices/meter-2/psk.json');
    expect(error.message).not.toContain('secret');
  });
});

describe('followProvisionedDevicePsks', () => {
  const provisioned = (thingName: string) => ({
    streamId: `device-${thingName}`,
    expectedVersion: 'any' as const,
    events: [provisioningEvent('DeviceProvisioned', { thingName, tenant: 't', location: { latitude: 55.7, longitude: 13.2 }, attributes: {}, certificateId: `c-${thingName}` }, [thingName], 'b1')],
  });
  const deprovisioned = (thingName: string) => ({
    streamId: `device-${thingName}`,
    expectedVersion: 'any' as const,
    events: [provisioningEvent('DeviceDeprovisioned', { thingName }, [thingName, 'gone'], 'd1')],
  });
  const silent = { info: () => undefined, error: () => undefined };

  it('issues PSKs for devices provisioned before it (from the list it is given) and after it (from the store), and removes them on deprovisioning', async () => {
    await events.append(provisioned('old-1'));
    const after = events.headPosition();
    const ended: string[] = [];
    const follower = followProvisionedDevicePsks({ events, credentials, after, existing: ['old-1', 'lamp-1'], onDeprovisioned: (t) => ended.push(t), log: silent, pageSize: 2 });
    try {
      await follower.settled();
      expect((await readDevicePsk(credentials, 'old-1'))?.key).toHaveLength(16);
      expect(follower.issued).toBe(1); // lamp-1 had one already

      await events.append(provisioned('new-1'));
      await events.append(provisioned('new-2'));
      await events.append(provisioned('new-3'));
      await follower.settled();
      expect(follower.issued).toBe(4);
      for (const t of ['new-1', 'new-2', 'new-3']) expect((await readDevicePsk(credentials, t))?.identity).toBe(t);

      await events.append(deprovisioned('new-2'));
      await follower.settled();
      expect(await readDevicePsk(credentials, 'new-2')).toBeUndefined();
      expect(ended).toEqual(['new-2']);
    } finally {
      await follower.stop();
    }
  });

  it('logs a device it cannot give a PSK and carries on with the next', async () => {
    await issueDevicePsk({ credentials, thingName: 'holder-1', identity: 'taken-1' });
    const errors: object[] = [];
    const follower = followProvisionedDevicePsks({ events, credentials, after: events.headPosition(), existing: [], log: { info: () => undefined, error: (d) => errors.push(d) } });
    try {
      await events.append(provisioned('taken-1'));
      await events.append(provisioned('next-1'));
      await follower.settled();
      expect(errors).toEqual([expect.objectContaining({ thingName: 'taken-1', err: expect.stringMatching(/PskIdentityTaken/) as unknown })]);
      expect((await readDevicePsk(credentials, 'next-1'))?.identity).toBe('next-1');
    } finally {
      await follower.stop();
    }
  });
});

import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { issueLocalToken } from '../../functions/api/auth/cliToken.ts';
import { issuerKeyFile, loadOrCreateLocalIssuer, MAX_TOKEN_TTL_SECONDS } from '../../functions/api/auth/localIssuer.ts';
import type { Role } from '../../functions/api/auth/roles.ts';
import { LOCAL_AUDIENCE, LOCAL_ISSUER } from '../../functions/api/auth/tokenProfiles.ts';
import { manualClock, systemClock } from '../../functions/shared/clock.ts';

const root = mkdtempSync(join(tmpdir(), 'issuer-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `d${++n}`);

describe('the local token issuer', () => {
  it('creates its ES256 key once, owner-only, and signs tokens that verify after a restart', async () => {
    const dataDir = freshDir();
    const first = await loadOrCreateLocalIssuer({ dataDir, clock: systemClock });
    const file = issuerKeyFile(dataDir);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, 'auth')).mode & 0o077).toBe(0);
    const onDisk = readFileSync(file, 'utf8');
    expect(JSON.parse(onDisk)).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', kid: first.keyId });
    expect(first.publicJwk).not.toHaveProperty('d');

    const token = await first.issue('operator', 'ada@example.com');
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256', kid: first.keyId, typ: 'JWT' });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ iss: LOCAL_ISSUER, aud: LOCAL_AUDIENCE, sub: 'ada@example.com', roles: ['operator'] });
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(3600);

    const second = await loadOrCreateLocalIssuer({ dataDir, clock: systemClock });
    expect(second.keyId).toBe(first.keyId);
    expect(readFileSync(file, 'utf8')).toBe(onDisk);
    expect(await second.verifier.verify(token)).toMatchObject({ subject: 'ada@example.com', roles: ['operator'] });
  });

  it('ends with one key when several processes start on a fresh data dir at once', async () => {
    const dataDir = freshDir();
    const issuers = await Promise.all(Array.from({ length: 5 }, () => loadOrCreateLocalIssuer({ dataDir, clock: systemClock })));
    expect(new Set(issuers.map((i) => i.keyId)).size).toBe(1);
    const token = await issuers[3]!.issue('viewer', 'kim');
    await expect(issuers[0]!.verifier.verify(token)).resolves.toMatchObject({ roles: ['viewer'] });
  });

  it('refuses a key file others can read, and a file that is not a key, saying what to do', async () => {
    const dataDir = freshDir();
    await loadOrCreateLocalIssuer({ dataDir, clock: systemClock });
    const file = issuerKeyFile(dataDir);
    chmodSync(file, 0o644);
    await expect(loadOrCreateLocalIssuer({ dataDir, clock: systemClock })).rejects.toThrow(/mode 644\): run chmod 600/);
    writeFileSync(file, '{"kty":"oct","k":"c2VjcmV0"}', { mode: 0o600 });
    chmodSync(file, 0o600);
    await expect(loadOrCreateLocalIssuer({ dataDir, clock: systemClock })).rejects.toThrow(/not an ES256 private key .*delete it to create a new key/);
    writeFileSync(file, '{ half', { mode: 0o600 });
    await expect(loadOrCreateLocalIssuer({ dataDir, clock: systemClock })).rejects.toThrow(/is not JSON/);
  });

  it('refuses a role, subject or lifetime it cannot issue', async () => {
    const issuer = await loadOrCreateLocalIssuer({ dataDir: freshDir(), clock: systemClock });
    await expect(issuer.issue('root' as Role, 'ada')).rejects.toThrow('"root" is not a role: use one of admin, operator, viewer.');
    await expect(issuer.issue('admin', '')).rejects.toThrow(/not a usable subject/);
    await expect(issuer.issue('admin', 'has space')).rejects.toThrow(/not a usable subject/);
    await expect(issuer.issue('admin', 'ada', { ttlSeconds: 0 })).rejects.toThrow(/1 to 604800 seconds/);
    await expect(issuer.issue('admin', 'ada', { ttlSeconds: MAX_TOKEN_TTL_SECONDS + 1 })).rejects.toThrow(/a week/);
  });

  it('tokens expire by the clock the issuer and the verifier share', async () => {
    const clock = manualClock('2026-05-01T08:00:00.000Z');
    const issuer = await loadOrCreateLocalIssuer({ dataDir: freshDir(), clock });
    const token = await issuer.issue('admin', 'ada', { ttlSeconds: 60 });
    await expect(issuer.verifier.verify(token)).resolves.toMatchObject({ expiresAt: new Date('2026-05-01T08:01:00.000Z') });
    clock.advance(66_000); // past the expiry and the 5 s tolerance
    await expect(issuer.verifier.verify(token)).rejects.toMatchObject({ kind: 'token-expired' });
  });
});

describe('issueLocalToken (what the CLI calls)', () => {
  it('prints a token for a role that the running system accepts, with its expiry', async () => {
    const dataDir = freshDir();
    const system = await loadOrCreateLocalIssuer({ dataDir, clock: systemClock });
    const issued = await issueLocalToken({ dataDir, role: 'Viewer', subject: 'dashboard', ttlSeconds: 600 });
    expect(issued.expiresAt.getTime() - Date.now()).toBeGreaterThan(590_000);
    await expect(system.verifier.verify(issued.token)).resolves.toMatchObject({ subject: 'dashboard', roles: ['viewer'] });
  });

  it('says which roles there are when given another', async () => {
    await expect(issueLocalToken({ dataDir: freshDir(), role: 'superuser', subject: 'x' })).rejects.toThrow(/use one of admin, operator, viewer/);
  });
});

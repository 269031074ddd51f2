import { generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { bearerChallenge, AuthFailure } from '../../functions/api/auth/authFailure.ts';
import { authorize, type AccessDecision } from '../../functions/api/auth/authorize.ts';
import { PERMISSIONS, permissionTable } from '../../functions/api/auth/permissions.ts';
import { parseRole, ROLES, type Role } from '../../functions/api/auth/roles.ts';
import { LOCAL_AUDIENCE, LOCAL_ISSUER, localProfile } from '../../functions/api/auth/tokenProfiles.ts';
import { createTokenVerifier, type TokenVerifier } from '../../functions/api/auth/tokenVerifier.ts';
import { manualClock } from '../../functions/shared/clock.ts';
import { EXPECTED_ACCESS as EXPECTED } from './expectedRoles.ts';

const clock = manualClock('2026-03-01T12:00:00.000Z');
const table = permissionTable();
let privateKey: CryptoKey;
let verifier: TokenVerifier;

beforeAll(async () => {
  const pair = await generateKeyPair('ES256');
  privateKey = pair.privateKey;
  verifier = createTokenVerifier({ key: pair.publicKey, profile: localProfile, clock });
});

const sign = (roles: unknown) =>
  new SignJWT({ roles })
    .setProtectedHeader({ alg: 'ES256' })
    .setIssuer(LOCAL_ISSUER)
    .setAudience(LOCAL_AUDIENCE)
    .setSubject('ada')
    .setIssuedAt(clock.now())
    .setExpirationTime(new Date(clock.now().getTime() + 60_000))
    .sign(privateKey);

const decide = async (method: string, route: string, roles?: unknown): Promise<AccessDecision> =>
  authorize(table, verifier, { method, route, authorization: roles === undefined ? undefined : `Bearer ${await sign(roles)}` });

const refusal = (d: AccessDecision) => (d.allowed ? undefined : d.failure.kind);

describe('the permission table', () => {
  it('holds exactly the routes of the issue, planned ones included, with exactly their roles', () => {
    const actual = Object.fromEntries(PERMISSIONS.map((p) => [`${p.method} ${p.route}`, p.access === 'public' ? 'public' : [...p.roles].sort()]));
    expect(actual).toEqual(Object.fromEntries(Object.entries(EXPECTED).map(([k, v]) => [k, v === 'public' ? v : [...v].sort()])));
  });

  it('refuses a table with two entries for one route, or an entry no role may use', () => {
    expect(() => permissionTable([...PERMISSIONS, { method: 'GET', route: '/devices', access: 'roles', roles: ['admin'] }])).toThrow(/two entries for GET \/devices/);
    expect(() => permissionTable([{ method: 'GET', route: '/x', access: 'roles', roles: [] }])).toThrow(/allows no role/);
  });
});

describe('authorize: every role against every entry', () => {
  const cases = Object.entries(EXPECTED).flatMap(([key, allowed]) => ROLES.map((role) => ({ key, role, allowed })));

  it.each(cases)('$role on $key', async ({ key, role, allowed }) => {
    const [method = '', route = ''] = key.split(' ');
    const decision = await decide(method, route, [role]);
    if (allowed === 'public' || allowed.includes(role)) {
      expect(decision).toMatchObject({ allowed: true });
      if (allowed !== 'public') expect(decision.allowed && decision.principal).toMatchObject({ subject: 'ada', roles: [role] });
    } else {
      expect(refusal(decision)).toBe('forbidden');
      expect(!decision.allowed && decision.failure.detail).toContain(`needs the role ${(allowed as Role[]).join(' or ')}`);
    }
  });

  it('lets anyone reach the public routes without a token, and no one any other route', async () => {
    expect(await decide('GET', '/health')).toMatchObject({ allowed: true });
    expect(await decide('GET', '/openapi.json')).toMatchObject({ allowed: true });
    for (const key of Object.keys(EXPECTED).filter((k) => EXPECTED[k] !== 'public')) {
      const [method = '', route = ''] = key.split(' ');
      expect(refusal(await decide(method, route))).toBe('missing-token');
    }
  });

  it('governs HEAD by the GET entry', async () => {
    expect(await decide('HEAD', '/devices', ['viewer'])).toMatchObject({ allowed: true });
    expect(refusal(await decide('HEAD', '/devices'))).toBe('missing-token');
  });

  it('refuses a route that is not in the table, even to an admin (deny by default)', async () => {
    const d = await decide('GET', '/experimental', ['admin']);
    expect(refusal(d)).toBe('route-not-governed');
    expect(!d.allowed && d.failure.status).toBe(403);
    // A method the table does not list for a known path is just as unknown.
    expect(refusal(await decide('PUT', '/devices', ['admin']))).toBe('route-not-governed');
  });

  it('refuses a valid token that carries no role of ours with 403, naming what it carried', async () => {
    const d = await decide('GET', '/devices', ['superuser', 42]);
    expect(refusal(d)).toBe('unknown-role');
    expect(!d.allowed && d.failure.status).toBe(403);
    expect(!d.allowed && d.failure.detail).toContain('"superuser"');
    expect(refusal(await decide('GET', '/devices', 'admin'))).toBe('unknown-role'); // a string, not a list
  });

  it('gives a token with several roles the rights of each, and ignores names it does not know', async () => {
    expect(await decide('POST', '/commands', ['viewer', 'operator', 'auditor'])).toMatchObject({ allowed: true, principal: { roles: ['viewer', 'operator'] } });
    expect(refusal(await decide('POST', '/provisioning/manifests', ['viewer', 'operator']))).toBe('forbidden');
  });

  it('tells a malformed Authorization header from a missing one', async () => {
    const basic = await authorize(table, verifier, { method: 'GET', route: '/devices', authorization: 'Basic YWRhOnNlY3JldA==' });
    expect(refusal(basic)).toBe('malformed-authorization');
    expect(!basic.allowed && basic.failure.detail).toContain('"Basic"');
    expect(refusal(await authorize(table, verifier, { method: 'GET', route: '/devices', authorization: 'Bearer ' }))).toBe('malformed-authorization');
    expect(refusal(await authorize(table, verifier, { method: 'GET', route: '/devices', authorization: '   ' }))).toBe('missing-token');
    expect(refusal(await authorize(table, verifier, { method: 'GET', route: '/devices', authorization: 'Bearer a.b.c' }))).toBe('malformed-token');
  });
});

describe('refusal details', () => {
  it('challenges a 401 per RFC 6750 and names the insufficient scope on a role refusal', () => {
    expect(bearerChallenge(new AuthFailure('missing-token', 'x'), 'fleet')).toBe('Bearer realm="fleet"');
    expect(bearerChallenge(new AuthFailure('token-expired', 'x'), 'fleet')).toBe('Bearer realm="fleet", error="invalid_token", error_description="The token has expired"');
    expect(bearerChallenge(new AuthFailure('forbidden', 'x'), 'fleet')).toMatch(/error="insufficient_scope"/);
    expect(bearerChallenge(new AuthFailure('route-not-governed', 'x'), 'fleet')).toBeUndefined();
  });

  it('reads a role from a command line, or says which roles there are', () => {
    expect(parseRole(' Operator ')).toBe('operator');
    expect(() => parseRole('root')).toThrow('"root" is not a role: use one of admin, operator, viewer.');
  });
});

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorize } from '../../functions/api/auth/authorize.ts';
import { permissionTable } from '../../functions/api/auth/permissions.ts';
import { cognitoIssuer, cognitoJwksUrl, cognitoProfile } from '../../functions/api/auth/tokenProfiles.ts';
import { createTokenVerifier, type TokenVerifier } from '../../functions/api/auth/tokenVerifier.ts';
import { systemClock } from '../../functions/shared/clock.ts';

/**
 * Cognito's side without AWS: a user pool's key set served over HTTP on loopback (as Cognito serves
 * /.well-known/jwks.json), tokens shaped exactly like Cognito's access and ID tokens (RS256, kid,
 * token_use, client_id or aud, cognito:groups), verified through a remote key set.
 */
const REGION = 'eu-north-1';
const POOL = 'eu-north-1_Fleet0001';
const CLIENT = '5mp4l3cl13nt1d';
const ISSUER = cognitoIssuer(REGION, POOL);

let server: Server;
let poolKey: CryptoKey;
let strangerKey: CryptoKey;
let verifier: TokenVerifier;
let jwksRequests = 0;
const table = permissionTable();

beforeAll(async () => {
  const pool = await generateKeyPair('RS256');
  poolKey = pool.privateKey;
  strangerKey = (await generateKeyPair('RS256')).privateKey;
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(pool.publicKey)), kid: 'pool-key-1', alg: 'RS256', use: 'sig' }] });
  server = createServer((req, res) => {
    jwksRequests += 1;
    if (req.url === `/${POOL}/.well-known/jwks.json`) res.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  verifier = createTokenVerifier({
    key: createRemoteJWKSet(new URL(`http://127.0.0.1:${port}/${POOL}/.well-known/jwks.json`)),
    profile: cognitoProfile({ region: REGION, userPoolId: POOL, clientIds: [CLIENT] }),
    clock: systemClock,
  });
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const now = () => Math.floor(Date.now() / 1000);

/** A Cognito access token as the user pool issues one after sign-in. */
const accessToken = (claims: JWTPayload = {}, key: CryptoKey = poolKey, kid = 'pool-key-1') =>
  new SignJWT({
    sub: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
    'cognito:groups': ['operator'],
    iss: ISSUER,
    client_id: CLIENT,
    origin_jti: 'o-1',
    event_id: 'e-1',
    token_use: 'access',
    scope: 'aws.cognito.signin.user.admin',
    auth_time: now(),
    exp: now() + 3600,
    iat: now(),
    jti: 'j-1',
    username: 'ada',
    ...claims,
  })
    .setProtectedHeader({ alg: 'RS256', kid })
    .sign(key);

const decide = async (method: string, route: string, token: string) => authorize(table, verifier, { method, route, authorization: `Bearer ${token}` });

describe('Cognito user pool tokens feed the same authorization', () => {
  it('maps the operator group to the operator role: commands and alarm acks yes, provisioning no', async () => {
    const token = await accessToken({ 'cognito:groups': ['operator', 'eu-north-1_Fleet0001_Google'] });
    expect(await decide('POST', '/commands', token)).toMatchObject({ allowed: true, principal: { subject: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', name: 'ada', roles: ['operator'], issuer: ISSUER } });
    expect(await decide('POST', '/devices/:thingName/alarms/:alarmId/ack', token)).toMatchObject({ allowed: true });
    expect(await decide('POST', '/provisioning/manifests', token)).toMatchObject({ allowed: false, failure: { kind: 'forbidden', status: 403 } });
  });

  it('maps admin and viewer groups the same way', async () => {
    expect(await decide('DELETE', '/devices/:thingName', await accessToken({ 'cognito:groups': ['admin'] }))).toMatchObject({ allowed: true });
    const viewer = await accessToken({ 'cognito:groups': ['viewer'] });
    expect(await decide('GET', '/audit/commands', viewer)).toMatchObject({ allowed: true });
    expect(await decide('POST', '/commands', viewer)).toMatchObject({ allowed: false, failure: { kind: 'forbidden' } });
  });

  it('accepts an ID token for the app client (aud), with the cognito:username as the name', async () => {
    const idToken = await accessToken({ token_use: 'id', aud: CLIENT, client_id: undefined, username: undefined, 'cognito:username': 'bo', 'cognito:groups': ['viewer'] });
    expect(await decide('GET', '/devices', idToken)).toMatchObject({ allowed: true, principal: { name: 'bo', roles: ['viewer'] } });
  });

  it('refuses a user in none of the three groups with 403 unknown-role', async () => {
    const none = await decide('GET', '/devices', await accessToken({ 'cognito:groups': ['Admins'] }));
    expect(none).toMatchObject({ allowed: false, failure: { kind: 'unknown-role', status: 403 } });
    expect(!none.allowed && none.failure.detail).toContain('"Admins"');
    expect(await decide('GET', '/devices', await accessToken({ 'cognito:groups': undefined }))).toMatchObject({ allowed: false, failure: { kind: 'unknown-role' } });
  });

  it('refuses tokens for another app client, of another kind, from another pool, or signed by another key', async () => {
    expect(await decide('GET', '/devices', await accessToken({ client_id: 'someone-elses-client' }))).toMatchObject({ allowed: false, failure: { kind: 'wrong-audience', status: 401 } });
    expect(await decide('GET', '/devices', await accessToken({ token_use: 'id', aud: 'someone-elses-client' }))).toMatchObject({ allowed: false, failure: { kind: 'wrong-audience' } });
    expect(await decide('GET', '/devices', await accessToken({ token_use: 'refresh' }))).toMatchObject({ allowed: false, failure: { kind: 'invalid-claims' } });
    expect(await decide('GET', '/devices', await accessToken({ iss: cognitoIssuer(REGION, 'eu-north-1_Other0002') }))).toMatchObject({ allowed: false, failure: { kind: 'wrong-issuer' } });
    expect(await decide('GET', '/devices', await accessToken({}, strangerKey))).toMatchObject({ allowed: false, failure: { kind: 'bad-signature' } });
    expect(await decide('GET', '/devices', await accessToken({}, strangerKey, 'not-in-the-pool'))).toMatchObject({ allowed: false, failure: { kind: 'bad-signature' } });
    expect(await decide('GET', '/devices', await accessToken({ exp: now() - 60 }))).toMatchObject({ allowed: false, failure: { kind: 'token-expired' } });
  });

  it('fetched the key set over HTTP, and caches it', () => {
    expect(jwksRequests).toBeGreaterThanOrEqual(1);
    expect(jwksRequests).toBeLessThanOrEqual(3); // one fetch, plus a refetch per unknown kid at most
  });

  it('answers 503, not 401, when the key set cannot be fetched', async () => {
    const unreachable = createTokenVerifier({
      key: createRemoteJWKSet(new URL('http://127.0.0.1:9/.well-known/jwks.json'), { timeoutDuration: 2000 }),
      profile: cognitoProfile({ region: REGION, userPoolId: POOL, clientIds: [CLIENT] }),
      clock: systemClock,
    });
    const decision = await authorize(table, unreachable, { method: 'GET', route: '/devices', authorization: `Bearer ${await accessToken()}` });
    expect(decision).toMatchObject({ allowed: false, failure: { kind: 'keys-unavailable', status: 503 } });
  });

  it('derives the issuer and key set URL from region and pool, and refuses ones that cannot be', () => {
    expect(cognitoJwksUrl(REGION, POOL)).toBe('https://cognito-idp.eu-north-1.amazonaws.com/eu-north-1_Fleet0001/.well-known/jwks.json');
    expect(() => cognitoProfile({ region: 'Europe', userPoolId: POOL, clientIds: [CLIENT] })).toThrow(/not an AWS region: write it like eu-west-1/);
    expect(() => cognitoProfile({ region: REGION, userPoolId: 'pool', clientIds: [CLIENT] })).toThrow(/not a user pool id/);
    expect(() => cognitoProfile({ region: REGION, userPoolId: POOL, clientIds: [] })).toThrow(/at least one Cognito app client/);
  });
});

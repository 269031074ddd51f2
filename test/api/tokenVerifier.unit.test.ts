import { generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { AuthFailure, type FailureKind } from '../../functions/api/auth/authFailure.ts';
import { LOCAL_AUDIENCE, LOCAL_ISSUER, localProfile } from '../../functions/api/auth/tokenProfiles.ts';
import { createTokenVerifier, type TokenVerifier } from '../../functions/api/auth/tokenVerifier.ts';
import { manualClock } from '../../functions/shared/clock.ts';

const clock = manualClock('2026-03-01T12:00:00.000Z');
const nowSeconds = () => Math.floor(clock.now().getTime() / 1000);
let key: CryptoKey;
let otherKey: CryptoKey;
let verifier: TokenVerifier;

beforeAll(async () => {
  const pair = await generateKeyPair('ES256');
  key = pair.privateKey;
  otherKey = (await generateKeyPair('ES256')).privateKey;
  verifier = createTokenVerifier({ key: pair.publicKey, profile: localProfile, clock, clockToleranceSeconds: 0 });
});

const sign = (claims: Record<string, unknown>, signer: CryptoKey = key) =>
  new SignJWT({ roles: ['viewer'], iss: LOCAL_ISSUER, aud: LOCAL_AUDIENCE, sub: 'ada', iat: nowSeconds(), exp: nowSeconds() + 60, ...claims }).setProtectedHeader({ alg: 'ES256' }).sign(signer);

const failureOf = async (token: string): Promise<AuthFailure> => {
  try {
    await verifier.verify(token);
  } catch (err) {
    if (err instanceof AuthFailure) return err;
    throw err;
  }
  throw new Error('the token was accepted');
};

const expectFailure = async (token: string, kind: FailureKind, detail: RegExp) => {
  const failure = await failureOf(token);
  expect(failure.kind).toBe(kind);
  expect(failure.detail).toMatch(detail);
};

describe('the token verifier (local profile)', () => {
  it('returns the principal of a good token', async () => {
    const principal = await verifier.verify(await sign({ jti: 't-1' }));
    expect(principal).toEqual({ subject: 'ada', name: 'ada', roles: ['viewer'], carried: ['viewer'], issuer: LOCAL_ISSUER, tokenId: 't-1', expiresAt: new Date((nowSeconds() + 60) * 1000) });
  });

  it('refuses an expired token, saying when it expired and how to get a new one', async () => {
    await expectFailure(await sign({ exp: nowSeconds() - 1 }), 'token-expired', /expired at 2026-03-01T11:59:59.000Z .*new token/);
  });

  it('refuses a token that is not valid yet', async () => {
    await expectFailure(await sign({ nbf: nowSeconds() + 600 }), 'token-not-yet-valid', /valid from 2026-03-01T12:10:00.000Z/);
  });

  it('refuses a token signed by another key, and one whose payload was altered', async () => {
    await expectFailure(await sign({}, otherKey), 'bad-signature', /not made by this API's issuer/);
    const [header, , signature] = (await sign({})).split('.');
    const forged = Buffer.from(JSON.stringify({ roles: ['admin'], iss: LOCAL_ISSUER, aud: LOCAL_AUDIENCE, sub: 'ada', exp: nowSeconds() + 60 })).toString('base64url');
    await expectFailure(`${header}.${forged}.${signature}`, 'bad-signature', /altered/);
  });

  it('refuses another issuer and another audience, naming both sides', async () => {
    await expectFailure(await sign({ iss: 'https://evil.example' }), 'wrong-issuer', /issued by "https:\/\/evil.example"; this API accepts tokens from urn:lwm2m-fleet:embedded/);
    await expectFailure(await sign({ aud: 'urn:other-api' }), 'wrong-audience', /for "urn:other-api"; this API is "urn:lwm2m-fleet:api"/);
  });

  it('refuses a token without a subject or without an expiry', async () => {
    await expectFailure(await sign({ sub: undefined }), 'invalid-claims', /"sub" claim is missing/);
    await expectFailure(await sign({ exp: undefined }), 'invalid-claims', /"exp" claim is missing/);
  });

  it('refuses another algorithm (no HMAC with a guessed secret, no "none")', async () => {
    const hmac = await new SignJWT({ roles: ['admin'], iss: LOCAL_ISSUER, aud: LOCAL_AUDIENCE, sub: 'ada', exp: nowSeconds() + 60 })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode('a-secret-anyone-could-guess-32by'));
    await expectFailure(hmac, 'malformed-token', /accepts ES256/);
    const header = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ roles: ['admin'], iss: LOCAL_ISSUER, aud: LOCAL_AUDIENCE, sub: 'ada', exp: nowSeconds() + 60 })).toString('base64url');
    expect((await failureOf(`${header}.${payload}.`)).status).toBe(401);
  });

  it('refuses garbage and oversized tokens before parsing them', async () => {
    await expectFailure('not-a-jwt', 'malformed-token', /not a signed JWT/);
    await expectFailure('x'.repeat(10_000), 'malformed-token', /10000 characters long/);
  });
});

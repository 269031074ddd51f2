import type { KeyObject } from 'node:crypto';
import { jwtVerify, type CryptoKey, type JWK, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { Clock } from '../../shared/clock.ts';
import { AuthFailure } from './authFailure.ts';
import type { Role } from './roles.ts';
import { rolesOf, type TokenProfile } from './tokenProfiles.ts';

/** Who made a request, as a verified token says. */
export interface Principal {
  /** The token's `sub`: stable, what the audit trail records. */
  readonly subject: string;
  /** Human-readable (Cognito username, or the subject). */
  readonly name: string;
  /** Our roles the token carries; empty when it carries none (the request is then refused). */
  readonly roles: readonly Role[];
  /** The role names as the token carried them, ours or not: shown when none of them is ours. */
  readonly carried: readonly string[];
  readonly issuer: string;
  readonly tokenId?: string;
  readonly expiresAt: Date;
}

/** A public key, or a key set (local JWKS, or Cognito's remote JWKS) that picks the key by `kid`. */
export type VerificationKey = CryptoKey | KeyObject | JWK | Uint8Array | JWTVerifyGetKey;

export interface TokenVerifierOptions {
  readonly key: VerificationKey;
  readonly profile: TokenProfile;
  readonly clock: Clock;
  /** Leeway for clocks that disagree a little; a few seconds. */
  readonly clockToleranceSeconds?: number;
}

export interface TokenVerifier {
  /** The principal of a valid token; throws AuthFailure saying what is wrong with any other. */
  verify(token: string): Promise<Principal>;
}

/** Far beyond any real token (Cognito's are 1-2 KB); a longer one is refused before any parsing. */
const MAX_TOKEN_LENGTH = 8192;

const at = (seconds: unknown) => (typeof seconds === 'number' ? new Date(seconds * 1000).toISOString() : 'an unknown time');

const codeOf = (err: unknown): string | undefined => (typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string' ? (err as { code: string }).code : undefined);

/** jose's errors, in our words: what was wrong and what to do. */
const failureOf = (err: unknown, profile: TokenProfile, now: Date): AuthFailure => {
  const renew = profile.renewHint;
  const e = err as { claim?: string; reason?: string; payload?: JWTPayload; message?: string };
  switch (codeOf(err)) {
    case 'ERR_JWT_EXPIRED':
      return new AuthFailure('token-expired', `The token expired at ${at(e.payload?.exp)} (it is now ${now.toISOString()}). ${renew}`);
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return new AuthFailure('bad-signature', `The signature was not made by this API's issuer ${profile.issuer}, or the token was altered. ${renew}`);
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return new AuthFailure('bad-signature', `No signing key of ${profile.issuer} matches the token's key id. ${renew}`);
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return new AuthFailure('malformed-token', `The token is signed with an algorithm this API does not accept; it accepts ${profile.algorithms.join(', ')}. ${renew}`);
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (e.claim === 'iss') return new AuthFailure('wrong-issuer', `The token was issued by ${JSON.stringify(e.payload?.iss ?? null)}; this API accepts tokens from ${profile.issuer} only. ${renew}`);
      if (e.claim === 'aud') return new AuthFailure('wrong-audience', `The token is for ${JSON.stringify(e.payload?.aud ?? null)}; this API is ${JSON.stringify(profile.audience ?? null)}. ${renew}`);
      if (e.claim === 'nbf') return new AuthFailure('token-not-yet-valid', `The token is valid from ${at(e.payload?.nbf)} (it is now ${now.toISOString()}); check the issuer's clock, or wait.`);
      return new AuthFailure('invalid-claims', `The "${e.claim ?? '?'}" claim is ${e.reason === 'missing' ? 'missing' : 'not valid'}. ${renew}`);
    case 'ERR_JWKS_TIMEOUT':
    case 'ERR_JWKS_INVALID':
      return new AuthFailure('keys-unavailable', `The signing keys of ${profile.issuer} could not be fetched or read (${e.message ?? 'no detail'}). Try again shortly; if it persists, the API's key set URL is wrong.`);
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
    case 'ERR_JOSE_NOT_SUPPORTED':
    case 'ERR_JWK_INVALID':
      return new AuthFailure('malformed-token', `The bearer value is not a signed JWT this API can read (${e.message ?? 'no detail'}). Send the token exactly as it was issued. ${renew}`);
    default:
      // Not a token problem (e.g. the network under a remote key set): the caller cannot fix it.
      return new AuthFailure('keys-unavailable', `The token could not be checked (${e.message ?? String(err)}). Try again shortly.`);
  }
};

/**
 * Verifies a bearer JWT: signature with the given key or key set, algorithm, issuer, audience (by
 * the profile's rule), expiry against the clock, a subject and an expiry present. The roles are
 * read here but judged by the authorization step, which knows the route.
 */
export const createTokenVerifier = (options: TokenVerifierOptions): TokenVerifier => {
  const { key, profile, clock } = options;
  return {
    async verify(token) {
      if (token.length > MAX_TOKEN_LENGTH) throw new AuthFailure('malformed-token', `The token is ${token.length} characters long; no token of this API is longer than ${MAX_TOKEN_LENGTH}. ${profile.renewHint}`);
      const now = clock.now();
      const verifyOptions = {
        issuer: profile.issuer,
        algorithms: [...profile.algorithms],
        currentDate: now,
        clockTolerance: options.clockToleranceSeconds ?? 5,
        requiredClaims: ['sub', 'exp'],
        ...(profile.audience === undefined ? {} : { audience: profile.audience }),
      };
      let payload: JWTPayload;
      try {
        payload = (typeof key === 'function' ? await jwtVerify(token, key, verifyOptions) : await jwtVerify(token, key, verifyOptions)).payload;
      } catch (err) {
        throw failureOf(err, profile, now);
      }
      const claims = profile.checkClaims?.(payload);
      if (claims) throw new AuthFailure(claims.kind, claims.detail);
      const carried = profile.carriedRoles(payload);
      return {
        subject: payload.sub ?? '',
        name: profile.nameOf(payload),
        roles: rolesOf(carried),
        carried,
        issuer: profile.issuer,
        ...(typeof payload.jti === 'string' ? { tokenId: payload.jti } : {}),
        expiresAt: new Date((payload.exp ?? 0) * 1000),
      };
    },
  };
};

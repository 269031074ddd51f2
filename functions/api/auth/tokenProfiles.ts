import type { JWTPayload } from 'jose';
import { isRole, type Role } from './roles.ts';

/**
 * How one kind of token is read: who issues it, how it is signed, how its audience is checked and
 * where its roles are. The verifier and the authorization code are the same for every profile, so
 * a Cognito user in the `operator` group and a local `operator` token get exactly the same rights.
 */
export interface TokenProfile {
  readonly issuer: string;
  readonly algorithms: readonly string[];
  /** Checked by the JWT library (`aud`), when the profile's tokens carry one. */
  readonly audience?: string;
  /** Further checks on a verified payload; returns what is wrong, or undefined. */
  readonly checkClaims?: (payload: JWTPayload) => { readonly kind: 'wrong-audience' | 'invalid-claims'; readonly detail: string } | undefined;
  /** The role names the token carries, as it carries them (strings, possibly not roles of ours). */
  readonly carriedRoles: (payload: JWTPayload) => readonly string[];
  /** The human-readable name of the caller, for logs and audit. */
  readonly nameOf: (payload: JWTPayload) => string;
  /** What a caller does to get a fresh token; ends every 401's detail. */
  readonly renewHint: string;
}

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);

/** Our roles among what a token carries; names we do not know are ignored (a user may be in other groups). */
export const rolesOf = (carried: readonly string[]): Role[] => [...new Set(carried.filter(isRole))];

export const LOCAL_ISSUER = 'urn:lwm2m-fleet:embedded';
export const LOCAL_AUDIENCE = 'urn:lwm2m-fleet:api';

/** Tokens of the embedded system's local issuer: ES256, `roles` claim. */
export const localProfile: TokenProfile = {
  issuer: LOCAL_ISSUER,
  audience: LOCAL_AUDIENCE,
  algorithms: ['ES256'],
  carriedRoles: (payload) => strings(payload.roles),
  nameOf: (payload) => payload.sub ?? '(no subject)',
  renewHint: 'Ask whoever runs this installation for a new token; its CLI prints one for a role.',
};

export interface CognitoProfileOptions {
  readonly region: string;
  readonly userPoolId: string;
  /** The app clients whose tokens the API accepts. */
  readonly clientIds: readonly string[];
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const USER_POOL_ID = /^[\w-]+_[0-9a-zA-Z]+$/;

export const cognitoIssuer = (region: string, userPoolId: string) => `https://cognito-idp.${region}.amazonaws.com/${userPoolId}`;

/** Where the user pool publishes its signing keys: pass `createRemoteJWKSet(new URL(cognitoJwksUrl(...)))` to the verifier. */
export const cognitoJwksUrl = (region: string, userPoolId: string) => `${cognitoIssuer(region, userPoolId)}/.well-known/jwks.json`;

/**
 * Cognito user pool tokens: RS256, roles are the user's groups (`cognito:groups`), named exactly as
 * our roles. Access tokens name their app client in `client_id` and have no `aud`; ID tokens name it
 * in `aud`. Both are accepted for the configured app clients, and `token_use` must say which it is,
 * so a token of another kind (or another pool's client) is refused.
 */
export const cognitoProfile = (options: CognitoProfileOptions): TokenProfile => {
  if (!REGION.test(options.region)) throw new TypeError(`"${options.region}" is not an AWS region: write it like eu-west-1.`);
  if (!USER_POOL_ID.test(options.userPoolId)) throw new TypeError(`"${options.userPoolId}" is not a user pool id: it looks like eu-west-1_AbCdEf123.`);
  if (options.clientIds.length === 0) throw new TypeError('name at least one Cognito app client id whose tokens the API accepts.');
  const clients = new Set(options.clientIds);
  const shownClients = [...clients].join(', ');
  return {
    issuer: cognitoIssuer(options.region, options.userPoolId),
    algorithms: ['RS256'],
    checkClaims: (payload) => {
      const use = payload.token_use;
      if (use === 'access') {
        const client = payload.client_id;
        return typeof client === 'string' && clients.has(client)
          ? undefined
          : { kind: 'wrong-audience', detail: `The access token was issued to app client ${JSON.stringify(client ?? null)}; this API accepts ${shownClients}. Sign in through one of those.` };
      }
      if (use === 'id') {
        const aud = typeof payload.aud === 'string' ? [payload.aud] : strings(payload.aud);
        return aud.some((a) => clients.has(a))
          ? undefined
          : { kind: 'wrong-audience', detail: `The ID token is for ${JSON.stringify(aud)}; this API accepts ${shownClients}. Sign in through one of those.` };
      }
      return { kind: 'invalid-claims', detail: `token_use is ${JSON.stringify(use ?? null)}; send a Cognito access token (or ID token) from the user pool.` };
    },
    carriedRoles: (payload) => strings(payload['cognito:groups']),
    nameOf: (payload) => {
      const name = payload.username ?? payload['cognito:username'] ?? payload.sub;
      return typeof name === 'string' ? name : '(no subject)';
    },
    renewHint: 'Sign in again to get a fresh token from the user pool.',
  };
};

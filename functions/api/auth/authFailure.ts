import type { Problem } from '../../directory/problemDetails.ts';

/**
 * Why a request was refused. The kind is the stable part (it is the problem `type` and what logs and
 * tests key on); the detail names what was wrong and what to do.
 */
export const FAILURES = {
  'missing-token': { status: 401, title: 'A bearer token is required', bearer: undefined },
  'malformed-authorization': { status: 401, title: 'The Authorization header is not a bearer token', bearer: 'invalid_request' },
  'malformed-token': { status: 401, title: 'The token is not a signed JWT', bearer: 'invalid_token' },
  'token-expired': { status: 401, title: 'The token has expired', bearer: 'invalid_token' },
  'token-not-yet-valid': { status: 401, title: 'The token is not valid yet', bearer: 'invalid_token' },
  'bad-signature': { status: 401, title: 'The token signature does not verify', bearer: 'invalid_token' },
  'wrong-issuer': { status: 401, title: 'The token comes from another issuer', bearer: 'invalid_token' },
  'wrong-audience': { status: 401, title: 'The token is meant for another audience', bearer: 'invalid_token' },
  'invalid-claims': { status: 401, title: 'The token lacks a claim this API needs', bearer: 'invalid_token' },
  'unknown-role': { status: 403, title: 'The token carries no role this API knows', bearer: 'insufficient_scope' },
  forbidden: { status: 403, title: 'Your role may not do this', bearer: 'insufficient_scope' },
  'route-not-governed': { status: 403, title: 'This route has no permission entry', bearer: undefined },
  'keys-unavailable': { status: 503, title: 'The token signing keys cannot be fetched', bearer: undefined },
} as const satisfies Record<string, { status: number; title: string; bearer: 'invalid_request' | 'invalid_token' | 'insufficient_scope' | undefined }>;

export type FailureKind = keyof typeof FAILURES;

export class AuthFailure extends Error {
  override name = 'AuthFailure';
  readonly status: number;
  constructor(
    readonly kind: FailureKind,
    readonly detail: string,
  ) {
    super(`${FAILURES[kind].title}: ${detail}`);
    this.status = FAILURES[kind].status;
  }
}

/** The RFC 9457 body for a refusal. */
export const failureProblem = (failure: AuthFailure, instance: string): Problem => ({
  type: `/problems/${failure.kind}`,
  title: FAILURES[failure.kind].title,
  status: failure.status,
  detail: failure.detail,
  instance,
});

/**
 * The RFC 6750 challenge for a refusal: a 401 always carries one (clients learn to send a bearer
 * token), a 403 for a role names the insufficient scope. Quotes are dropped from the description,
 * which the header grammar cannot carry.
 */
export const bearerChallenge = (failure: AuthFailure, realm: string): string | undefined => {
  const code = FAILURES[failure.kind].bearer;
  if (failure.status !== 401 && code === undefined) return undefined;
  const parts = [`realm="${realm}"`];
  if (code !== undefined) parts.push(`error="${code}"`, `error_description="${FAILURES[failure.kind].title.replace(/["\\]/g, '')}"`);
  return `Bearer ${parts.join(', ')}`;
};

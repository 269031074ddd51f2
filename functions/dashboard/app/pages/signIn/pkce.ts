/**
 * The OAuth 2.0 authorization-code flow with PKCE (RFC 7636) against a Cognito user pool domain,
 * as pure functions: no DOM, no storage, randomness passed in, so vitest checks them against the
 * RFC's own vector (test/dashboard/pkce.unit.test.ts). SignInPage.tsx does the redirects.
 */

/** base64url without padding (RFC 4648 §5), what PKCE and JWTs use. */
export const base64url = (bytes: Uint8Array): string => {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
};

/** A code verifier from 32 random octets: 43 characters of [A-Za-z0-9-_], as RFC 7636 §4.1 recommends. */
export const verifierFrom = (random: Uint8Array): string => {
  if (random.length < 32) throw new RangeError(`a PKCE verifier needs 32 random octets; got ${random.length}.`);
  return base64url(random);
};

/** The S256 challenge: BASE64URL(SHA256(ASCII(verifier))) (RFC 7636 §4.2). */
export const challengeOf = async (verifier: string): Promise<string> => {
  if (!/^[A-Za-z0-9\-._~]{43,128}$/.test(verifier)) throw new RangeError('a PKCE verifier is 43-128 characters of A-Z a-z 0-9 - . _ ~ (RFC 7636 §4.1).');
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
};

/** What the browser keeps between leaving for the hosted UI and coming back. */
export interface PendingSignIn {
  readonly verifier: string;
  readonly state: string;
}

/** A fresh verifier and an unguessable state (which ties the answer to this browser's request). */
export const newPendingSignIn = (randomBytes: (n: number) => Uint8Array): PendingSignIn => ({ verifier: verifierFrom(randomBytes(32)), state: base64url(randomBytes(16)) });

/** The user pool domain as an https origin: `auth.example.com`, `https://auth.example.com/` and the like. */
export const domainOrigin = (cognitoDomain: string): string => {
  const withScheme = /^[a-z]+:\/\//i.test(cognitoDomain) ? cognitoDomain : `https://${cognitoDomain}`;
  const url = new URL(withScheme);
  if (url.protocol !== 'https:') throw new Error(`the Cognito domain must be https; dashboard-config.json says ${cognitoDomain}.`);
  return url.origin;
};

export interface CognitoClient {
  readonly cognitoDomain: string;
  readonly clientId: string;
  readonly redirectUri: string;
}

export const SCOPES = 'openid email profile';

/** Where to send the browser to sign in: the hosted UI's /oauth2/authorize with the S256 challenge. */
export const authorizeUrl = (client: CognitoClient, pending: PendingSignIn, challenge: string): string => {
  const params = new URLSearchParams({
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: client.redirectUri,
    scope: SCOPES,
    state: pending.state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  return `${domainOrigin(client.cognitoDomain)}/oauth2/authorize?${params.toString()}`;
};

/**
 * Where to send the browser to sign out: the hosted UI's /logout, which ends the Cognito session
 * (else the next sign-in would pass straight through as the same user) and returns to `logout_uri`.
 * That must be one of the client's sign-out URLs: the console construct registers the console's
 * own URL, which is also its redirect URI (infra/cdk/constructs/console.ts).
 */
export const logoutUrl = (client: CognitoClient): string => {
  const params = new URLSearchParams({ client_id: client.clientId, logout_uri: client.redirectUri });
  return `${domainOrigin(client.cognitoDomain)}/logout?${params.toString()}`;
};

/** The /oauth2/token request that trades the code for tokens (a public client: the verifier stands in for a secret). */
export const tokenRequest = (client: CognitoClient, code: string, verifier: string): { readonly url: string; readonly body: string } => ({
  url: `${domainOrigin(client.cognitoDomain)}/oauth2/token`,
  body: new URLSearchParams({ grant_type: 'authorization_code', client_id: client.clientId, code, redirect_uri: client.redirectUri, code_verifier: verifier }).toString(),
});

export type Callback =
  | { readonly kind: 'none' }
  | { readonly kind: 'code'; readonly code: string }
  | { readonly kind: 'error'; readonly message: string };

/**
 * Reads the redirect's query string. An answer whose state is not the one this browser sent is
 * refused: it was started elsewhere (login CSRF) or is a stale tab's, and using it could sign the
 * user in as someone else.
 */
export const readCallback = (search: string, pending: PendingSignIn | undefined): Callback => {
  const query = new URLSearchParams(search);
  const code = query.get('code');
  const error = query.get('error');
  if (code === null && error === null) return { kind: 'none' };
  const state = query.get('state');
  if (!pending) return { kind: 'error', message: 'The sign-in answer arrived but this browser did not start a sign-in (or it was in another tab). Sign in again.' };
  if (state !== pending.state) return { kind: 'error', message: 'The sign-in answer does not belong to the sign-in this browser started (state mismatch). Sign in again.' };
  if (error !== null) {
    const description = query.get('error_description');
    return { kind: 'error', message: `Cognito refused the sign-in: ${error}${description ? ` (${description})` : ''}. Sign in again, or ask an administrator to check your account and groups.` };
  }
  return code ? { kind: 'code', code } : { kind: 'error', message: 'The sign-in answer has an empty code. Sign in again.' };
};

import { describe, expect, it } from 'vitest';
import { authorizeUrl, base64url, challengeOf, domainOrigin, logoutUrl, newPendingSignIn, readCallback, tokenRequest, verifierFrom } from '../../functions/dashboard/app/pages/signIn/pkce.ts';

// RFC 7636 appendix B: the 32 octets, the verifier they make, and its S256 challenge.
const RFC_OCTETS = new Uint8Array([116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121]);
const RFC_VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const RFC_CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

const client = { cognitoDomain: 'fleet-auth.auth.eu-west-1.amazoncognito.com', clientId: 'abc123client', redirectUri: 'https://console.example.com/' };
const pending = { verifier: RFC_VERIFIER, state: 'state-123' };

describe('PKCE (RFC 7636)', () => {
  it('makes the verifier and S256 challenge of appendix B', async () => {
    expect(verifierFrom(RFC_OCTETS)).toBe(RFC_VERIFIER);
    await expect(challengeOf(RFC_VERIFIER)).resolves.toBe(RFC_CHALLENGE);
  });

  it('encodes base64url without padding or + and /', () => {
    expect(base64url(new Uint8Array([0xfb, 0xff]))).toBe('-_8');
    expect(base64url(new Uint8Array([]))).toBe('');
  });

  it('refuses too few random octets and verifiers outside the RFC alphabet or length', async () => {
    expect(() => verifierFrom(new Uint8Array(16))).toThrow(/32 random octets/);
    await expect(challengeOf('short')).rejects.toThrow(/43-128 characters/);
    await expect(challengeOf(`${RFC_VERIFIER}!`)).rejects.toThrow(/43-128 characters/);
  });

  it('draws a fresh verifier and state from the random source', () => {
    let next = 0;
    const counting = (n: number) => new Uint8Array(n).map(() => next++ % 256);
    const a = newPendingSignIn(counting);
    const b = newPendingSignIn(counting);
    expect(a.verifier).toMatch(/^[\w-]{43}$/);
    expect(a.state).toMatch(/^[\w-]{22}$/);
    expect(b.verifier).not.toBe(a.verifier);
    expect(b.state).not.toBe(a.state);
  });
});

describe('the Cognito requests', () => {
  it('sends the browser to /oauth2/authorize with the code flow, the challenge and the state', () => {
    const url = new URL(authorizeUrl(client, pending, RFC_CHALLENGE));
    expect(url.origin + url.pathname).toBe('https://fleet-auth.auth.eu-west-1.amazoncognito.com/oauth2/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: 'abc123client',
      redirect_uri: 'https://console.example.com/',
      scope: 'openid email profile',
      state: 'state-123',
      code_challenge: RFC_CHALLENGE,
      code_challenge_method: 'S256',
    });
  });

  it('trades the code at /oauth2/token with the verifier, form-encoded', () => {
    const request = tokenRequest(client, 'the-code', RFC_VERIFIER);
    expect(request.url).toBe('https://fleet-auth.auth.eu-west-1.amazoncognito.com/oauth2/token');
    expect(Object.fromEntries(new URLSearchParams(request.body))).toEqual({
      grant_type: 'authorization_code',
      client_id: 'abc123client',
      code: 'the-code',
      redirect_uri: 'https://console.example.com/',
      code_verifier: RFC_VERIFIER,
    });
  });

  it('takes the domain with or without a scheme, and refuses plain http', () => {
    expect(domainOrigin('https://auth.example.com/')).toBe('https://auth.example.com');
    expect(domainOrigin('auth.example.com')).toBe('https://auth.example.com');
    expect(() => domainOrigin('http://auth.example.com')).toThrow(/must be https/);
  });
});

describe('the redirect back', () => {
  it('is nothing when the query has no code or error', () => {
    expect(readCallback('', pending)).toEqual({ kind: 'none' });
    expect(readCallback('?tenant=x', undefined)).toEqual({ kind: 'none' });
  });

  it('yields the code when the state is the one this browser sent', () => {
    expect(readCallback('?code=abc&state=state-123', pending)).toEqual({ kind: 'code', code: 'abc' });
  });

  it('refuses an answer with another state, without one, or with no sign-in started', () => {
    expect(readCallback('?code=abc&state=someone-elses', pending)).toMatchObject({ kind: 'error', message: expect.stringMatching(/state mismatch/) as unknown });
    expect(readCallback('?code=abc', pending)).toMatchObject({ kind: 'error', message: expect.stringMatching(/state mismatch/) as unknown });
    expect(readCallback('?code=abc&state=state-123', undefined)).toMatchObject({ kind: 'error', message: expect.stringMatching(/did not start a sign-in/) as unknown });
  });

  it("passes on Cognito's own error, but only for this browser's request", () => {
    expect(readCallback('?error=access_denied&error_description=User+is+disabled&state=state-123', pending)).toEqual({
      kind: 'error',
      message: expect.stringContaining('access_denied (User is disabled)') as unknown,
    });
    expect(readCallback('?error=access_denied&state=forged', pending)).toMatchObject({ message: expect.stringMatching(/state mismatch/) as unknown });
  });

  it('signs out at the hosted UI /logout with the client id and the registered sign-out URL', () => {
    const url = new URL(logoutUrl({ cognitoDomain: 'https://fleet.auth.eu-north-1.amazoncognito.com', clientId: 'client-123', redirectUri: 'https://d111.cloudfront.net/' }));
    expect(url.origin + url.pathname).toBe('https://fleet.auth.eu-north-1.amazoncognito.com/logout');
    expect(Object.fromEntries(url.searchParams)).toEqual({ client_id: 'client-123', logout_uri: 'https://d111.cloudfront.net/' });
    expect(() => logoutUrl({ cognitoDomain: 'http://fleet.example', clientId: 'c', redirectUri: 'https://x/' })).toThrow(/https/);
  });
});

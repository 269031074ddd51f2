import { useEffect, useRef, useState } from 'react';
import { ProblemMessage } from '../../components/ProblemMessage.tsx';
import { sessionFromToken, type Session } from '../../session.tsx';
import { authorizeUrl, challengeOf, newPendingSignIn, readCallback, tokenRequest, type CognitoClient, type PendingSignIn } from './pkce.ts';

const PENDING_KEY = 'fleet-console.pkce';
const randomBytes = (n: number) => crypto.getRandomValues(new Uint8Array(n));

const loadPending = (): PendingSignIn | undefined => {
  try {
    const raw = sessionStorage.getItem(PENDING_KEY);
    return raw ? (JSON.parse(raw) as PendingSignIn) : undefined;
  } catch {
    return undefined;
  }
};

/** The page's own address without the code and state, so a reload does not replay them. */
const dropCallbackQuery = () => window.history.replaceState(null, '', `${window.location.pathname}${window.location.hash}`);

/**
 * AWS: the Cognito hosted UI with the authorization-code flow and PKCE. The button stores a
 * verifier and state in session storage and leaves for /oauth2/authorize; the redirect comes
 * back here with ?code&state, which is checked and traded at /oauth2/token for the ID token
 * (it carries the user's groups in cognito:groups and their e-mail, which the API accepts).
 */
export const CognitoSignIn = ({ client, onSignedIn }: { client: CognitoClient; onSignedIn: (session: Session) => void }) => {
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(() => new URLSearchParams(window.location.search).has('code'));
  const handled = useRef(false);

  useEffect(() => {
    // StrictMode runs effects twice in development; a code can be traded once.
    if (handled.current) return;
    handled.current = true;
    const pending = loadPending();
    const callback = readCallback(window.location.search, pending);
    if (callback.kind === 'none') return;
    sessionStorage.removeItem(PENDING_KEY);
    dropCallbackQuery();
    if (callback.kind === 'error' || !pending) {
      setError(new Error(callback.kind === 'error' ? callback.message : 'The sign-in was not started in this browser. Sign in again.'));
      setBusy(false);
      return;
    }
    const request = tokenRequest(client, callback.code, pending.verifier);
    fetch(request.url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: request.body })
      .then(async (response) => {
        const body = (await response.json()) as { id_token?: string; error?: string; error_description?: string };
        if (!response.ok || !body.id_token) throw new Error(`Cognito did not issue tokens (${body.error ?? response.status}${body.error_description ? `: ${body.error_description}` : ''}). Sign in again.`);
        onSignedIn(sessionFromToken(body.id_token));
      })
      .catch((err: unknown) => {
        setError(err);
        setBusy(false);
      });
  }, [client, onSignedIn]);

  const start = async () => {
    setError(undefined);
    setBusy(true);
    try {
      const pending = newPendingSignIn(randomBytes);
      sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
      window.location.assign(authorizeUrl(client, pending, await challengeOf(pending.verifier)));
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <div className="stack">
      <p>Sign in with your organisation account. Your groups (admin, operator or viewer) decide what the console offers you.</p>
      <div className="actions">
        <button type="button" className="primary" onClick={() => void start()} disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in with Cognito'}
        </button>
      </div>
      <ProblemMessage error={error} />
    </div>
  );
};

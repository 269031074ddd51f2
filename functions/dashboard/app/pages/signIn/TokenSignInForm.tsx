import { useState, type FormEvent } from 'react';
import { createApiClient } from '../../api.ts';
import { ProblemMessage } from '../../components/ProblemMessage.tsx';
import { sessionFromToken, type Session } from '../../session.tsx';

/**
 * Signing in with a token minted elsewhere (`npm run fleet -- token --role operator`): the way in
 * when the role picker is off or the browser is not on the machine that runs the system. The
 * token is tried against the API once, so a stale or foreign one is refused here, with the
 * server's reason, rather than on the first page.
 */
export const TokenSignInForm = ({ apiBase, onSignedIn }: { apiBase: string; onSignedIn: (session: Session) => void }) => {
  const [token, setToken] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    const pasted = token.trim().replace(/^Bearer\s+/i, '');
    let session: Session;
    try {
      session = sessionFromToken(pasted);
    } catch (err) {
      setError(new Error(`That is not a token of this system (${err instanceof Error ? err.message : String(err)}). Paste the whole token the CLI printed.`));
      return;
    }
    if (Date.parse(session.expiresAt) <= Date.now()) {
      setError(new Error(`That token expired at ${session.expiresAt}. Mint a new one with npm run fleet -- token --role ${session.role}.`));
      return;
    }
    setBusy(true);
    try {
      await createApiClient({ base: apiBase, token: () => pasted }).get('/devices?limit=1');
      onSignedIn(session);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <form className="stack" aria-label="Sign in with a token" onSubmit={(e) => void submit(e)} noValidate>
      <div className="field">
        <label htmlFor="sign-in-token">Token</label>
        <textarea id="sign-in-token" name="token" rows={3} spellCheck={false} autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} aria-describedby="sign-in-token-hint" />
        <p className="hint" id="sign-in-token-hint">
          On the machine that runs the system: <code>npm run fleet -- token --role operator --subject you@example.com</code>
        </p>
      </div>
      <div className="actions">
        <button type="submit" disabled={busy || token.trim() === ''}>
          {busy ? 'Checking…' : 'Use this token'}
        </button>
      </div>
      <ProblemMessage error={error} />
    </form>
  );
};

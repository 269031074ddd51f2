import { useMemo } from 'react';
import type { DashboardConfig, Session } from '../../session.tsx';
import { CognitoSignIn } from './CognitoSignIn.tsx';
import { LocalSignInForm } from './LocalSignInForm.tsx';
import { TokenSignInForm } from './TokenSignInForm.tsx';
import './signIn.css';

/**
 * Who is using the console. Embedded: pick a role (a token from the local issuer, on this machine
 * only) or paste a token minted by the CLI. AWS: Cognito's hosted UI. `notice` says why the user
 * is here again (signed out, session expired).
 */
export const SignInPage = ({ config, onSignedIn, notice }: { config: DashboardConfig; onSignedIn: (session: Session) => void; notice?: string | undefined }) => {
  const client = useMemo(
    () => (config.mode === 'cognito' ? { cognitoDomain: config.cognitoDomain, clientId: config.clientId, redirectUri: config.redirectUri } : undefined),
    [config],
  );
  return (
    <main id="main" className="sign-in">
      <h1>Fleet console</h1>
      {notice ? (
        <p className="notice" role="status">
          {notice}
        </p>
      ) : null}
      {client ? (
        <section className="panel" aria-labelledby="sign-in-cognito-title">
          <h2 id="sign-in-cognito-title">Sign in</h2>
          <CognitoSignIn client={client} onSignedIn={onSignedIn} />
        </section>
      ) : (
        <>
          <section className="panel" aria-labelledby="sign-in-role-title">
            <h2 id="sign-in-role-title">Sign in with a role</h2>
            <p>
              This system runs on one machine. From a browser on that machine, pick the role you need; the console gets a token valid for one hour.
            </p>
            <LocalSignInForm apiBase={config.apiBase} onSignedIn={onSignedIn} />
          </section>
          <section className="panel" aria-labelledby="sign-in-token-title">
            <h2 id="sign-in-token-title">Or paste a token</h2>
            <TokenSignInForm apiBase={config.apiBase} onSignedIn={onSignedIn} />
          </section>
        </>
      )}
    </main>
  );
};

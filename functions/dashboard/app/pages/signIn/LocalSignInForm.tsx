import { useState, type FormEvent } from 'react';
import { ROLE_PURPOSE, ROLES, type Role } from '../../../../api/auth/roles.ts';
import { createApiClient } from '../../api.ts';
import { ProblemMessage } from '../../components/ProblemMessage.tsx';
import { sessionFromToken, type Session } from '../../session.tsx';

const NAME_KEY = 'fleet-console.name';
const NAME = /^[\w.@:+-]{1,128}$/;

const rememberedName = (): string => {
  try {
    return localStorage.getItem(NAME_KEY) ?? '';
  } catch {
    return '';
  }
};

/**
 * The embedded system's role picker: `POST /auth/local-token` mints a one-hour token for the role,
 * answered only to a browser on the machine that runs the system (docs/adr/0011). The name becomes
 * the token's subject, so it is what the command audit records as the operator.
 */
export const LocalSignInForm = ({ apiBase, onSignedIn }: { apiBase: string; onSignedIn: (session: Session) => void }) => {
  const [role, setRole] = useState<Role>('viewer');
  const [name, setName] = useState(rememberedName);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const nameWrong = name !== '' && !NAME.test(name);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!NAME.test(name)) {
      setError(new Error('Your name is needed: 1-128 letters, digits and . _ @ : + - (no spaces), e.g. ada@example.com.'));
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const api = createApiClient({ base: apiBase, token: () => undefined });
      const { token } = await api.post<{ token: string; expiresAt: string }>('/auth/local-token', { role, name });
      try {
        localStorage.setItem(NAME_KEY, name);
      } catch {
        // storage may be off (private mode): the name just is not remembered
      }
      onSignedIn(sessionFromToken(token));
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <form className="stack" aria-label="Sign in with a role" onSubmit={(e) => void submit(e)} noValidate>
      <fieldset className="role-picker">
        <legend>Role</legend>
        {ROLES.map((r) => (
          <div className="choice" key={r}>
            <input type="radio" id={`role-${r}`} name="role" value={r} checked={role === r} onChange={() => setRole(r)} aria-describedby={`role-${r}-purpose`} />
            <label htmlFor={`role-${r}`}>{r}</label>
            <p className="hint" id={`role-${r}-purpose`}>
              {ROLE_PURPOSE[r]}
            </p>
          </div>
        ))}
      </fieldset>
      <div className="field">
        <label htmlFor="sign-in-name">Your name</label>
        <input
          id="sign-in-name"
          name="name"
          type="text"
          autoComplete="username"
          required
          maxLength={128}
          value={name}
          onChange={(e) => setName(e.target.value.trim())}
          aria-invalid={nameWrong}
          aria-describedby="sign-in-name-hint"
        />
        <p className="hint" id="sign-in-name-hint">
          Recorded as the operator of every command you send. Letters, digits and . _ @ : + - (no spaces), e.g. ada@example.com.
        </p>
      </div>
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </div>
      <ProblemMessage error={error} />
    </form>
  );
};

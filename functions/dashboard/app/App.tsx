import { useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import { createApiClient } from './api.ts';
import { AuditPage } from './pages/audit/AuditPage.tsx';
import { DevicePage } from './pages/device/DevicePage.tsx';
import { DirectoryPage } from './pages/directory/DirectoryPage.tsx';
import { ProvisioningPage } from './pages/provisioning/ProvisioningPage.tsx';
import { RejectionsPage } from './pages/rejections/RejectionsPage.tsx';
import { logoutUrl } from './pages/signIn/pkce.ts';
import { SignInPage } from './pages/signIn/SignInPage.tsx';
import { href, match, useLocation } from './router.ts';
import { AppContext, loadSession, may, saveSession, type AppContextValue, type DashboardConfig, type Session } from './session.tsx';

interface NavItem {
  readonly path: string;
  readonly label: string;
}

const NAV: readonly NavItem[] = [
  { path: '/devices', label: 'Devices' },
  { path: '/provisioning', label: 'Provisioning' },
  { path: '/audit', label: 'Command audit' },
  { path: '/rejections', label: 'Rejections' },
];

/** The page for a path; unknown paths say so instead of showing an empty screen. */
const pageFor = (path: string): ReactNode => {
  if (path === '/' || path === '/devices') return <DirectoryPage />;
  const device = match('/devices/:thingName', path);
  if (device?.thingName) return <DevicePage thingName={device.thingName} />;
  if (path === '/provisioning') return <ProvisioningPage />;
  const batch = match('/provisioning/:batchId', path);
  if (batch?.batchId) return <ProvisioningPage batchId={batch.batchId} />;
  if (path === '/audit') return <AuditPage />;
  if (path === '/rejections') return <RejectionsPage />;
  return (
    <section aria-labelledby="not-found-title">
      <h1 id="not-found-title">No such page</h1>
      <p>
        Nothing lives at <code>{path}</code>. <a href={href('/devices')}>Go to the devices</a>.
      </p>
    </section>
  );
};

export const App = ({ config }: { config: DashboardConfig }) => {
  const [session, setSession] = useState<Session | undefined>(loadSession);
  // Why the sign-in page shows again: said there, so an expired session is not mistaken for a fault.
  const [notice, setNotice] = useState<string | undefined>();
  const location = useLocation();
  const signIn = useCallback((next: Session) => {
    saveSession(next);
    setSession(next);
    setNotice(undefined);
  }, []);
  const endSession = useCallback((why: string) => {
    saveSession(undefined);
    setSession(undefined);
    setNotice(why);
  }, []);
  const signOut = useCallback(() => {
    endSession('You have signed out.');
    // On AWS the hosted UI keeps its own session: end it too, or signing in again skips the password.
    if (config.mode === 'cognito') window.location.assign(logoutUrl(config));
  }, [endSession, config]);
  const expired = useCallback(() => endSession('Your session has ended (the token expired or was refused). Sign in again to go on.'), [endSession]);
  // The token's own expiry signs out at that moment, not at the next refused request.
  useEffect(() => {
    if (!session) return;
    const timer = setTimeout(expired, Math.min(2 ** 31 - 1, Math.max(0, Date.parse(session.expiresAt) - Date.now())));
    return () => clearTimeout(timer);
  }, [session, expired]);
  const api = useMemo(() => createApiClient({ base: config.apiBase, token: () => session?.token, onUnauthorized: expired }), [config.apiBase, session, expired]);
  const context = useMemo<AppContextValue | undefined>(
    () => (session ? { config, session, api, signOut, can: (method, route) => may(session.role, method, route) } : undefined),
    [config, session, api, signOut],
  );

  if (!context) return <SignInPage config={config} onSignedIn={signIn} notice={notice} />;
  const current = location.path === '/' ? '/devices' : location.path;
  return (
    <AppContext.Provider value={context}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="top-bar">
        <span className="brand">Fleet console</span>
        <nav aria-label="Main">
          <ul>
            {NAV.map((item) => (
              <li key={item.path}>
                <a href={href(item.path)} aria-current={current === item.path || current.startsWith(`${item.path}/`) ? 'page' : undefined}>
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span className="who" data-testid="signed-in-as">
          {context.session.subject} · <strong>{context.session.role}</strong>
        </span>
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {pageFor(location.path)}
      </main>
    </AppContext.Provider>
  );
};

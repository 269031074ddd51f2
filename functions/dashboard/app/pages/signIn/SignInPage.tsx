import type { DashboardConfig, Session } from '../../session.tsx';

// Placeholder until the page lands (issue 9).
export const SignInPage = (_props: { config: DashboardConfig; onSignedIn: (session: Session) => void }) => <h1>Sign in</h1>;

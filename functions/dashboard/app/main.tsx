import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import type { DashboardConfig } from './session.tsx';
import './styles.css';

/**
 * `dashboard-config.json` beside index.html says how to sign in and where the API is: the embedded
 * server answers it itself, the CDK app deploys one with the Cognito pool's values.
 */
const start = async () => {
  const root = createRoot(document.getElementById('root') as HTMLElement);
  try {
    const response = await fetch('./dashboard-config.json', { cache: 'no-store' });
    if (!response.ok) throw new Error(`dashboard-config.json answered ${response.status}`);
    const config = (await response.json()) as DashboardConfig;
    root.render(
      <StrictMode>
        <App config={config} />
      </StrictMode>,
    );
  } catch (error) {
    root.render(
      <main>
        <h1>The console cannot start</h1>
        <p role="alert">{error instanceof Error ? error.message : String(error)}. Check that the server is running and reload.</p>
      </main>,
    );
  }
};

void start();

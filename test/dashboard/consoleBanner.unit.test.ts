import { describe, expect, it } from 'vitest';
import { consoleBanner } from '../../functions/dashboard/consoleBanner.ts';

const base = { url: 'http://127.0.0.1:8080', built: true, dashboardDir: '/srv/fleet/functions/dashboard/dist', localSignIn: true };

describe('the console lines of the start-up banner', () => {
  it('gives the console URL and both ways to sign in', () => {
    const text = consoleBanner(base);
    expect(text.split('\n')[1]).toBe('Console: http://127.0.0.1:8080/');
    expect(text).toContain('pick a role (admin, operator, viewer) in a browser on this machine');
    expect(text).toContain('npm run fleet -- token --role <admin|operator|viewer>');
  });

  it('says how to build the console when there is no build, and that the API works', () => {
    const text = consoleBanner({ ...base, built: false });
    expect(text).toContain('not built (no index.html in /srv/fleet/functions/dashboard/dist)');
    expect(text).toContain('npm run build:web');
    expect(text).not.toContain('pick a role');
  });

  it('offers only the pasted token when the role picker is off', () => {
    const text = consoleBanner({ ...base, localSignIn: false });
    expect(text).toContain('FLEET_CONSOLE_LOCAL_SIGN_IN=false');
    expect(text).not.toContain('pick a role');
  });

  it('names a wildcard listener as localhost, a name the role picker answers', () => {
    expect(consoleBanner({ ...base, url: 'http://0.0.0.0:9000' }).split('\n')[1]).toBe('Console: http://localhost:9000/');
    expect(consoleBanner({ ...base, url: 'http://[::]:9000' }).split('\n')[1]).toBe('Console: http://localhost:9000/');
  });
});

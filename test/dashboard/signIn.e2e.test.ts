import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateLocalIssuer } from '../../functions/api/auth/localIssuer.ts';
import { ROLES } from '../../functions/api/auth/roles.ts';
import { systemClock } from '../../functions/shared/clock.ts';
import { expectAccessible, expectKeyboardReachable, screenshot, signInAs, startDashboard, type Dashboard } from './support/dashboard.ts';

/**
 * Signing in to the console in a real browser (issue 9): the role picker for each role, a pasted
 * token, signing out, a session that expires; axe and the keyboard on the sign-in page and on the
 * signed-in shell. Writes test-results/dashboard/sign-in.png and signed-in-shell.png.
 */

let dash: Dashboard;
const otherInstallation = mkdtempSync(join(tmpdir(), 'e2e-dash-other-issuer-'));

beforeAll(async () => {
  dash = await startDashboard({ name: 'e2e-dash-sign-in' });
});
afterAll(async () => {
  await dash?.stop();
  rmSync(otherInstallation, { recursive: true, force: true });
});

const signInForm = (page: Page) => page.getByRole('form', { name: 'Sign in with a role' });
const tokenForm = (page: Page) => page.getByRole('form', { name: 'Sign in with a token' });
const header = (page: Page) => page.getByTestId('signed-in-as');

/** What the app keeps in session storage, as App.tsx saves it after a sign-in. */
const storeSession = (page: Page, session: { token: string; role: string; subject: string; expiresAt: string }) =>
  page.evaluate(`sessionStorage.setItem('fleet-console.session', ${JSON.stringify(JSON.stringify(session))})`);

describe('the role picker', () => {
  it.each(ROLES)('signs in as %s, and the header shows the name and the role', async (role) => {
    const page = await dash.newPage();
    await signInAs(page, role, `ada-${role}`);
    expect(await header(page).textContent()).toBe(`ada-${role} · ${role}`);
    await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents()).resolves.toEqual(['Devices', 'Provisioning', 'Command audit', 'Rejections']);
    expect(dash.errorsOf(page)).toEqual([]);
  });

  it('says what each role may do, and keeps the user on the form until a usable name is given', async () => {
    const page = await dash.newPage();
    const form = signInForm(page);
    await expect(form.getByRole('radio', { name: 'operator' }).getAttribute('aria-describedby')).resolves.toBe('role-operator-purpose');
    await expect(page.locator('#role-operator-purpose').textContent()).resolves.toContain('sends device commands');
    await form.getByRole('textbox', { name: 'Your name' }).fill('Ada Lovelace');
    await form.getByRole('button', { name: 'Sign in' }).click();
    await expect(form.getByRole('alert').textContent()).resolves.toContain('no spaces');
    await expect(form.getByRole('textbox', { name: 'Your name' }).getAttribute('aria-invalid')).resolves.toBe('true');
    expect(await header(page).count()).toBe(0);
  });

  it('passes axe and lets the keyboard reach every control of the sign-in page', async () => {
    const page = await dash.newPage();
    await expectAccessible(page, { what: 'the sign-in page' });
    const reached = await expectKeyboardReachable(page, { what: 'the sign-in page' });
    expect(reached).toEqual(['input[radio]: viewer', 'input[text]: Your name', 'button: Sign in', 'textarea: Token']);
    await screenshot(page, 'sign-in');
  });

  it('signs in with the keyboard alone', async () => {
    const page = await dash.newPage();
    await page.keyboard.press('Tab'); // the checked radio: viewer
    await page.keyboard.press('ArrowUp'); // operator
    await page.keyboard.press('Tab');
    await page.keyboard.type('kim-keys');
    await page.keyboard.press('Enter');
    await header(page).filter({ hasText: 'operator' }).waitFor();
    expect(await header(page).textContent()).toBe('kim-keys · operator');
  });
});

describe('the signed-in shell', () => {
  it('passes axe, and the keyboard reaches the skip link, the navigation and sign out', async () => {
    const page = await dash.signedInPage('operator', '/no-such-page');
    await page.getByRole('heading', { name: 'No such page' }).waitFor();
    await expectAccessible(page, { what: 'the signed-in shell' });
    const reached = await expectKeyboardReachable(page, { what: 'the signed-in shell' });
    expect(reached).toEqual(['a: Skip to content', 'a: Devices', 'a: Provisioning', 'a: Command audit', 'a: Rejections', 'button: Sign out', 'a: Go to the devices']);
    await screenshot(page, 'signed-in-shell');
  });

  it('signs out: back to the sign-in page, which says so, and a reload stays signed out', async () => {
    const page = await dash.signedInPage('admin');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signInForm(page).waitFor();
    await expect(page.getByRole('status').textContent()).resolves.toBe('You have signed out.');
    await page.reload();
    await signInForm(page).waitFor();
    expect(await header(page).count()).toBe(0);
    await expect(page.evaluate("sessionStorage.getItem('fleet-console.session')")).resolves.toBeNull();
  });
});

describe('tokens', () => {
  it('signs in with a pasted token minted by this system', async () => {
    const page = await dash.newPage();
    const token = await dash.story.system.tokens.issue('viewer', 'pasted-vera');
    await tokenForm(page).getByRole('textbox', { name: 'Token' }).fill(`Bearer ${token}`);
    await tokenForm(page).getByRole('button', { name: 'Use this token' }).click();
    await header(page).filter({ hasText: 'viewer' }).waitFor();
    expect(await header(page).textContent()).toBe('pasted-vera · viewer');
  });

  it("refuses a pasted token of another installation with the server's reason", async () => {
    const page = await dash.newPage();
    const foreign = await (await loadOrCreateLocalIssuer({ dataDir: otherInstallation, clock: systemClock })).issue('admin', 'mallory');
    await tokenForm(page).getByRole('textbox', { name: 'Token' }).fill(foreign);
    await tokenForm(page).getByRole('button', { name: 'Use this token' }).click();
    const alert = tokenForm(page).getByRole('alert');
    await alert.waitFor();
    await expect(alert.getAttribute('data-status')).resolves.toBe('401');
    await expect(alert.textContent()).resolves.toMatch(/not made by this API's issuer/);
    expect(await header(page).count()).toBe(0);
  });

  it('opens on the sign-in page when the stored session has expired', async () => {
    const page = await dash.newPage();
    const token = await dash.story.system.tokens.issue('operator', 'old-olga');
    await storeSession(page, { token, role: 'operator', subject: 'old-olga', expiresAt: new Date(Date.now() - 60_000).toISOString() });
    await page.reload();
    await signInForm(page).waitFor();
    expect(await header(page).count()).toBe(0);
  });

  it('goes back to sign-in, saying why, the moment the token expires', async () => {
    const page = await dash.newPage();
    const issued = await dash.story.system.tokens.issueWithExpiry('operator', 'brief-bo', { ttlSeconds: 5 });
    await storeSession(page, { token: issued.token, role: 'operator', subject: 'brief-bo', expiresAt: issued.expiresAt.toISOString() });
    await dash.open(page, '/no-such-page');
    await page.reload(); // the app reads the stored session when it starts
    await header(page).waitFor();
    await signInForm(page).waitFor({ timeout: 15_000 });
    await expect(page.getByRole('status').textContent()).resolves.toMatch(/session has ended/);
    expect(Date.now()).toBeGreaterThanOrEqual(issued.expiresAt.getTime() - 1000);
  });
});

describe('Cognito (the AWS configuration), against a stand-in for the hosted UI', () => {
  const DOMAIN = 'https://auth.fleet.example';
  let context: BrowserContext;

  afterAll(async () => {
    await context?.close();
  });

  /** An ID token as Cognito shapes it (the console only reads its claims; the API would verify it). */
  const idToken = (claims: Record<string, unknown>) =>
    [{ alg: 'RS256', kid: 'k1' }, claims].map((part) => Buffer.from(JSON.stringify(part)).toString('base64url')).join('.') + '.c2ln';

  /**
   * The console as CloudFront would serve it (its own dashboard-config.json, no embedded CSP) and
   * a hosted UI that answers /oauth2/authorize with a redirect and /oauth2/token with tokens.
   */
  const cognitoPage = async (answerState: (sent: string) => string) => {
    context = await dash.browser.newContext({ bypassCSP: true, locale: 'en-GB', timezoneId: 'UTC' });
    const page = await context.newPage();
    const seen: { authorize?: URLSearchParams; token?: URLSearchParams } = {};
    const origin = new URL(dash.url).origin;
    await page.route(`${dash.url}dashboard-config.json`, (route: Route) =>
      route.fulfill({ json: { mode: 'cognito', apiBase: '', cognitoDomain: DOMAIN.replace('https://', ''), clientId: 'console-client', redirectUri: dash.url } }),
    );
    // The API behind this console is not Cognito's: page data calls answer 503 instead of a 401 that would sign out.
    await page.route(
      (url) => url.origin === origin && !url.pathname.startsWith('/assets/') && url.pathname !== '/' && url.pathname !== '/dashboard-config.json',
      (route: Route) => route.fulfill({ status: 503, contentType: 'application/problem+json', body: JSON.stringify({ title: 'Not here', status: 503, detail: 'stand-in' }) }),
    );
    await page.route(`${DOMAIN}/oauth2/authorize?**`, (route: Route) => {
      seen.authorize = new URL(route.request().url()).searchParams;
      const back = new URL(seen.authorize.get('redirect_uri') ?? '');
      back.search = new URLSearchParams({ code: 'code-from-cognito', state: answerState(seen.authorize.get('state') ?? '') }).toString();
      return route.fulfill({ status: 302, headers: { location: back.toString() } });
    });
    await page.route(`${DOMAIN}/oauth2/token`, (route: Route) => {
      seen.token = new URLSearchParams(route.request().postData() ?? '');
      const exp = Math.floor(Date.now() / 1000) + 3600;
      return route.fulfill({
        headers: { 'access-control-allow-origin': origin },
        json: { id_token: idToken({ sub: 'u-1', email: 'cora@example.com', 'cognito:groups': ['operator'], token_use: 'id', exp }), access_token: 'opaque', token_type: 'Bearer', expires_in: 3600 },
      });
    });
    await page.goto(dash.url);
    return { page, seen };
  };

  it('signs in with the authorization code and PKCE: the verifier the token request sends hashes to the challenge', async () => {
    const { page, seen } = await cognitoPage((state) => state);
    await expectAccessible(page, { what: 'the Cognito sign-in page' });
    await page.getByRole('button', { name: 'Sign in with Cognito' }).click();
    await header(page).waitFor();
    expect(await header(page).textContent()).toBe('cora@example.com · operator');
    expect(Object.fromEntries(seen.authorize ?? [])).toMatchObject({ response_type: 'code', client_id: 'console-client', redirect_uri: dash.url, code_challenge_method: 'S256' });
    const verifier = seen.token?.get('code_verifier') ?? '';
    expect(verifier).toMatch(/^[\w-]{43}$/);
    expect(createHash('sha256').update(verifier).digest('base64url')).toBe(seen.authorize?.get('code_challenge'));
    expect(Object.fromEntries(seen.token ?? [])).toMatchObject({ grant_type: 'authorization_code', code: 'code-from-cognito', client_id: 'console-client', redirect_uri: dash.url });
    // The code and state are gone from the address bar: a reload does not replay them.
    expect(new URL(page.url()).search).toBe('');
    await context.close();
  });

  it('refuses an answer carrying another state, and signs nobody in', async () => {
    const { page, seen } = await cognitoPage(() => 'forged-state');
    await page.getByRole('button', { name: 'Sign in with Cognito' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/state mismatch/);
    expect(seen.token).toBeUndefined();
    expect(await header(page).count()).toBe(0);
    await context.close();
  });
});

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { Role } from '../../../functions/api/auth/roles.ts';
import { startStorySystem, type StoryOptions, type StorySystem } from '../../e2e/storySupport.ts';

/**
 * The browser test harness of the console (issue 9): the dashboard built once per test file into a
 * temporary folder, the whole embedded system serving it (test/e2e/storySupport.ts), and Debian's
 * Chromium driven by playwright-core. Page tests use it like this:
 *
 *   let dash: Dashboard;
 *   beforeAll(async () => { dash = await startDashboard({ name: 'e2e-dash-devices' }); });
 *   afterAll(async () => { await dash?.stop(); });
 *   it('...', async () => {
 *     const page = await dash.signedInPage('operator', '/devices');
 *     await expectAccessible(page);
 *     await screenshot(page, 'devices');
 *   });
 */

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const SCREENSHOT_DIR = join(REPO_ROOT, 'test-results', 'dashboard');
export const CHROMIUM_PATH = process.env.FLEET_CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Headless, no sandbox (CI runs as root in a container), and nothing that phones home or updates
 * itself: a test run must not depend on the network or change between runs.
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

let built: Promise<string> | undefined;

/**
 * Builds the dashboard with vite's build API into a temporary folder and returns it. Once per test
 * file (vitest gives each file its own module graph): a build takes well under a second, which is
 * cheaper and simpler than a cross-process lock, and a test never serves another file's stale build.
 */
export const buildDashboard = (): Promise<string> => {
  built ??= (async () => {
    const { build } = await import('vite');
    const outDir = mkdtempSync(join(tmpdir(), 'fleet-dashboard-build-'));
    await build({
      configFile: join(REPO_ROOT, 'functions/dashboard/vite.config.ts'),
      logLevel: 'warn',
      build: { outDir, emptyOutDir: true, sourcemap: false },
    });
    process.once('exit', () => rmSync(outDir, { recursive: true, force: true }));
    return outDir;
  })();
  return built;
};

/** Debian's Chromium, headless; playwright gives every launch a fresh temporary profile (user-data-dir). */
export const launchChromium = (): Promise<Browser> =>
  chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS] }).catch((err: unknown) => {
    throw new Error(
      `Chromium did not start from ${CHROMIUM_PATH} (${err instanceof Error ? err.message.split('\n')[0] : String(err)}). Install it with \`apt-get install -y chromium\` or set FLEET_CHROMIUM_PATH.`,
    );
  });

export interface DashboardOptions extends Partial<StoryOptions> {
  /** Prefix of the temporary data folder; name it after the test file. */
  readonly name: string;
  /** The viewport of every page; 1280×900 unless given (the layout holds down to ~900 px wide). */
  readonly viewport?: { readonly width: number; readonly height: number };
}

export interface Dashboard {
  /** The whole embedded system (provisioning, commands, LwM2M bridge, ...) serving the console. */
  readonly story: StorySystem;
  /** The console's URL, ending in `/` (the API is on the same origin: `${story.system.url}/devices`). */
  readonly url: string;
  readonly browser: Browser;
  /** A page in a fresh browser context (its own session storage), not signed in, console loaded. */
  newPage(): Promise<Page>;
  /** A fresh page signed in as `role` through the sign-in form, then opened at `path` (a hash route like '/devices'). */
  signedInPage(role: Role, path?: string, options?: { readonly name?: string }): Promise<Page>;
  /** Opens a hash route (`/devices/thing-1`, with `?query`) on a page of this console and waits for the page to render. */
  open(page: Page, path: string): Promise<void>;
  /** Errors the page threw or logged to the console (uncaught exceptions, console.error), for tests to assert none. */
  errorsOf(page: Page): readonly string[];
  stop(): Promise<void>;
}

/** Builds the console, starts the embedded system serving it, and launches Chromium. */
export const startDashboard = async (options: DashboardOptions): Promise<Dashboard> => {
  const dashboardDir = await buildDashboard();
  const { viewport = { width: 1280, height: 900 }, ...storyOptions } = options;
  const story = await startStorySystem({
    bridgeId: 'dashboard',
    ...storyOptions,
    env: { FLEET_DASHBOARD_DIR: dashboardDir, ...options.env },
  });
  let browser: Browser;
  try {
    browser = await launchChromium();
  } catch (err) {
    await story.stop();
    throw err;
  }
  const url = `${story.system.url}/`;
  const contexts: BrowserContext[] = [];
  const errors = new WeakMap<Page, string[]>();

  const open = async (page: Page, path: string) => {
    await page.goto(`${url}#${path}`);
    // The app renders after dashboard-config.json answers: either the sign-in page or the shell's main.
    await page.locator('main').first().waitFor();
  };

  const newPage = async () => {
    const context = await browser.newContext({ viewport, locale: 'en-GB', timezoneId: 'UTC' });
    contexts.push(context);
    const page = await context.newPage();
    const list: string[] = [];
    errors.set(page, list);
    page.on('pageerror', (err) => list.push(`uncaught: ${err.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') list.push(`console.error: ${message.text()}`);
    });
    await open(page, '/');
    return page;
  };

  return {
    story,
    url,
    browser,
    newPage,
    open,
    errorsOf: (page) => errors.get(page) ?? [],
    signedInPage: async (role, path, signInOptions) => {
      const page = await newPage();
      await signInAs(page, role, signInOptions?.name);
      if (path !== undefined) await open(page, path);
      return page;
    },
    stop: async () => {
      for (const context of contexts) await context.close().catch(() => undefined);
      await browser.close().catch(() => undefined);
      await story.stop();
    },
  };
};

/**
 * Signs in through the console's own sign-in form (embedded mode): picks `role` in the role
 * picker, types a name, submits, and waits for the header to show the role.
 */
export const signInAs = async (page: Page, role: Role, name = `e2e-${role}`): Promise<void> => {
  const form = page.getByRole('form', { name: 'Sign in with a role' });
  await form.getByRole('radio', { name: new RegExp(`^${role}\\b`, 'i') }).check();
  await form.getByRole('textbox', { name: 'Your name' }).fill(name);
  await form.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('signed-in-as').filter({ hasText: role }).waitFor();
};

/** Saves a full-page screenshot to test-results/dashboard/<name>.png at the repo root; returns the path. */
export const screenshot = async (page: Page, name: string): Promise<string> => {
  if (!/^[\w.-]+$/.test(name)) throw new Error(`screenshot name "${name}" must be letters, digits, . _ - (it becomes a file name).`);
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
};

export { expectAccessible, type AccessibilityOptions } from './accessibility.ts';
export { expectKeyboardReachable, type KeyboardOptions } from './keyboard.ts';

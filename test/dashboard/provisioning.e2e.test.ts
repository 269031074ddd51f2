import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchSchema } from '../../functions/provisioning/batchListSchemas.ts';
import type { DeviceRegistry } from '../../functions/registry/deviceRegistry.ts';
import { apiFetch } from '../support/api.ts';
import { expectAccessible, expectKeyboardReachable, screenshot, startDashboard, type Dashboard } from './support/dashboard.ts';

/**
 * The provisioning page in Chromium against the whole embedded system: an admin uploads a CSV
 * manifest of 20 devices with two bad rows, sees it running, watches it complete without reloading
 * and reads the bad rows in the report; a viewer is not offered the upload; the server's refusal of
 * a workbook is shown, and a batch whose workflow has not started is waited for, named.
 */

const ROWS = 20;
/** CSV row numbers as the report gives them: the header is row 1, the first device row 2. */
const BAD_LATITUDE_ROW = 7;
const BAD_TENANT_ROW = 15;

const manifestCsv = (): string => {
  const lines = ['serial,tenant,latitude,longitude,thingGroup,kind'];
  for (let i = 0; i < ROWS; i++) {
    const row = i + 2;
    const serial = `dash-prov-${String(i + 1).padStart(3, '0')}`;
    const latitude = row === BAD_LATITUDE_ROW ? '91.5' : (55.6 + i * 0.01).toFixed(4);
    const tenant = row === BAD_TENANT_ROW ? 'Acme-City' : 'acme-city';
    lines.push(`${serial},${tenant},${latitude},13.0${i},street-lights,lamp`);
  }
  return `${lines.join('\n')}\n`;
};

/** Console errors that are not the app's fault: Chromium logs every refused request it made on purpose. */
const appErrors = (errors: readonly string[]) => errors.filter((e) => !/Failed to load resource/.test(e));

/**
 * Holds the registry's createKeysAndCertificate (the real one, called once released), so a batch
 * stays RUNNING, its rows validated and none provisioned, until the test says: no timing involved.
 */
const holdKeyCreation = (registry: DeviceRegistry) => {
  const issue = registry.createKeysAndCertificate.bind(registry);
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let reached: () => void = () => undefined;
  const firstCall = new Promise<void>((resolve) => (reached = resolve));
  registry.createKeysAndCertificate = async (input) => {
    reached();
    await gate;
    return issue(input);
  };
  return {
    firstCall,
    release: () => {
      registry.createKeysAndCertificate = issue;
      release();
    },
  };
};

/** A value set in the page's JavaScript realm: it survives anything but a reload or a new document. */
const markDocument = (page: Page) => page.evaluate(() => void ((globalThis as { sameDocument?: string }).sameDocument = 'yes'));
const sameDocument = (page: Page) => page.evaluate(() => (globalThis as { sameDocument?: string }).sameDocument === 'yes');

let dash: Dashboard;
let files: string;

beforeAll(async () => {
  files = mkdtempSync(join(tmpdir(), 'e2e-dash-provisioning-files-'));
  dash = await startDashboard({ name: 'e2e-dash-provisioning' });
});

afterAll(async () => {
  await dash?.stop();
  if (files) rmSync(files, { recursive: true, force: true });
});

describe('the provisioning page', () => {
  let batchId = '';

  it('as admin: uploads a manifest, shows it running, then its later counts and completion without a reload, then the bad rows by row number and field', async () => {
    const manifest = join(files, 'streetlights.csv');
    writeFileSync(manifest, manifestCsv());
    const page = await dash.signedInPage('admin', '/provisioning');

    const form = page.getByRole('form', { name: 'Upload a manifest' });
    await expectAccessible(page, { what: 'the provisioning page before an upload' });
    await expectKeyboardReachable(page, { within: 'main', what: 'the provisioning page' });
    await form.getByLabel(/Manifest file/).setInputFiles(manifest);
    await expect(form.getByTestId('chosen-file').textContent()).resolves.toContain('streetlights.csv');
    await screenshot(page, 'provisioning-upload');
    const hold = holdKeyCreation(dash.story.system.registry);
    try {
      await form.getByRole('button', { name: 'Upload and provision' }).click();

      // The page moves to the new batch, whose id the API gave the upload.
      await page.waitForURL(/#\/provisioning\/b-[A-Za-z0-9_-]+$/);
      batchId = decodeURIComponent(new URL(page.url()).hash.replace('#/provisioning/', ''));

      // Validation is done and the first device waits for its keys: the page reads a running batch,
      // named from the upload's metadata by the API (nothing of the upload is kept in the browser).
      await hold.firstCall;
      const status = page.getByTestId('batch-status');
      await status.filter({ hasText: /^Running: 2 of 20 rows done/ }).waitFor({ timeout: 30_000 });
      expect(await page.getByTestId('count-provisioned').textContent()).toBe('0');
      expect(await page.getByRole('progressbar', { name: 'Rows with an outcome' }).getAttribute('value')).toBe('2');
      expect(await page.getByTestId('batch-file').textContent()).toBe('streetlights.csv');
      expect(await page.locator('.batch-meta').textContent()).toContain('by e2e-admin');
      expect(BatchSchema.parse(await (await apiFetch(dash.story.system, `/provisioning/batches/${batchId}`, {}, 'viewer')).json())).toMatchObject({ status: 'RUNNING', provisioned: 0 });
      await screenshot(page, 'provisioning-running');
      await markDocument(page);
    } finally {
      hold.release();
    }

    // Live progress: the status region reaches "Completed" by polling, with the final counts, in the same document.
    const status = page.getByTestId('batch-status');
    await status.filter({ hasText: /^Completed/ }).waitFor({ timeout: 60_000 });
    expect(await sameDocument(page)).toBe(true);
    expect(await status.getAttribute('aria-live')).toBe('polite');
    expect(await status.textContent()).toBe(`Completed: ${ROWS} rows, 18 provisioned, 2 invalid.`);
    const bar = page.getByRole('progressbar', { name: 'Rows with an outcome' });
    expect(await bar.getAttribute('max')).toBe(String(ROWS));
    expect(await bar.getAttribute('value')).toBe(String(ROWS));
    expect(await page.getByTestId('count-total').textContent()).toBe(String(ROWS));
    expect(await page.getByTestId('count-provisioned').textContent()).toBe('18');
    expect(await page.getByTestId('count-failed').textContent()).toBe('0');
    expect(await page.getByTestId('count-invalid').textContent()).toBe('2');

    // What the page shows is what the API says.
    const api = BatchSchema.parse(await (await apiFetch(dash.story.system, `/provisioning/batches/${batchId}`, {}, 'viewer')).json());
    expect(api).toMatchObject({ status: 'SUCCEEDED', totalRows: ROWS, invalidRows: 2, provisioned: 18, fileName: 'streetlights.csv', uploadedBy: 'e2e-admin' });
    await screenshot(page, 'provisioning-progress');

    // The report: every row, then only the bad ones, each with its row number, field and fix.
    const report = page.getByRole('table', { name: /Every row/ });
    await report.waitFor();
    // One line per row: each bad row breaks one rule.
    expect(await report.locator('tbody tr').count()).toBe(ROWS);
    await page.getByLabel('Show rows').selectOption('problems');
    const bad = page.getByRole('table', { name: 'Failed and invalid rows' });
    await bad.waitFor();
    const lines = await bad.locator('tbody tr').evaluateAll((rows) =>
      rows.map((r) => [...(r as unknown as { children: Iterable<{ textContent: string | null }> }).children].map((c) => (c.textContent ?? '').trim())),
    );
    expect(lines.map((l) => [l[0], l[1], l[2], l[3]])).toEqual([
      [String(BAD_LATITUDE_ROW), 'dash-prov-006', 'invalid', 'latitude'],
      [String(BAD_TENANT_ROW), 'dash-prov-014', 'invalid', 'tenant'],
    ]);
    for (const line of lines) {
      expect(line[4]).not.toBe('');
      expect(line[5]).not.toBe('');
    }
    await expectAccessible(page, { what: 'the batch page with its report' });
    await expectKeyboardReachable(page, { within: 'main', what: 'the batch page' });
    await screenshot(page, 'provisioning-report');
    expect(appErrors(dash.errorsOf(page))).toEqual([]);
  });

  it('as viewer: the upload is not offered, and a batch is readable', async () => {
    expect(batchId).not.toBe('');
    const page = await dash.signedInPage('viewer', '/provisioning');
    await page.getByTestId('upload-not-offered').waitFor();
    expect(await page.getByTestId('upload-not-offered').textContent()).toContain('needs the admin role');
    expect(await page.getByRole('form', { name: 'Upload a manifest' }).count()).toBe(0);
    expect(await page.locator('input[type=file]').count()).toBe(0);

    // The batch list comes from the server (GET /provisioning/batches), so a viewer in another
    // browser sees the admin's upload: its file, uploader, status and counts.
    const list = page.getByRole('table', { name: 'Provisioning batches, newest first' });
    const row = list.locator('tbody tr').filter({ hasText: batchId });
    await row.waitFor();
    const rowText = await row.textContent();
    expect(rowText).toContain('streetlights.csv');
    expect(rowText).toContain('e2e-admin');
    expect(rowText).toContain('Completed');
    expect(rowText).toContain('18 provisioned, 2 invalid');
    expect(await row.locator('time').getAttribute('title')).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    await expectAccessible(page, { what: 'the batch list as a viewer' });
    await screenshot(page, 'provisioning-batches');

    const open = page.getByRole('form', { name: 'Open a batch' });
    await open.getByLabel('Batch id').fill(batchId);
    await open.getByRole('button', { name: 'Open' }).click();
    await page.getByTestId('batch-status').filter({ hasText: /^Completed/ }).waitFor();
    await page.getByRole('table', { name: /Every row/ }).waitFor();
    expect(await page.locator('input[type=file]').count()).toBe(0);
    await expectAccessible(page, { what: 'a batch as a viewer' });
    expect(appErrors(dash.errorsOf(page))).toEqual([]);
  });

  it('shows the server refusing a spreadsheet workbook, and an unknown batch', async () => {
    const workbook = join(files, 'devices.xlsx');
    writeFileSync(workbook, 'PK\u0003\u0004 not really a workbook');
    const page = await dash.signedInPage('admin', '/provisioning');
    const form = page.getByRole('form', { name: 'Upload a manifest' });
    await form.getByLabel(/Manifest file/).setInputFiles(workbook);
    await form.getByRole('button', { name: 'Upload and provision' }).click();
    const alert = form.getByRole('alert');
    await alert.waitFor();
    expect(await alert.getAttribute('data-status')).toBe('415');
    expect(await alert.textContent()).toMatch(/spreadsheet workbook.*CSV UTF-8/);
    expect(page.url()).toMatch(/#\/provisioning$/);

    await dash.open(page, '/provisioning/b-does-not-exist');
    const missing = page.getByRole('alert');
    await missing.waitFor();
    expect(await missing.getAttribute('data-status')).toBe('404');
    expect(await missing.textContent()).toContain('No provisioning batch has the id "b-does-not-exist"');
    expect(appErrors(dash.errorsOf(page))).toEqual([]);
  });

  // Last: it stops the upload trigger, as a failed S3 event rule would on AWS.
  it('names a stored batch whose workflow has not started, and keeps waiting for it', async () => {
    await dash.story.provisioning.stop();
    const upload = await apiFetch(dash.story.system, '/provisioning/manifests?name=harbour.csv', { method: 'POST', body: manifestCsv(), headers: { 'content-type': 'text/csv' } });
    expect(upload.status).toBe(202);
    const { batchId: waitingId } = (await upload.json()) as { batchId: string };

    const page = await dash.signedInPage('viewer', `/provisioning/${waitingId}`);
    await page.getByTestId('batch-waiting').waitFor();
    expect(await page.getByTestId('batch-file').textContent()).toBe('harbour.csv');
    expect(await page.locator('.batch-meta').textContent()).toContain('by test-admin');
    expect(await page.getByRole('alert').count()).toBe(0);
    await expectAccessible(page, { what: 'a batch waiting for its workflow' });

    // The list shows it as pending, linked to the same page.
    await dash.open(page, '/provisioning');
    const row = page.getByRole('table', { name: 'Provisioning batches, newest first' }).locator('tbody tr').first();
    await row.filter({ hasText: 'harbour.csv' }).waitFor();
    expect(await row.textContent()).toContain('Pending');
    expect(appErrors(dash.errorsOf(page))).toEqual([]);
  });
});

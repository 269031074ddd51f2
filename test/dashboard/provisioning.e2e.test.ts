import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchProgressSchema } from '../../functions/api/openapi/apiSchemas.ts';
import { apiFetch } from '../support/api.ts';
import { expectAccessible, expectKeyboardReachable, screenshot, startDashboard, type Dashboard } from './support/dashboard.ts';

/**
 * The provisioning page in Chromium against the whole embedded system: an admin uploads a CSV
 * manifest of 20 devices with two bad rows, watches the batch complete and reads the bad rows in
 * the report; a viewer is not offered the upload; the server's refusal of a workbook is shown.
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

  it('as admin: uploads a manifest, shows live progress to completion, then the bad rows by row number and field', async () => {
    const manifest = join(files, 'streetlights.csv');
    writeFileSync(manifest, manifestCsv());
    const page = await dash.signedInPage('admin', '/provisioning');

    const form = page.getByRole('form', { name: 'Upload a manifest' });
    await expectAccessible(page, { what: 'the provisioning page before an upload' });
    await expectKeyboardReachable(page, { within: 'main', what: 'the provisioning page' });
    await form.getByLabel(/Manifest file/).setInputFiles(manifest);
    await expect(form.getByTestId('chosen-file').textContent()).resolves.toContain('streetlights.csv');
    await screenshot(page, 'provisioning-upload');
    await form.getByRole('button', { name: 'Upload and provision' }).click();

    // The page moves to the new batch, whose id the API gave the upload.
    await page.waitForURL(/#\/provisioning\/b-[A-Za-z0-9_-]+$/);
    batchId = decodeURIComponent(new URL(page.url()).hash.replace('#/provisioning/', ''));

    // Live progress: the status region reaches "Completed" by polling, with the final counts.
    const status = page.getByTestId('batch-status');
    await status.filter({ hasText: /^Completed/ }).waitFor({ timeout: 60_000 });
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
    const api = BatchProgressSchema.parse(await (await apiFetch(dash.story.system, `/provisioning/batches/${batchId}`, {}, 'viewer')).json());
    expect(api).toMatchObject({ status: 'SUCCEEDED', totalRows: ROWS, invalidRows: 2, provisioned: 18 });
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
});

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uploadManifest } from '../e2e/storySupport.ts';
import { expectAccessible, expectKeyboardReachable, screenshot, startDashboard, type Dashboard } from './support/dashboard.ts';

/**
 * The device directory in Chromium against the whole embedded system: seven devices in two
 * tenants at known places (Lund, Malmö, one in Stockholm), filtered by tenant and by radius
 * through the form, paged by the API's cursor, linked by URL, and drawn on the offline map whose
 * points open the device page.
 */

const DEVICES = [
  { serial: 'lund-001', tenant: 'lund-city', lat: 55.7047, lon: 13.191, group: 'lund-centre' },
  { serial: 'lund-002', tenant: 'lund-city', lat: 55.71, lon: 13.2, group: 'lund-centre' },
  { serial: 'lund-003', tenant: 'lund-city', lat: 55.69, lon: 13.18, group: 'lund-south' },
  { serial: 'lund-far', tenant: 'lund-city', lat: 59.3293, lon: 18.0686, group: 'lund-centre' },
  { serial: 'malmo-001', tenant: 'malmo-city', lat: 55.605, lon: 13.0038, group: 'malmo-harbour' },
  { serial: 'malmo-002', tenant: 'malmo-city', lat: 55.59, lon: 13.01, group: 'malmo-harbour' },
  { serial: 'malmo-003', tenant: 'malmo-city', lat: 55.61, lon: 12.99, group: 'malmo-harbour' },
] as const;

const MANIFEST = ['serial,tenant,latitude,longitude,thingGroup,kind', ...DEVICES.map((d) => `${d.serial},${d.tenant},${d.lat},${d.lon},${d.group},meter`)].join('\n');

let dash: Dashboard;

beforeAll(async () => {
  dash = await startDashboard({ name: 'e2e-dash-directory' });
  const { progress } = await uploadManifest(dash.story, 'directory.csv', MANIFEST);
  expect(progress).toMatchObject({ status: 'SUCCEEDED', provisioned: DEVICES.length });
});

afterAll(async () => {
  await dash?.stop();
});

const summary = (page: Page) => page.getByTestId('directory-summary');

/** Waits until the result line says `text`, then returns the thing names of the table, in order. */
const rowsOnceShowing = async (page: Page, text: string | RegExp): Promise<string[]> => {
  await summary(page).filter({ hasText: text }).waitFor();
  return page.getByRole('table', { name: /Matching devices/ }).locator('tbody tr th').allTextContents();
};

const mapPoints = async (page: Page): Promise<string[]> => {
  const points = page.getByRole('figure').getByTestId('map-point');
  return (await points.evaluateAll((els) => els.map((el) => (el as unknown as { getAttribute(n: string): string | null }).getAttribute('aria-label') ?? ''))).sort();
};

const submitFilters = async (page: Page, fields: Readonly<Record<string, string>>) => {
  const form = page.getByRole('form', { name: 'Device filters' });
  for (const [label, value] of Object.entries(fields)) await form.getByLabel(label, { exact: true }).fill(value);
  await form.getByRole('button', { name: 'Search' }).click();
};

describe('the device directory', () => {
  it('lists every live device with a point on the map for each, and passes axe and the keyboard check', async () => {
    const page = await dash.signedInPage('viewer', '/devices');
    const names = await rowsOnceShowing(page, '7 devices match; showing 7.');
    expect(names).toEqual(DEVICES.map((d) => d.serial).sort());
    const first = page.getByRole('table', { name: /Matching devices/ }).locator('tbody tr').first();
    expect(await first.locator('td').allTextContents()).toEqual(['lund-city', 'lund-centre', '—', '55.7047°N 13.1910°E', 'provisioned']);

    const points = await mapPoints(page);
    expect(points).toHaveLength(DEVICES.length);
    expect(points).toContain('lund-far, lund-city, at 59.3293°N 18.0686°E');
    expect(await page.getByRole('figure').locator('figcaption').textContent()).toContain('Map of the 7 devices on this page');
    // Land is drawn from the bundled outlines: no request ever leaves for a tile server.
    expect((await page.locator('.device-map path.land').getAttribute('d'))?.length ?? 0).toBeGreaterThan(100);

    await expectAccessible(page, { what: 'the directory with every device' });
    await expectKeyboardReachable(page, { within: 'main', what: 'the directory' });
    await screenshot(page, 'directory');
    expect(dash.errorsOf(page)).toEqual([]);
  });

  it('filters by tenant through the form and puts the filter in the URL', async () => {
    const page = await dash.signedInPage('viewer', '/devices');
    await rowsOnceShowing(page, '7 devices match');
    await submitFilters(page, { Tenant: 'malmo-city' });
    await page.waitForURL(/#\/devices\?tenant=malmo-city$/);
    expect(await rowsOnceShowing(page, '3 devices match; showing 3.')).toEqual(['malmo-001', 'malmo-002', 'malmo-003']);
    expect((await mapPoints(page)).map((p) => p.split(',')[0])).toEqual(['malmo-001', 'malmo-002', 'malmo-003']);
    expect(dash.errorsOf(page)).toEqual([]);
  });

  it('filters by radius (centre + km), nearest first, and outlines the circle on the map', async () => {
    const page = await dash.signedInPage('operator', '/devices');
    await rowsOnceShowing(page, '7 devices match');
    await submitFilters(page, { 'Centre latitude': '55.7047', 'Centre longitude': '13.191', 'Radius (km)': '5' });
    await page.waitForURL(/#\/devices\?near=55\.7047%2C13\.191%2C5000$/);
    expect(await rowsOnceShowing(page, '3 devices match')).toEqual(['lund-001', 'lund-002', 'lund-003']);
    const table = page.getByRole('table', { name: /Matching devices/ });
    expect(await table.locator('thead th').allTextContents()).toContain('Distance');
    expect(await table.locator('tbody tr').first().locator('td').nth(4).textContent()).toBe('0 m');
    expect(await mapPoints(page)).toHaveLength(3);
    expect(await page.locator('.device-map path.search-area').count()).toBe(1);
    await expectAccessible(page, { what: 'the directory filtered by radius' });
    await screenshot(page, 'directory-radius');
    expect(dash.errorsOf(page)).toEqual([]);
  });

  it('opens a linked filter with the form filled in, and pages with the cursor', async () => {
    const page = await dash.signedInPage('viewer');
    await dash.open(page, '/devices?tenant=lund-city&limit=2');
    expect(await rowsOnceShowing(page, '4 devices match; showing 2.')).toEqual(['lund-001', 'lund-002']);
    const form = page.getByRole('form', { name: 'Device filters' });
    expect(await form.getByLabel('Tenant', { exact: true }).inputValue()).toBe('lund-city');
    expect(await form.getByLabel('Devices per page').inputValue()).toBe('2');

    await page.getByRole('navigation', { name: 'Pages of devices' }).getByRole('link', { name: 'Next page' }).click();
    await page.waitForURL(/cursor=/);
    expect(await rowsOnceShowing(page, 'Showing 2 more devices.')).toEqual(['lund-003', 'lund-far']);
    expect(await page.getByRole('navigation', { name: 'Pages of devices' }).textContent()).toContain('Last page');
    expect(await mapPoints(page)).toHaveLength(2);
    expect(dash.errorsOf(page)).toEqual([]);
  });

  it('opens a device from its point on the map, by keyboard', async () => {
    const page = await dash.signedInPage('viewer', '/devices?tenant=malmo-city');
    await rowsOnceShowing(page, '3 devices match');
    const point = page.getByRole('figure').getByRole('link', { name: /^malmo-002, malmo-city, at 55\.5900°N 13\.0100°E$/ });
    await point.focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/#\/devices\/malmo-002$/);
    await page.locator('main').filter({ hasText: 'malmo-002' }).waitFor();
    expect(dash.errorsOf(page)).toEqual([]);
  });

  it('says what to fix: a half-filled box in the form, and the server refusing a bad linked search', async () => {
    const page = await dash.signedInPage('viewer', '/devices');
    await rowsOnceShowing(page, '7 devices match');
    await submitFilters(page, { 'South (min latitude)': '55', 'North (max latitude)': '56' });
    const formAlert = page.getByRole('form', { name: 'Device filters' }).getByRole('alert');
    await formAlert.waitFor();
    expect(await formAlert.textContent()).toContain('West (min longitude) is empty: a bounding box needs all four edges, or none.');
    expect(page.url()).toMatch(/#\/devices$/);

    await dash.open(page, '/devices?bbox=55,12,56');
    const problem = page.locator('.problem[data-status="400"]');
    await problem.waitFor();
    expect(await problem.textContent()).toContain('bbox has 3 comma-separated values');
    expect(await page.getByRole('table', { name: /Matching devices/ }).count()).toBe(0);
  });
});

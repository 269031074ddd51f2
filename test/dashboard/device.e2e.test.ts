import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../events/envelope.ts';
import type { DeviceStateRow } from '../../events/projections/deviceState.ts';
import { SimulatedDevice } from '../../functions/simulator/simulatedDevice.ts';
import { until, untilStream, uploadManifest } from '../e2e/storySupport.ts';
import { nextEvent } from '../simulator/support.ts';
import { expectAccessible, expectKeyboardReachable, screenshot, startDashboard, type Dashboard } from './support/dashboard.ts';

/**
 * The device page in Chromium against the whole embedded system and a simulated lamp that
 * bootstrapped through the bridge and publishes over MQTT/TLS: its state named from the LwM2M
 * object definitions with units, its threshold alarm acknowledged by an operator, a read of
 * /3/0/0 sent through the generated form and followed to its value, the read in the command
 * audit, the state as of an earlier instant; and a viewer offered none of the controls, whose
 * forged POST /commands is refused before anything is recorded.
 */

const LAMP = 'dash-lamp-1';
const ALARM_ID = 'temperature-high-3303-0';
const MANIFEST = ['serial,tenant,latitude,longitude,thingGroup,kind', `${LAMP},city-of-lund,55.7047,13.1910,lund-centre,lamp`].join('\n') + '\n';

let dash: Dashboard;
let lamp: SimulatedDevice;
/** An instant after the lamp's first reports (21 °C) and before it was heated: the as-of test's "earlier time". */
let earlier: string;

const deviceStream = () => dash.story.system.events.readStream(`device-${LAMP}`);
const celsiusInState = () => (dash.story.system.projectionStore.getRow('device-state', LAMP) as DeviceStateRow | undefined)?.resources['/3303/0/5700']?.value;
const reports = (events: readonly StoredEvent[]) => events.filter((e) => e.type === 'DeviceStateReported');
const wholeSecond = (iso: string) => Math.floor(Date.parse(iso) / 1000) * 1000;

beforeAll(async () => {
  dash = await startDashboard({ name: 'e2e-dash-device' });
  const { progress } = await uploadManifest(dash.story, 'lamp.csv', MANIFEST);
  expect(progress).toMatchObject({ status: 'SUCCEEDED', provisioned: 1 });

  lamp = await SimulatedDevice.open({ endpoint: LAMP, server: dash.story.lwm2m.plainCoap!, sampleEveryMs: 0, publishEveryMs: 400, alarmAboveCelsius: 30 });
  const connected = nextEvent(lamp.events, 'mqtt-connected', 30_000);
  lamp.start();
  await connected;

  // Reports at the default 21 °C until one lands in a later whole second than the first: the start
  // of that second is after a 21 °C report and before anything the heating below changes.
  const cool = await untilStream(
    dash.story.system,
    `device-${LAMP}`,
    (events) => {
      const r = reports(events);
      return r.length > 1 && wholeSecond(r.at(-1)!.recordedAt) > wholeSecond(r[0]!.recordedAt);
    },
    'two reports of the lamp in different seconds',
    30_000,
  );
  earlier = new Date(wholeSecond(reports(cool).at(-1)!.recordedAt)).toISOString();

  lamp.setTemperature(35.5);
  await untilStream(dash.story.system, `device-${LAMP}`, (events) => events.some((e) => e.type === 'AlarmRaised'), 'the threshold alarm');
  await until("the lamp's 35.5 °C in its state row", () => JSON.stringify(celsiusInState()) === JSON.stringify({ kind: 'number', v: 35.5 }));
  await dash.story.system.projections.settled();
});

afterAll(async () => {
  await lamp?.stop({ deregister: false });
  await dash?.stop();
});

const stateTable = (page: Page, object: string) => page.getByRole('table', { name: object });
const rowOf = (page: Page, object: string, path: string) => stateTable(page, object).getByRole('row').filter({ hasText: path });
const alarmRow = (page: Page) => page.getByRole('table', { name: `Active alarms of ${LAMP}` }).getByRole('row').filter({ hasText: 'TEMPERATURE_HIGH' });

describe('the device page', () => {
  it('shows the directory facts, the state with LwM2M names and units, and the active alarm; passes axe and the keyboard check', async () => {
    const page = await dash.signedInPage('operator', `/devices/${LAMP}`);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(LAMP);
    const facts = page.getByRole('region', { name: 'Directory' });
    await expect(facts.textContent()).resolves.toMatch(/Tenantcity-of-lund.*Grouplund-centre/);
    await expect(facts.getByTestId('device-status').textContent()).resolves.toBe('Bootstrapped');

    const sensor = rowOf(page, 'Temperature (object 3303)', '/3303/0/5700');
    await expect(sensor.getByRole('cell').allTextContents()).resolves.toEqual(['/3303/0/5700', 'Sensor Value', '35.5 °C', expect.any(String)]);
    const clock = rowOf(page, 'Device (object 3)', '/3/0/13');
    await expect(clock.getByRole('cell').nth(1).textContent()).resolves.toBe('Current Time');
    await expect(clock.getByRole('cell').nth(2).textContent()).resolves.toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    await expect(alarmRow(page).getByRole('cell').allTextContents()).resolves.toEqual([
      'major',
      expect.stringContaining('TEMPERATURE_HIGH') as unknown,
      'Temperature / Sensor Value (/3303/0/5700)',
      expect.any(String),
      'not yet',
      'Acknowledge alarm TEMPERATURE_HIGH',
    ]);
    // Times show in the reader's locale with the exact instant in the title.
    await expect(sensor.locator('time').getAttribute('title')).resolves.toMatch(/^\d{4}-\d\d-\d\dT/);

    await expectAccessible(page, { what: 'the device page as operator' });
    await expectKeyboardReachable(page, { within: 'main', what: 'the device page' });
    await screenshot(page, 'device');
    expect(dash.errorsOf(page)).toEqual([]);
  });

  it('sends a read of /3/0/0 through the form, follows it and shows the value the lamp returned', async () => {
    const page = await dash.signedInPage('operator', `/devices/${LAMP}`);
    const form = page.getByRole('form', { name: 'Command' });
    await form.getByLabel('Operation').selectOption('read');
    await form.getByLabel('Object').selectOption({ label: 'Device (3)' });
    await form.getByLabel('Instance', { exact: true }).fill('0');
    await form.getByLabel('Resource', { exact: true }).selectOption({ label: 'Manufacturer (0)' });
    // Only resources that may be read are offered: Reboot (an Execute resource) is not.
    await expect(form.getByLabel('Resource', { exact: true }).locator('option').allTextContents()).resolves.not.toContain('Reboot (4)');
    await expect(form.locator('.command-path code').textContent()).resolves.toBe('/3/0/0');
    await form.getByRole('button', { name: 'Send command' }).click();

    const result = page.getByTestId('command-result');
    await result.locator('[data-status="succeeded"]').waitFor({ timeout: 30_000 });
    await expect(result.getByTestId('command-outcome').textContent()).resolves.toMatch(/^Succeeded \(2\.05 Content\) in \d+ ms\.$/);
    await expect(result.getByTestId('read-value').allTextContents()).resolves.toEqual(['LwM2M Fleet Simulator']);
    await expect(result.getByRole('row').filter({ hasText: '/3/0/0' }).getByRole('cell').nth(1).textContent()).resolves.toBe('Device / Manufacturer');
    // The outcome is announced: it is written into a polite live region.
    await expect(result.getAttribute('aria-live')).resolves.toBe('polite');

    // The store recorded who asked: the name given at sign-in, in the operator role.
    const requested = (await dash.story.system.events.readAll({ limit: 10_000 })).events.filter((e) => e.type === 'CommandRequested');
    expect(requested).toEqual([expect.objectContaining({ actor: { kind: 'user', id: 'e2e-operator', role: 'operator' }, data: expect.objectContaining({ thingName: LAMP, operation: 'read', path: '/3/0/0' }) as unknown })]);
    await screenshot(page, 'command-result');

    // The outcome links to the audit, where the read is listed with who asked and how it ended.
    await result.getByRole('link', { name: 'See it in the command audit' }).click();
    const audit = page.getByRole('table', { name: /^Commands/ });
    const row = audit.getByRole('row').filter({ hasText: '/3/0/0' });
    await row.waitFor();
    expect(page.url()).toContain(`#/audit?thingName=${LAMP}`);
    const cells = await row.getByRole('cell').allTextContents();
    expect(cells.slice(1, 6)).toEqual(['e2e-operator (operator)', LAMP, 'read', '/3/0/0', 'succeeded · 2.05 Content']);
    expect(cells[6]).toMatch(/^\d+ ms$/);
    expect(dash.errorsOf(page)).toEqual([]);
  });

  it('refuses a write the object model forbids before sending it, next to the field', async () => {
    const page = await dash.signedInPage('operator', `/devices/${LAMP}`);
    const form = page.getByRole('form', { name: 'Command' });
    await form.getByLabel('Operation').selectOption('write');
    await form.getByLabel('Object').selectOption({ label: 'MQTT Broker (18830)' });
    await form.getByLabel('Resource', { exact: true }).selectOption({ label: 'Keep Alive (3), s' });
    const value = form.getByLabel('Value of Keep Alive');
    await expect(value.getAttribute('max')).resolves.toBe('65535');
    await value.fill('70000');
    const commandsRequested = async () => (await dash.story.system.events.readAll({ limit: 10_000 })).events.filter((e) => e.type === 'CommandRequested').length;
    const before = await commandsRequested();
    const posted: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname === '/commands') posted.push(request.url());
    });
    await form.getByRole('button', { name: 'Send command' }).click();
    await expect(form.locator('#command-value-problem').textContent()).resolves.toContain('70000 is outside 0..65535');
    await expect(value.getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(form.getByRole('alert').textContent()).resolves.toContain('The command was not sent');
    // Nothing left the browser, and the store has no new command (the lamp's reports go on meanwhile).
    expect(posted).toEqual([]);
    expect(await commandsRequested()).toBe(before);
  });

  it('as a viewer offers neither the command form nor Acknowledge, and a forged POST /commands from the page is refused with 403 and records nothing', async () => {
    const page = await dash.signedInPage('viewer', `/devices/${LAMP}`);
    await alarmRow(page).waitFor();
    await expect(alarmRow(page).getByRole('cell').nth(4).textContent()).resolves.toBe('not yet');
    await expect(page.getByTestId('command-not-offered').textContent()).resolves.toContain('signed in as a viewer');
    await expect(page.getByRole('form', { name: 'Command' }).count()).resolves.toBe(0);
    await expect(page.getByRole('button', { name: /Send command/ }).count()).resolves.toBe(0);
    await expect(page.getByRole('button', { name: /Acknowledge/ }).count()).resolves.toBe(0);
    await expectAccessible(page, { what: 'the device page as viewer' });

    const commandsBefore = (await dash.story.system.events.readAll({ limit: 10_000 })).events.filter((e) => e.type === 'CommandRequested').length;
    // The page's own token, as a script on the page could take it from the session.
    const forged = await page.evaluate(async (thingName) => {
      const { sessionStorage, fetch: pageFetch } = globalThis as unknown as { sessionStorage: { getItem(k: string): string | null }; fetch: typeof fetch };
      const session = JSON.parse(sessionStorage.getItem('fleet-console.session') ?? '{}') as { token?: string };
      const response = await pageFetch('/commands', {
        method: 'POST',
        headers: { authorization: `Bearer ${session.token ?? ''}`, 'content-type': 'application/json' },
        body: JSON.stringify({ thingName, operation: 'read', path: '/3/0/0' }),
      });
      return { status: response.status, body: (await response.json()) as { type?: string } };
    }, LAMP);
    expect(forged.status).toBe(403);
    expect(forged.body.type).toBe('/problems/forbidden');
    const after = (await dash.story.system.events.readAll({ limit: 10_000 })).events.filter((e) => e.type === 'CommandRequested');
    expect(after).toHaveLength(commandsBefore);
    expect(after.filter((e) => e.actor.id === 'e2e-viewer')).toEqual([]);
  });

  it('acknowledges the active alarm as an operator: the alarm says who, the store and the audit have it', async () => {
    const page = await dash.signedInPage('operator', `/devices/${LAMP}`);
    await alarmRow(page).getByRole('button', { name: 'Acknowledge alarm TEMPERATURE_HIGH' }).click();
    await alarmRow(page).filter({ hasText: 'by e2e-operator' }).waitFor();
    await expect(alarmRow(page).getByRole('button').count()).resolves.toBe(0);
    await expect(page.getByRole('status').filter({ hasText: 'Alarm TEMPERATURE_HIGH acknowledged.' }).count()).resolves.toBe(1);

    const acknowledged = (await deviceStream()).filter((e) => e.type === 'AlarmAcknowledged');
    expect(acknowledged).toEqual([expect.objectContaining({ actor: { kind: 'user', id: 'e2e-operator', role: 'operator' }, data: expect.objectContaining({ alarmId: ALARM_ID }) as unknown })]);
    // The timeline, read again after the change, has the acknowledgement on top.
    const timeline = page.getByRole('table', { name: /^Events of/ });
    await timeline.getByRole('row').filter({ hasText: 'AlarmAcknowledged' }).filter({ hasText: `alarm ${ALARM_ID} acknowledged` }).waitFor();

    await dash.open(page, `/audit?thingName=${LAMP}`);
    await page.getByRole('table', { name: /^Commands/ }).getByRole('row').filter({ hasText: `alarm ${ALARM_ID}` }).filter({ hasText: 'acknowledge-alarm' }).waitFor();
    expect(dash.errorsOf(page)).toEqual([]);
  });

  it('shows the state as of an earlier time, marked as historical, and goes back to the live state', async () => {
    const page = await dash.signedInPage('operator', `/devices/${LAMP}`);
    const sensorValue = () => rowOf(page, 'Temperature (object 3303)', '/3303/0/5700').getByRole('cell').nth(2).textContent();
    await expect(sensorValue()).resolves.toBe('35.5 °C');

    // The browser runs in UTC (the harness), so the local input is the instant without its zone.
    await page.getByLabel('State as of (your local time)').fill(earlier.slice(0, 19));
    await page.getByRole('button', { name: 'Show state then' }).click();
    const marker = page.getByTestId('historical-marker');
    await marker.filter({ hasText: /replayed from the first \d+ events/ }).waitFor();
    await expect(marker.textContent()).resolves.toContain('Historical view.');
    await expect(marker.locator('time').getAttribute('datetime')).resolves.toBe(earlier);
    expect(decodeURIComponent(page.url())).toContain(`#/devices/${LAMP}?at=${earlier}`);
    await expect(sensorValue()).resolves.toBe('21 °C');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(`${LAMP} (historical view)`);
    await expectAccessible(page, { what: 'the device page, historical view' });
    await screenshot(page, 'device-as-of');

    // "State at this event" on the timeline: as of the provisioning, the lamp had reported nothing.
    await page.getByLabel('Order').selectOption('forwards');
    const first = page.getByRole('table', { name: /^Events of .*oldest first/ }).getByRole('row').filter({ hasText: 'DeviceProvisioned' });
    await first.getByRole('link', { name: 'State at this event (#1)' }).click();
    await page.getByText('The device had reported no state by then.').waitFor();
    await expect(page.getByTestId('historical-marker').textContent()).resolves.toMatch(/replayed from the first \d+ events/);

    await page.getByRole('link', { name: 'Back to the live state' }).click();
    await page.getByText('Live state, read again every 5 seconds').waitFor();
    await expect(page.getByTestId('historical-marker').count()).resolves.toBe(0);
    await expect(sensorValue()).resolves.toBe('35.5 °C');
    expect(dash.errorsOf(page)).toEqual([]);
  });

  it('pages back through the timeline with Older events, and forwards again with Newer events', async () => {
    // The lamp reports every 400 ms: wait until its stream holds more than two pages (20 events each).
    await untilStream(dash.story.system, `device-${LAMP}`, (events) => events.length > 45, 'more than two pages of events', 30_000);
    const page = await dash.signedInPage('viewer', `/devices/${LAMP}`);
    const timeline = page.getByRole('table', { name: /^Events of/ });
    const pager = page.getByRole('navigation', { name: 'Timeline pages' });
    const link = (position: number) => timeline.getByRole('link', { name: `State at this event (#${position})` });
    const positions = async () =>
      (await timeline.getByRole('link', { name: /^State at this event/ }).allTextContents()).map((text) => Number(/\(#(\d+)\)/.exec(text)![1]));

    await pager.getByText('Page 1').waitFor();
    await expect(pager.getByRole('button', { name: 'Newer events' }).isDisabled()).resolves.toBe(true);
    const first = await positions();
    expect(first).toHaveLength(20);
    const oldestShown = Math.min(...first);

    await pager.getByRole('button', { name: 'Older events' }).click();
    await link(oldestShown - 1).waitFor();
    await pager.getByText('Page 2').waitFor();
    // The next 20 positions down, newest first: nothing skipped, nothing shown twice.
    expect(await positions()).toEqual(Array.from({ length: 20 }, (_, i) => oldestShown - 1 - i));

    await pager.getByRole('button', { name: 'Newer events' }).click();
    await pager.getByText('Page 1').waitFor();
    await link(oldestShown - 1).waitFor({ state: 'detached' });
    expect(Math.min(...(await positions()))).toBeGreaterThanOrEqual(oldestShown);
    expect(dash.errorsOf(page)).toEqual([]);
  });

  it('says plainly when there is no such device', async () => {
    const page = await dash.signedInPage('viewer', '/devices/no-such-lamp');
    await page.getByRole('heading', { name: 'No such device' }).waitFor();
    await expect(page.getByRole('main').textContent()).resolves.toContain('No device is called no-such-lamp');
  });

  // Last: it changes the lamp's temperature, which the tests above read.
  it('follows the live state as the lamp reports, without a click, and reads only the live view again', async () => {
    const page = await dash.signedInPage('viewer', `/devices/${LAMP}`);
    const sensorValue = rowOf(page, 'Temperature (object 3303)', '/3303/0/5700').getByRole('cell').nth(2);
    await sensorValue.filter({ hasText: '35.5 °C' }).waitFor();
    const stateReads: string[] = [];
    page.on('request', (r) => {
      if (/\/state(\?|$)/.test(new URL(r.url()).pathname + new URL(r.url()).search)) stateReads.push(r.url());
    });
    lamp.setTemperature(37.25);
    // The page polls every 5 s; the lamp publishes every 0.4 s: the new value shows within two polls.
    await sensorValue.filter({ hasText: '37.25 °C' }).waitFor({ timeout: 15_000 });
    expect(stateReads.length).toBeGreaterThan(0);
    expect(stateReads.every((u) => !u.includes('at='))).toBe(true);
    await screenshot(page, 'device-live');
    expect(dash.errorsOf(page)).toEqual([]);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Download, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandAcceptedSchema } from '../../functions/commands/commandApiSchemas.ts';
import type { IssuedCertificate } from '../../functions/registry/localCa.ts';
import { SimulatedDevice } from '../../functions/simulator/simulatedDevice.ts';
import { topics } from '../../schemas/topics/topics.ts';
import { connect, end, within } from '../broker/support.ts';
import { commandOutcome, untilStream, uploadManifest } from '../e2e/storySupport.ts';
import { nextEvent } from '../simulator/support.ts';
import { expectAccessible, expectKeyboardReachable, screenshot, startDashboard, type Dashboard } from './support/dashboard.ts';

/**
 * The command audit and the rejections view in Chromium against the whole embedded system. Two
 * simulated lamps bootstrapped through the bridge answer reads from two operators; a command to a
 * meter that never registered is ignored. The audit's filters (device, operator, time range) go
 * into the URL and narrow the table; CSV and NDJSON exports download through fetch with the token.
 * Two meters publish bytes that are not CBOR SenML over MQTT/TLS with their own certificates, and
 * the rejections view shows them, filtered by device, with the bytes.
 */

const LAMP_A = 'audit-lamp-a';
const LAMP_B = 'audit-lamp-b';
const METER_1 = 'audit-meter-1';
const METER_2 = 'audit-meter-2';
const ADA = 'ada@example.com';
const BOB = 'bob@example.com';
const JUNK = Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x41]);

const MANIFEST =
  ['serial,tenant,latitude,longitude,kind', `${LAMP_A},city-of-lund,55.70,13.19,lamp`, `${LAMP_B},city-of-lund,55.71,13.20,lamp`, `${METER_1},city-of-lund,55.72,13.21,meter`, `${METER_2},city-of-lund,55.73,13.22,meter`].join(
    '\n',
  ) + '\n';

let dash: Dashboard;
const lamps: SimulatedDevice[] = [];
/** The commands sent, in order, with who sent them. */
const sent: { commandId: string; operator: string; thingName: string; path: string }[] = [];

/** POST /commands with a token whose subject is `operator`, as the console would send it for them. */
const sendRead = async (operator: string, thingName: string, path: string) => {
  const token = await dash.story.system.tokens.issue('operator', operator);
  const response = await fetch(`${dash.story.system.url}/commands`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ thingName, operation: 'read', path }),
  });
  expect(response.status, await response.clone().text()).toBe(202);
  const { commandId } = CommandAcceptedSchema.parse(await response.json());
  await commandOutcome(dash.story, commandId);
  sent.push({ commandId, operator, thingName, path });
};

/** A meter's own MQTT/TLS connection with a certificate from the registry, publishing bytes that are not CBOR SenML. */
const publishJunk = async (thingName: string) => {
  const { registry } = dash.story.system;
  const cert = await registry.createKeysAndCertificate({ thingName });
  await registry.attachThingPrincipal(thingName, cert.certificateId);
  const caPem = readFileSync(join(dash.story.dataDir, 'pki', 'ca.pem'), 'utf8');
  const meter = connect({ port: dash.story.system.mqtt.port, clientId: thingName, caPem, identity: { ...cert, commonName: thingName } as unknown as IssuedCertificate });
  await meter.connected;
  await within(5_000, `${thingName} publishing junk`, meter.client.publishAsync(topics.deviceState(thingName), JUNK, { qos: 1 }));
  await end(meter.client);
};

beforeAll(async () => {
  dash = await startDashboard({ name: 'e2e-dash-audit' });
  const { progress } = await uploadManifest(dash.story, 'audit.csv', MANIFEST);
  expect(progress).toMatchObject({ status: 'SUCCEEDED', provisioned: 4 });

  for (const endpoint of [LAMP_A, LAMP_B]) {
    const lamp = await SimulatedDevice.open({ endpoint, server: dash.story.lwm2m.plainCoap!, sampleEveryMs: 0, publishEveryMs: 0 });
    lamps.push(lamp);
    const connected = nextEvent(lamp.events, 'mqtt-connected', 30_000);
    lamp.start();
    await connected;
    await untilStream(dash.story.system, `device-${endpoint}`, (events) => events.some((e) => e.type === 'DeviceBootstrapped'), `${endpoint} bootstrapped`, 30_000);
  }
  await sendRead(ADA, LAMP_A, '/3/0/0');
  await sendRead(ADA, LAMP_B, '/3303/0/5700');
  await sendRead(BOB, LAMP_B, '/3/0/0');
  // The meter never registered with a bridge: nothing is sent and the audit says so.
  await sendRead(BOB, METER_1, '/3/0/0');

  await publishJunk(METER_1);
  await publishJunk(METER_2);
  await dash.story.system.projections.settled();
});

afterAll(async () => {
  for (const lamp of lamps) await lamp.stop({ deregister: false });
  await dash?.stop();
});

const auditTable = (page: Page) => page.getByRole('table', { name: /^Commands/ });

/** The command ids of the table's rows, top to bottom, once it shows `count` rows (or the empty message for 0). */
const rowsOnceCounting = async (page: Page, count: number): Promise<string[]> => {
  if (count === 0) {
    await page.getByText('No commands match these filters.').waitFor();
    return [];
  }
  const rows = auditTable(page).locator('tbody tr');
  await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(count);
  return rows.evaluateAll((els) => els.map((el) => (el as unknown as { getAttribute(n: string): string | null }).getAttribute('data-command-id') ?? ''));
};

const filterAudit = async (page: Page, fields: Readonly<Record<string, string>>) => {
  const form = page.getByRole('form', { name: 'Filter the command audit' });
  for (const [label, value] of Object.entries(fields)) await form.getByLabel(label, { exact: true }).fill(value);
  await form.getByRole('button', { name: 'Apply filters' }).click();
};

const ids = (pick: (c: (typeof sent)[number]) => boolean) => sent.filter(pick).map((c) => c.commandId).reverse();

const downloaded = async (download: Download): Promise<string> => readFileSync(await download.path(), 'utf8');

describe('the command audit', () => {
  it('lists every command newest first, with who, which device, what, and how it ended; passes axe and the keyboard check', async () => {
    const page = await dash.signedInPage('viewer', '/audit');
    expect(await rowsOnceCounting(page, 4)).toEqual(ids(() => true));
    const ignored = auditTable(page).locator(`tr[data-command-id="${sent[3]!.commandId}"]`);
    const cells = await ignored.getByRole('cell').allTextContents();
    expect(cells.slice(1, 5)).toEqual([`${BOB} (operator)`, METER_1, 'read', '/3/0/0']);
    expect(cells[5]).toMatch(/^ignored/);
    const read = await auditTable(page).locator(`tr[data-command-id="${sent[0]!.commandId}"]`).getByRole('cell').allTextContents();
    expect(read.slice(1, 6)).toEqual([`${ADA} (operator)`, LAMP_A, 'read', '/3/0/0', 'succeeded · 2.05 Content']);
    expect(read[6]).toMatch(/^\d+ ms$/);

    await expectAccessible(page, { what: 'the command audit' });
    await expectKeyboardReachable(page, { within: 'main', what: 'the command audit' });
    await screenshot(page, 'audit');
    expect(dash.errorsOf(page)).toEqual([]);
  });

  it('narrows the table by device, operator and time range, with the filters in the URL', async () => {
    const page = await dash.signedInPage('viewer', '/audit');
    await rowsOnceCounting(page, 4);

    await filterAudit(page, { Device: LAMP_B });
    expect(await rowsOnceCounting(page, 2)).toEqual(ids((c) => c.thingName === LAMP_B));
    expect(page.url()).toContain(`#/audit?thingName=${LAMP_B}`);

    await filterAudit(page, { Operator: ADA });
    expect(await rowsOnceCounting(page, 1)).toEqual(ids((c) => c.thingName === LAMP_B && c.operator === ADA));
    expect(decodeURIComponent(page.url())).toContain(`thingName=${LAMP_B}&operator=${ADA}`);

    // The URL alone brings the same view back (a link, a reload).
    const again = await dash.signedInPage('viewer', `/audit?operator=${encodeURIComponent(BOB)}`);
    expect(await rowsOnceCounting(again, 2)).toEqual(ids((c) => c.operator === BOB));
    await expect(again.getByLabel('Operator', { exact: true }).inputValue()).resolves.toBe(BOB);

    // A time range: every command was requested after the start of the minute before the first one
    // (the browser runs in UTC, so the local input is the instant without its zone).
    const first = (await dash.story.system.events.readAll({ limit: 10_000 })).events.find((e) => e.type === 'CommandRequested')!;
    const before = new Date(Math.floor(Date.parse(first.recordedAt) / 60_000) * 60_000 - 60_000).toISOString();
    await dash.open(page, '/audit');
    await rowsOnceCounting(page, 4);
    await filterAudit(page, { 'Requested from': before.slice(0, 19) });
    expect(decodeURIComponent(page.url())).toContain(`from=${before}`);
    expect(await rowsOnceCounting(page, 4)).toEqual(ids(() => true));
    await filterAudit(page, { 'Requested from': '', 'Requested before': before.slice(0, 19) });
    expect(await rowsOnceCounting(page, 0)).toEqual([]);
    expect(decodeURIComponent(page.url())).toContain(`to=${before}`);

    // A range that ends before it starts is refused at the field, and the URL keeps the last good filters.
    const url = page.url();
    await filterAudit(page, { 'Requested from': '2026-03-02T00:00:00', 'Requested before': '2026-03-01T00:00:00' });
    await expect(page.locator('#audit-to-problem').textContent()).resolves.toBe('The end of the range is not after its start.');
    expect(page.url()).toBe(url);
  });

  it('exports the filtered rows as CSV and NDJSON through fetch with the token', async () => {
    const page = await dash.signedInPage('viewer', `/audit?thingName=${LAMP_B}`);
    await rowsOnceCounting(page, 2);
    const expected = ids((c) => c.thingName === LAMP_B);

    const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    expect(csvDownload.suggestedFilename()).toBe('command-audit.csv');
    const csv = (await downloaded(csvDownload)).trimEnd().split('\r\n');
    expect(csv[0]).toBe('commandId,requestedAt,operator,role,thingName,operation,path,alarmId,status,lwm2mCode,latencyMs,endedAt,bridgeId,detail');
    expect(csv.slice(1).map((line) => line.split(',')[0])).toEqual(expected);
    expect(csv.slice(1).every((line) => line.split(',')[4] === LAMP_B && line.split(',')[8] === 'succeeded')).toBe(true);

    const [ndjsonDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export NDJSON' }).click()]);
    expect(ndjsonDownload.suggestedFilename()).toBe('command-audit.ndjson');
    const rows = (await downloaded(ndjsonDownload))
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(rows.map((r) => r.commandId)).toEqual(expected);
    expect(rows.map((r) => [r.operator, r.thingName, r.operation, r.status, r.lwm2mCode])).toEqual(
      sent
        .filter((c) => c.thingName === LAMP_B)
        .reverse()
        .map((c) => [c.operator, LAMP_B, 'read', 'succeeded', '2.05']),
    );
    await page.getByRole('status').filter({ hasText: 'Saved command-audit.ndjson.' }).waitFor();
    expect(dash.errorsOf(page)).toEqual([]);
  });
});

describe('the rejections view', () => {
  const table = (page: Page) => page.getByRole('table', { name: /^Rejected messages/ });

  it('shows the messages the meters sent that are not CBOR SenML: device, topic, reason, when, the bytes; passes axe', async () => {
    const page = await dash.signedInPage('viewer', '/rejections');
    const rows = table(page).locator('tbody tr');
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(2);
    // Newest first: meter 2 published last.
    expect(await rows.locator('td:nth-child(2)').allTextContents()).toEqual([METER_2, METER_1]);
    const cells = await rows.first().getByRole('cell').allTextContents();
    expect(cells[2]).toBe(topics.deviceState(METER_2));
    expect(cells[3]).toMatch(/^decode: /);
    await expect(rows.first().getByTestId('payload-hex').textContent()).resolves.toBe('de ad be ef 00 41');
    expect(cells[4]).toContain(`${JUNK.length} bytes`);
    await expect(rows.first().locator('time').getAttribute('title')).resolves.toMatch(/^\d{4}-\d\d-\d\dT/);

    await expectAccessible(page, { what: 'the rejections view' });
    await expectKeyboardReachable(page, { within: 'main', what: 'the rejections view' });
    await screenshot(page, 'rejections');
    expect(dash.errorsOf(page)).toEqual([]);
  });

  it('filters by device and by stage, with the filters in the URL', async () => {
    const page = await dash.signedInPage('viewer', '/rejections');
    const rows = table(page).locator('tbody tr');
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(2);
    const form = page.getByRole('form', { name: 'Filter the rejections' });
    await form.getByLabel('Device').fill(METER_1);
    await form.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(1);
    expect(await rows.locator('td:nth-child(2)').allTextContents()).toEqual([METER_1]);
    expect(page.url()).toContain(`#/rejections?thingName=${METER_1}`);

    await form.getByLabel('Refused at').selectOption('validate');
    await form.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText('No rejected messages match these filters.').waitFor();
    expect(page.url()).toContain(`thingName=${METER_1}&stage=validate`);
  });
});

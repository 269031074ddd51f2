import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BatchProgressSchema, DirectoryPageSchema, ProblemSchema } from '../../functions/api/openapi/apiSchemas.ts';
import { ProjectionRebuildSchema } from '../../functions/api/projections/projectionRebuildSchemas.ts';
import { COMMANDS } from '../../functions/cli/commands.ts';
import { CommandAuditRowSchema, LifecycleEntrySchema } from '../../functions/commands/commandApiSchemas.ts';
import { DeviceStateViewSchema, HistoryEventSchema } from '../../functions/deviceViews/deviceViewSchemas.ts';
import { apiFetch } from '../support/api.ts';
import { reported } from '../support/events.ts';
import { hostPortEnv, runFleet, startCliSystem, type CliRun, type CliSystem } from './support.ts';

let cli: CliSystem;
let env: Record<string, string>;
const work = mkdtempSync(join(tmpdir(), 'cli-e2e-files-'));

const CSV = [
  'serial,tenant,latitude,longitude,thingGroup,kind',
  'pole-1,city-of-lund,55.700,13.190,north,street-light',
  'pole-2,city-of-lund,55.705,13.195,north,street-light',
  'pole-3,city-of-lund,55.800,13.300,south,water-meter',
  'pole-4,city-of-lund,123,13.190,north,street-light',
].join('\n');

const JSON_MANIFEST = [
  { serial: 'pole-1', tenant: 'city-of-lund', latitude: 55.7, longitude: 13.19, thingGroup: 'north', attributes: { kind: 'street-light' } },
  { serial: 'pole-2', tenant: 'city-of-lund', latitude: 55.705, longitude: 13.195, thingGroup: 'north', attributes: { kind: 'street-light' } },
  { serial: 'pole-3', tenant: 'city-of-lund', latitude: 55.8, longitude: 13.3, thingGroup: 'south', attributes: { kind: 'water-meter' } },
];

const fleet = (args: readonly string[], extra: Record<string, string> = {}) => runFleet(args, { ...env, ...extra });

/** The run's stdout as JSON, failing with the run's output when it is not. */
const jsonOf = (run: CliRun): unknown => {
  try {
    return JSON.parse(run.stdout);
  } catch {
    throw new Error(`stdout is not JSON (exit ${run.code}):\n${run.stdout}\n--- stderr ---\n${run.stderr}`);
  }
};

const ErrorOutput = z.object({ error: z.object({ kind: z.string(), message: z.string(), hint: z.string(), exitCode: z.number() }) });

beforeAll(async () => {
  cli = await startCliSystem();
  // The CLI finds the API through FLEET_HTTP_HOST/PORT and mints tokens from FLEET_DATA_DIR, as a user's shell would have them.
  env = { ...hostPortEnv(cli.system.url), FLEET_DATA_DIR: cli.dataDir, FLEET_SUBJECT: 'ada@example.com' };
  writeFileSync(join(work, 'poles.csv'), `${CSV}\n`);
  writeFileSync(join(work, 'poles.json'), JSON.stringify(JSON_MANIFEST));
});

afterAll(async () => {
  await cli.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('fleet --help', () => {
  it('every command has a help that shows its usage, each of its options and the exit codes', async () => {
    const runs = await Promise.all(COMMANDS.map((c) => fleet([...c.path, '--help'])));
    COMMANDS.forEach((command, i) => {
      const run = runs[i]!;
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout.startsWith(`Usage: fleet ${command.path.join(' ')}`)).toBe(true);
      for (const option of command.options) expect(run.stdout).toContain(`--${option.name}`);
      for (const p of command.positionals) expect(run.stdout).toContain(`<${p.name}>`);
      expect(run.stdout).toContain('--json');
      expect(run.stdout).toContain('Exit codes: 0 done');
      expect(run.stderr).toBe('');
    });
  });

  it('lists every command at the top, per group, and through `fleet help`', async () => {
    const [top, group, helpWord] = await Promise.all([fleet(['--help']), fleet(['devices', '--help']), fleet(['help', 'device', 'history'])]);
    expect(top.code).toBe(0);
    for (const c of COMMANDS) expect(top.stdout).toContain(`fleet ${c.path.join(' ')}`);
    expect(group.code).toBe(0);
    expect(group.stdout).toContain('fleet devices search');
    expect(group.stdout).not.toContain('fleet provision');
    expect(helpWord.code).toBe(0);
    expect(helpWord.stdout.startsWith('Usage: fleet device history <id>')).toBe(true);
  });
});

describe('fleet provision', () => {
  it('uploads a manifest, shows its progress, then the summary, the first problems and where the report is', async () => {
    const report = join(work, 'report.csv');
    const run = await fleet(['provision', join(work, 'poles.csv'), '--interval', '50', '--report', report]);
    // One row is invalid: the run tells the shell it did not fully succeed.
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/^Uploading poles\.csv \(\d+ B, csv\) to http:\/\/127\.0\.0\.1:\d+$/m);
    const batchId = /Batch (b-[\w-]+) accepted/.exec(run.stderr)?.[1] ?? '';
    expect(batchId).not.toBe('');
    // Not a terminal: plain progress lines, ending at every row done.
    const progress = run.stderr.split('\n').filter((l) => l.startsWith('provisioning: '));
    expect(progress.at(-1)).toBe('provisioning: 4/4 rows, 1 failed, 100%');
    expect(run.stderr).not.toContain('\r');
    expect(run.stderr).not.toContain('\u001b');
    expect(run.stdout).toContain(`Batch ${batchId} done: 4 rows`);
    expect(run.stdout).toMatch(/^provisioned\s+3$/m);
    expect(run.stdout).toMatch(/^invalid\s+1$/m);
    expect(run.stdout).toMatch(/^5\s+pole-4\s+invalid\s+latitude\s+/m);
    expect(run.stdout).toContain(`Full report: ${cli.system.url}/provisioning/batches/${batchId}/report`);
    expect(readFileSync(report, 'utf8')).toMatch(/^\ufeff?row,serial,outcome,field,message,hint\r\n/);
    // The summary is what the API says about the batch.
    const batch = BatchProgressSchema.parse(await (await apiFetch(cli.system, `/provisioning/batches/${batchId}`, {}, 'viewer')).json());
    expect(batch).toMatchObject({ status: 'SUCCEEDED', provisioned: 3, invalidRows: 1, totalRows: 4 });
  });

  it('prints the outcome as JSON and exits 0 when every row is fine (a second upload changes nothing)', async () => {
    const run = await fleet(['provision', join(work, 'poles.json'), '--interval', '50', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const out = z
      .object({
        batch: z.object({ batchId: z.string() }),
        progress: BatchProgressSchema,
        summary: z.object({ totalRows: z.number(), provisioned: z.number(), updated: z.number(), unchanged: z.number(), failed: z.number(), invalid: z.number() }),
        problems: z.array(z.unknown()),
        reportUrl: z.string(),
      })
      .parse(jsonOf(run));
    expect(out.summary).toEqual({ totalRows: 3, provisioned: 0, updated: 0, unchanged: 3, failed: 0, invalid: 0 });
    expect(out.problems).toEqual([]);
    expect(out.reportUrl).toBe(`${cli.system.url}/provisioning/batches/${out.batch.batchId}/report`);
  });

  it('refuses a manifest it cannot read or whose format it cannot tell, before uploading', async () => {
    writeFileSync(join(work, 'poles.xlsx'), 'not really');
    const [missing, workbook] = await Promise.all([fleet(['provision', join(work, 'nope.csv')]), fleet(['provision', join(work, 'poles.xlsx')])]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read the manifest');
    expect(missing.stderr).toContain('ENOENT');
    expect(workbook.code).toBe(2);
    expect(workbook.stderr).toContain('spreadsheet workbook');
    expect(workbook.stderr).toContain('--format csv|json|ndjson');
  });
});

describe('fleet devices search', () => {
  it('prints a table of the matching devices', async () => {
    const run = await fleet(['devices', 'search', '--tenant', 'city-of-lund']);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^thingName\s+tenant\s+status\s+lat,lon\s+group\s+type$/);
    expect(lines.slice(1, 4).map((l) => l.split(/\s+/)[0])).toEqual(['pole-1', 'pole-2', 'pole-3']);
    expect(lines[1]).toMatch(/^pole-1\s+city-of-lund\s+provisioned\s+55\.7,13\.19\s+north$/);
    expect(lines.at(-1)).toBe('3 devices of 3.');
  });

  it('searches by attribute, group and radius, with distances', async () => {
    const [byAttr, byGroup, near] = await Promise.all([
      fleet(['devices', 'search', '--attr', 'kind=water-meter', '--json']),
      fleet(['devices', 'search', '--group', 'north', '--json']),
      fleet(['devices', 'search', '--near', '55.700,13.190', '--radius', '1000']),
    ]);
    expect(DirectoryPageSchema.parse(jsonOf(byAttr)).items.map((d) => d.thingName)).toEqual(['pole-3']);
    expect(DirectoryPageSchema.parse(jsonOf(byGroup)).items.map((d) => d.thingName)).toEqual(['pole-1', 'pole-2']);
    expect(near.code, near.stderr).toBe(0);
    expect(near.stdout.split('\n')[0]).toMatch(/distance m$/);
    expect(near.stdout).toMatch(/^pole-1\s.*\s0$/m);
    expect(near.stdout).toMatch(/^pole-2\s.*\s\d{3}$/m);
    expect(near.stdout).not.toContain('pole-3');
  });

  it('pages with --cursor and follows every page with --all', async () => {
    const first = await fleet(['devices', 'search', '--limit', '2']);
    expect(first.code).toBe(0);
    const cursor = /--cursor (\S+) \(or --all\)/.exec(first.stdout)?.[1] ?? '';
    expect(cursor).not.toBe('');
    const [second, all] = await Promise.all([fleet(['devices', 'search', '--limit', '2', '--cursor', cursor, '--json']), fleet(['devices', 'search', '--limit', '1', '--all', '--json'])]);
    const page = DirectoryPageSchema.parse(jsonOf(second));
    expect(page.items.map((d) => d.thingName)).toEqual(['pole-3']);
    expect(page.nextCursor).toBeUndefined();
    const every = DirectoryPageSchema.parse(jsonOf(all));
    expect(every.items.map((d) => d.thingName)).toEqual(['pole-1', 'pole-2', 'pole-3']);
    expect(every.total).toBe(3);
  });
});

describe('fleet device history', () => {
  it('--until shows the events up to then and the state the API gives as of then', async () => {
    await cli.system.events.append({ streamId: 'device-pole-1', expectedVersion: 'any', events: [reported('pole-1', '/3303/0/5700', 20, '2026-03-01T12:00:00Z')] });
    const until = (await cli.system.events.readStream('device-pole-1')).at(-1)!.recordedAt;
    // The next report must be recorded after `until`: wait for the clock to pass it (a condition, not a fixed pause).
    while (Date.now() <= Date.parse(until)) await new Promise((r) => setImmediate(r));
    await cli.system.events.append({ streamId: 'device-pole-1', expectedVersion: 'any', events: [reported('pole-1', '/3303/0/5700', 25, '2026-03-01T12:05:00Z')] });
    await cli.system.projections.settled();

    const run = await fleet(['device', 'history', 'pole-1', '--until', until, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const out = z.object({ thingName: z.string(), until: z.string(), events: z.array(HistoryEventSchema), more: z.boolean(), state: DeviceStateViewSchema }).parse(jsonOf(run));
    const asOf = DeviceStateViewSchema.parse(await (await apiFetch(cli.system, `/devices/pole-1/state?at=${encodeURIComponent(until)}`, {}, 'viewer')).json());
    expect(out.state).toEqual(asOf);
    expect(out.state.state?.resources['/3303/0/5700']?.value).toEqual({ kind: 'number', v: 20 });
    expect(out.events.map((e) => e.type)).toEqual(['DeviceProvisioned', 'DeviceStateReported']);
    expect(out.events.every((e) => Date.parse(e.recordedAt) <= Date.parse(until))).toBe(true);
    expect(out.more).toBe(false);
    // The live state has moved on: the as-of state is not simply the current one.
    const live = DeviceStateViewSchema.parse(await (await apiFetch(cli.system, '/devices/pole-1/state', {}, 'viewer')).json());
    expect(live.state?.resources['/3303/0/5700']?.value).toEqual({ kind: 'number', v: 25 });

    const text = await fleet(['device', 'history', 'pole-1', '--until', until]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`pole-1: 2 events recorded at or before ${until}`);
    expect(text.stdout).toMatch(/^2\s+\S+\s+DeviceStateReported\s+system:test\s+\/3303\/0\/5700=20 Cel$/m);
    expect(text.stdout).toContain(`State as of ${until} (replayed to stream position 2):`);
    expect(text.stdout).toMatch(/^\/3303\/0\/5700\s+20 Cel\s+2026-03-01T12:00:00/m);
  });

  it('without --until shows the latest events and the live state; --limit keeps the last ones', async () => {
    const run = await fleet(['device', 'history', 'pole-1', '--limit', '2', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const out = z.object({ events: z.array(HistoryEventSchema), more: z.boolean(), state: DeviceStateViewSchema }).parse(jsonOf(run));
    expect(out.events.map((e) => e.streamPosition)).toEqual([2, 3]);
    expect(out.more).toBe(true);
    expect(out.state.source).toBe('projection');
    expect(out.state.state?.resources['/3303/0/5700']?.value).toEqual({ kind: 'number', v: 25 });
  });

  it('an unknown device is the API’s 404, exit 3', async () => {
    const run = await fleet(['device', 'history', 'pole-99']);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('No device is named "pole-99"');
  });
});

describe('fleet commands send and fleet audit export', () => {
  it('sends a command, shows its lifecycle as it is recorded, and exits 1 when it did not succeed', async () => {
    const run = await fleet(['commands', 'send', 'pole-2', 'read', '/3303/0/5700', '--interval', '50']);
    expect(run.code, run.stderr).toBe(1);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^\S+Z\s+CommandRequested\s+by ada@example\.com \(operator\)\s+\{"operation":"read","path":"\/3303\/0\/5700"/);
    expect(lines[1]).toMatch(/^\S+Z\s+CommandIgnored\s+\{"reason":"no bridge holds pole-2/);
    expect(lines.at(-1)).toMatch(/^c-[\w-]+ ignored: no bridge holds the device/);
  });

  it('--json gives the command, its lifecycle and its url', async () => {
    const run = await fleet(['commands', 'send', 'pole-2', 'write', '/3/0/13', '2026-03-01T12:00:00Z', '--json']);
    expect(run.code, run.stderr).toBe(1);
    const out = z.object({ command: CommandAuditRowSchema, lifecycle: z.array(LifecycleEntrySchema), url: z.string() }).parse(jsonOf(run));
    expect(out.command).toMatchObject({ thingName: 'pole-2', operation: 'write', path: '/3/0/13', operator: 'ada@example.com', role: 'operator', status: 'ignored', open: false });
    expect(out.lifecycle.map((e) => e.type)).toEqual(['CommandRequested', 'CommandIgnored']);
    expect(out.lifecycle[0]?.data).toMatchObject({ value: { values: [{ path: '/3/0/13', value: { kind: 'time', v: 1772366400 } }] } });
    expect(out.url).toBe(`${cli.system.url}/commands/${out.command.commandId}`);
  });

  it('refuses a command the object model forbids before sending it (exit 2), and a viewer (exit 3)', async () => {
    const [readOnly, viewer] = await Promise.all([
      fleet(['commands', 'send', 'pole-2', 'write', '/3303/0/5700', '3']),
      fleet(['commands', 'send', 'pole-2', 'read', '/3303/0/5700', '--role', 'viewer']),
    ]);
    expect(readOnly.code).toBe(2);
    expect(readOnly.stderr).toContain('is read-only');
    expect(viewer.code).toBe(3);
    expect(viewer.stderr).toContain('(403 forbidden)');
    expect(viewer.stderr).toContain('--role admin');
  });

  it('exports the audit as CSV, as NDJSON with --json, and to a file with a summary', async () => {
    const output = join(work, 'audit.ndjson');
    const [csv, ndjson, toFile, none] = await Promise.all([
      fleet(['audit', 'export']),
      fleet(['audit', 'export', '--json', '--thing', 'pole-2']),
      fleet(['audit', 'export', '--format', 'ndjson', '--output', output, '--json']),
      fleet(['audit', 'export', '--thing', 'pole-3']),
    ]);
    expect(csv.code, csv.stderr).toBe(0);
    const rows = csv.stdout.trim().split('\r\n');
    expect(rows[0]).toBe('commandId,requestedAt,operator,role,thingName,operation,path,alarmId,status,lwm2mCode,latencyMs,endedAt,bridgeId,detail');
    expect(rows).toHaveLength(3);
    expect(rows.slice(1).every((r) => /^c-[\w-]+,\S+Z,ada@example\.com,operator,pole-2,(read|write),/.test(r))).toBe(true);
    const lines = ndjson.stdout.trim().split('\n').map((l) => JSON.parse(l) as { operator: string; status: string });
    expect(lines).toHaveLength(2);
    expect(lines.every((l) => l.operator === 'ada@example.com' && l.status === 'ignored')).toBe(true);
    expect(jsonOf(toFile)).toEqual({ file: output, format: 'ndjson', rows: 2 });
    expect(readFileSync(output, 'utf8').trim().split('\n')).toHaveLength(2);
    expect(none.stdout.trim().split('\r\n')).toHaveLength(1);
  });
});

describe('fleet projections rebuild', () => {
  it('rebuilds every projection and finds no difference from the live ones', async () => {
    const run = await fleet(['projections', 'rebuild', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const out = z.object({ projections: z.array(ProjectionRebuildSchema), differing: z.array(z.string()), replaced: z.boolean() }).parse(jsonOf(run));
    expect(out.projections.map((p) => p.projection)).toEqual(expect.arrayContaining(['devices', 'device-state', 'alarms', 'rejections', 'command-audit']));
    expect(out.projections.every((p) => p.differenceCount === 0 && p.differences.length === 0)).toBe(true);
    expect(out.projections.find((p) => p.projection === 'devices')?.rows).toBe(3);
    expect(out.differing).toEqual([]);

    const text = await fleet(['projections', 'rebuild', 'devices']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^devices\s+3\s+\d+\s+none\s+/m);
    expect(text.stdout).toContain('Every live projection equals its rebuild from the store.');
  });

  it('shows where a live projection drifted from the store (exit 1), and --replace repairs it', async () => {
    // A projection bug, simulated: a live row the events do not justify.
    const live = cli.system.projectionStore.getRow('devices', 'pole-2') as Record<string, unknown>;
    const checkpoint = cli.system.projectionStore.checkpoint('devices')!;
    cli.system.projectionStore.commit([{ projection: 'devices', rows: new Map([['pole-2', { ...live, status: 'bootstrapped' }]]), checkpoint }]);

    const drifted = await fleet(['projections', 'rebuild', 'devices']);
    expect(drifted.code).toBe(1);
    expect(drifted.stdout).toMatch(/^devices\s+3\s+\d+\s+1\s+/m);
    expect(drifted.stdout).toContain('devices: 1 row differs');
    expect(drifted.stdout).toMatch(/^ {4}status: live "bootstrapped" {2}rebuilt "provisioned"$/m);

    const repaired = await fleet(['projections', 'rebuild', 'devices', '--replace', '--json']);
    expect(repaired.code).toBe(0);
    expect(jsonOf(repaired)).toMatchObject({ replaced: true, projections: [{ projection: 'devices', differenceCount: 1, replaced: true }] });
    expect((cli.system.projectionStore.getRow('devices', 'pole-2') as { status: string }).status).toBe('provisioned');
    expect((await fleet(['projections', 'rebuild', 'devices'])).code).toBe(0);
  });

  it('refuses an unknown projection and anyone but an admin', async () => {
    const [unknown, operator] = await Promise.all([fleet(['projections', 'rebuild', 'nope']), fleet(['projections', 'rebuild', 'devices', '--role', 'operator'])]);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toContain('No projection is named "nope". The projections are devices, device-state');
    expect(operator.code).toBe(3);
    expect(operator.stderr).toContain('(403 forbidden)');
  });
});

describe('fleet token', () => {
  it('mints a working token for each role, and the API enforces the role', async () => {
    const runs = await Promise.all((['admin', 'operator', 'viewer'] as const).map((role) => fleet(['token', '--role', role, '--subject', `tester-${role}`])));
    const [admin, operator, viewer] = runs.map((r) => {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
      return r.stdout.trim();
    }) as [string, string, string];
    expect(runs[2]!.stderr).toMatch(/^A viewer token for tester-viewer, valid until \S+Z\./);
    const call = (token: string, path: string, init: RequestInit = {}) => fetch(`${cli.system.url}${path}`, { ...init, headers: { ...init.headers, authorization: `Bearer ${token}` } });
    const command = { method: 'POST', body: JSON.stringify({ thingName: 'pole-1', operation: 'read', path: '/3303/0/5700' }), headers: { 'content-type': 'application/json' } };

    for (const token of [admin, operator, viewer]) expect((await call(token, '/devices?limit=1')).status).toBe(200);
    const refused = await call(viewer, '/commands', command);
    expect(refused.status).toBe(403);
    expect(ProblemSchema.parse(await refused.json())).toMatchObject({ type: '/problems/forbidden' });
    expect((await call(operator, '/commands', command)).status).toBe(202);
    expect((await call(operator, '/projections/devices/rebuild', { method: 'POST' })).status).toBe(403);
    expect((await call(admin, '/projections/devices/rebuild', { method: 'POST' })).status).toBe(200);
  });

  it('--json gives the token with its role, subject and expiry; a token passed back with --token works', async () => {
    const run = await fleet(['token', '--role', 'viewer', '--ttl', '600', '--json']);
    expect(run.code).toBe(0);
    const out = z.object({ token: z.string(), role: z.literal('viewer'), subject: z.literal('ada@example.com'), expiresAt: z.string(), dataDir: z.string() }).parse(jsonOf(run));
    const ttl = Date.parse(out.expiresAt) - Date.now();
    expect(ttl).toBeGreaterThan(500_000);
    expect(ttl).toBeLessThanOrEqual(600_000);
    const withToken = await runFleet(['devices', 'search', '--json', '--url', cli.system.url, '--token', out.token], {});
    expect(withToken.code, withToken.stderr).toBe(0);
    expect(DirectoryPageSchema.parse(jsonOf(withToken)).items).toHaveLength(3);
    const fromEnv = await runFleet(['devices', 'search', '--json'], { ...hostPortEnv(cli.system.url), FLEET_TOKEN: out.token });
    expect(fromEnv.code, fromEnv.stderr).toBe(0);
  });

  it('never creates a key: without the server’s data dir it says where it looked and what to do', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'cli-no-key-'));
    try {
      const [token, search] = await Promise.all([fleet(['token', '--role', 'admin', '--data-dir', empty]), fleet(['devices', 'search'], { FLEET_DATA_DIR: empty })]);
      for (const run of [token, search]) {
        expect(run.code).toBe(3);
        expect(run.stderr).toContain(`there is no token signing key at ${join(empty, 'auth', 'issuer-es256.jwk.json')}`);
        expect(run.stderr).toContain('--data-dir or FLEET_DATA_DIR');
      }
      expect(existsSync(join(empty, 'auth'))).toBe(false);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('mistakes', () => {
  const cases: readonly (readonly [readonly string[], string])[] = [
    [['devcies', 'search'], 'fleet has no command "devcies".\n  Did you mean "fleet devices"?'],
    [['devices', 'search', '--tenat', 'x'], 'unknown option --tenat.\n  Did you mean --tenant?'],
    [['devices', 'search', '--near', '55.7,13.19'], '--near needs --radius.'],
    [['devices', 'search', '--limit', 'ten'], '--limit "ten" is not a whole number.'],
    [['devices', 'search', '--bbox', '55,12,56'], '--bbox: bbox has 3 comma-separated values'],
    [['device', 'history'], 'missing <id>.'],
    [['device', 'history', 'pole-1', '--until', 'yesterday'], '--until "yesterday" is not an ISO 8601 time with a zone.'],
    [['provision'], 'missing <manifest>.'],
    [['commands', 'send', 'pole-1', 'reboot', '/3/0/4'], '"reboot" is not an operation.'],
    [['audit', 'export', '--format', 'xml'], '--format "xml" is not one of csv, ndjson.'],
    [['token'], '--role is required.'],
    [['devices'], 'fleet devices needs a command.'],
    [['projections', 'rebuild', 'a', 'b'], 'unexpected argument "b"'],
  ];

  it(`${cases.length} kinds of bad arguments each exit 2 and say what was wrong and what to do`, async () => {
    const runs = await Promise.all(cases.map(([args]) => fleet(args)));
    cases.forEach(([args, expected], i) => {
      const run = runs[i]!;
      const which = `fleet ${args.join(' ')}`;
      expect(run.code, which).toBe(2);
      expect(run.stderr, which).toContain(expected);
      expect(run.stderr, which).toMatch(/Run "fleet [\w ]*--help" for the usage\.\n$/);
      expect(run.stdout, which).toBe('');
    });
  });

  it('with --json the error is JSON on stderr, and stdout stays empty', async () => {
    const run = await fleet(['devices', 'search', '--json', '--tenat', 'x']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(ErrorOutput.parse(JSON.parse(run.stderr))).toMatchObject({ error: { kind: 'usage', message: 'unknown option --tenat.', exitCode: 2 } });
  });

  it('an API that cannot be reached is exit 4 with what to do', async () => {
    // A port that was free a moment ago: nothing listens there.
    const server = createServer();
    await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
    const { port } = server.address() as AddressInfo;
    await new Promise((closed) => server.close(closed));
    const run = await fleet(['devices', 'search', '--url', `http://127.0.0.1:${port}`, '--json']);
    expect(run.code).toBe(4);
    expect(ErrorOutput.parse(JSON.parse(run.stderr)).error).toMatchObject({ kind: 'connection', message: `could not reach the API at http://127.0.0.1:${port} (ECONNREFUSED).` });
    expect(JSON.parse(run.stderr)).toMatchObject({ error: { hint: expect.stringContaining('npm start') as unknown } });
  });
});

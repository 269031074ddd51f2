import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectoryPageSchema, ProblemSchema } from '../../functions/api/openapi/apiSchemas.ts';
import { ProjectionRebuildSchema } from '../../functions/api/projections/projectionRebuildSchemas.ts';
import { cleanEnv, PROJECT_ROOT } from './support.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'cli-banner-'));
let child: ChildProcess;
let banner = '';
let exited: Promise<number | null>;

/** `npm start` as a user runs it (ephemeral ports so tests can run side by side), up to its banner. */
beforeAll(async () => {
  child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'infra/embedded/main.ts')], {
    cwd: PROJECT_ROOT,
    env: cleanEnv({ FLEET_DATA_DIR: dataDir, FLEET_HTTP_PORT: '0', FLEET_MQTT_PORT: '0', FLEET_LWM2M_PORT: '0', FLEET_LWM2M_COAPS_PORT: '0', FLEET_LOG_LEVEL: 'warn' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  exited = new Promise((done) => child.on('exit', (code) => done(code)));
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  banner = await new Promise<string>((done, fail) => {
    let out = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('Ctrl-C stops it cleanly.')) done(out);
    });
    void exited.then((code) => fail(new Error(`npm start exited (${code}) before its banner:\n${out}\n${stderr}`)));
  });
});

afterAll(async () => {
  if (child.exitCode === null) child.kill('SIGTERM');
  await exited;
  rmSync(dataDir, { recursive: true, force: true });
});

const line = (label: string) => new RegExp(`^  ${label.replace(/[()]/g, '\\$&')}\\s+(\\S+)`, 'm').exec(banner)?.[1] ?? '';

describe('npm start', () => {
  it('says what runs where: HTTP, MQTT, LwM2M and the data dir', () => {
    expect(banner).toContain('LwM2M fleet backend (embedded) is running');
    expect(line('HTTP API')).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(line('MQTT (TLS)')).toMatch(/^mqtts:\/\/127\.0\.0\.1:\d+$/);
    expect(line('LwM2M (DTLS)')).toMatch(/^coaps:\/\/127\.0\.0\.1:\d+$/);
    expect(line('data dir')).toBe(dataDir);
    expect(line('health')).toBe(`${line('HTTP API')}/health`);
  });

  it('prints a working token for each role, and the API enforces each role', async () => {
    const url = line('HTTP API');
    const tokens = Object.fromEntries(['admin', 'operator', 'viewer'].map((role) => [role, line(role)]));
    const call = (role: string, path: string, init: RequestInit = {}) => fetch(`${url}${path}`, { ...init, headers: { authorization: `Bearer ${tokens[role]}` } });
    for (const role of ['admin', 'operator', 'viewer']) {
      const res = await call(role, '/devices?limit=5');
      expect(res.status, role).toBe(200);
      DirectoryPageSchema.parse(await res.json());
    }
    const refused = await call('viewer', '/projections/devices/rebuild', { method: 'POST' });
    expect(refused.status).toBe(403);
    expect(ProblemSchema.parse(await refused.json()).type).toBe('/problems/forbidden');
    expect((await call('operator', '/projections/devices/rebuild', { method: 'POST' })).status).toBe(403);
    const rebuilt = await call('admin', '/projections/devices/rebuild', { method: 'POST' });
    expect(rebuilt.status).toBe(200);
    expect(ProjectionRebuildSchema.parse(await rebuilt.json())).toMatchObject({ projection: 'devices', differenceCount: 0 });
  });

  it('gives a one-line curl that works as printed', async () => {
    const curl = /^ {2}curl -s -H '([^']+)' '([^']+)'$/m.exec(banner);
    expect(curl).not.toBeNull();
    const [, header = '', target = ''] = curl ?? [];
    expect(header).toBe(`Authorization: Bearer ${line('viewer')}`);
    expect(target).toBe(`${line('HTTP API')}/devices?limit=5`);
    const [name = '', ...value] = header.split(': ');
    const res = await fetch(target, { headers: { [name]: value.join(': ') } });
    expect(res.status).toBe(200);
  });

  it('stops cleanly on SIGTERM', async () => {
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

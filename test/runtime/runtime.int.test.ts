import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../infra/embedded/config.ts';
import { startRuntime, type EmbeddedModule } from '../../infra/embedded/runtime.ts';
import { provisioned } from '../support/events.ts';
import { apiFetch } from '../support/api.ts';

const dir = mkdtempSync(join(tmpdir(), 'runtime-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('embedded runtime', () => {
  it('serves /health over HTTP with projection lag, runs modules, and stops them in reverse order', async () => {
    const order: string[] = [];
    const mod = (name: string): EmbeddedModule => ({
      name,
      start: () => {
        order.push(`start ${name}`);
        return Promise.resolve({ endpoints: { [name]: `udp://${name}` }, stop: () => Promise.resolve(void order.push(`stop ${name}`)) });
      },
    });
    const runtime = await startRuntime(loadConfig({ FLEET_DATA_DIR: join(dir, 'a'), FLEET_HTTP_PORT: '0', FLEET_LOG_LEVEL: 'silent' }), {
      modules: [mod('one'), mod('two')],
    });
    expect(runtime.endpoints).toMatchObject({ one: 'udp://one', two: 'udp://two', dataDir: join(dir, 'a') });
    await runtime.events.append({ streamId: 'device-m1', expectedVersion: 0, events: [provisioned('m1')] });
    await runtime.projections.settled();

    const res = await fetch(`${runtime.url}/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; eventStore: { head: number }; components: Record<string, string>; projections: { name: string; lag: number }[] };
    expect(body.status).toBe('ok');
    expect(body.eventStore.head).toBe(1);
    expect(body.components).toEqual({ eventStore: 'up', one: 'up', two: 'up' });
    expect(body.projections.map((p) => [p.name, p.lag])).toEqual([
      ['devices', 0],
      ['device-state', 0],
      ['alarms', 0],
      ['rejections', 0],
    ]);
    expect(runtime.projectionStore.getRow('devices', 'm1')).toMatchObject({ tenant: 'city-of-lund' });
    const search = await apiFetch(runtime, '/devices?tenant=city-of-lund&near=55.7,13.19,1000');
    expect(search.status).toBe(200);
    expect(((await search.json()) as { items: { thingName: string }[] }).items.map((d) => d.thingName)).toEqual(['m1']);
    const bad = await apiFetch(runtime, '/devices?near=95,13,10');
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/application\/problem\+json/);

    await runtime.stop();
    expect(order).toEqual(['start one', 'start two', 'stop two', 'stop one']);
    await expect(fetch(`${runtime.url}/health`)).rejects.toThrow();
  });

  it('reports a module that is down as 503', async () => {
    const runtime = await startRuntime(loadConfig({ FLEET_DATA_DIR: join(dir, 'b'), FLEET_HTTP_PORT: '0', FLEET_LOG_LEVEL: 'silent' }), {
      modules: [{ name: 'broker', start: () => Promise.resolve({ health: () => 'down' as const, stop: () => Promise.resolve() }) }],
    });
    const res = await fetch(`${runtime.url}/health`);
    expect(res.status).toBe(503);
    await runtime.stop();
  });

  it('refuses a bad configuration with a message naming the variable', () => {
    expect(() => loadConfig({ FLEET_HTTP_PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig({ FLEET_HTTP_PORT: '70000' })).toThrow(/FLEET_HTTP_PORT/);
  });
});

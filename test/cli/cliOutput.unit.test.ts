import { describe, expect, it } from 'vitest';
import type { IssuedToken } from '../../functions/api/auth/localIssuer.ts';
import { baseUrlOf } from '../../functions/cli/cli.ts';
import { UsageError } from '../../functions/cli/cliErrors.ts';
import { searchQueryOf } from '../../functions/cli/devicesSearchCommand.ts';
import { diffRows } from '../../functions/cli/rowDiff.ts';
import { startupBanner } from '../../functions/cli/startupBanner.ts';
import { formatTable } from '../../functions/cli/table.ts';

describe('diffRows', () => {
  it('names each differing leaf, and rows only one side has', () => {
    const live = { thingName: 'm1', status: 'bootstrapped', attributes: { fw: '2.0', kind: 'meter' }, tags: ['a', 'b'] };
    const rebuilt = { thingName: 'm1', status: 'provisioned', attributes: { fw: '2.1', kind: 'meter' }, tags: ['a', 'c'] };
    expect(diffRows(live, rebuilt)).toEqual([
      { path: 'attributes.fw', live: '2.0', rebuilt: '2.1' },
      { path: 'status', live: 'bootstrapped', rebuilt: 'provisioned' },
      { path: 'tags[1]', live: 'b', rebuilt: 'c' },
    ]);
    expect(diffRows(undefined, { a: 1 })).toEqual([{ path: '(row)', live: undefined, rebuilt: { a: 1 } }]);
    expect(diffRows({ a: [1, 2] }, { a: [1] })).toEqual([{ path: 'a', live: [1, 2], rebuilt: [1] }]);
    expect(diffRows({ a: 1 }, { a: 1 })).toEqual([]);
  });

  it('stops after the asked number of places', () => {
    expect(diffRows({ a: 1, b: 1, c: 1 }, { a: 2, b: 2, c: 2 }, 2)).toHaveLength(2);
  });
});

describe('formatTable', () => {
  it('aligns columns and keeps each row on one line', () => {
    expect(formatTable(['name', 'status'], [['meter-1', 'provisioned'], ['m\n2', 'x']])).toBe('name     status\nmeter-1  provisioned\nm\\n2     x');
  });
});

describe('baseUrlOf', () => {
  it('prefers --url, then FLEET_URL, then FLEET_HTTP_HOST/PORT (an any-address bind is reached on loopback)', () => {
    expect(baseUrlOf('http://api.example:9000/', {})).toBe('http://api.example:9000');
    expect(baseUrlOf(undefined, { FLEET_URL: 'https://fleet.example' })).toBe('https://fleet.example');
    expect(baseUrlOf(undefined, {})).toBe('http://127.0.0.1:8080');
    expect(baseUrlOf(undefined, { FLEET_HTTP_HOST: '0.0.0.0', FLEET_HTTP_PORT: '9090' })).toBe('http://127.0.0.1:9090');
    expect(baseUrlOf(undefined, { FLEET_HTTP_HOST: '::' })).toBe('http://[::1]:8080');
    expect(() => baseUrlOf('ftp://x', {})).toThrow(UsageError);
    expect(() => baseUrlOf('not a url', {})).toThrow(/is not a URL/);
    expect(() => baseUrlOf(undefined, { FLEET_HTTP_PORT: 'eighty' })).toThrow(/FLEET_HTTP_PORT/);
  });
});

describe('searchQueryOf', () => {
  const none = { attr: [] as string[] };
  it('maps options to the directory query', () => {
    const q = searchQueryOf({ ...none, tenant: 'city', attr: ['kind=water-meter', 'fw.version=2.0'], group: 'north', near: '55.7,13.19', radius: 2000, limit: 10 });
    expect(q.toString()).toBe('tenant=city&attr.kind=water-meter&attr.fw.version=2.0&thingGroup=north&near=55.7%2C13.19%2C2000&limit=10');
  });

  it('names mistakes by the option and gives the fix in option form', () => {
    const bbox = (() => {
      try {
        searchQueryOf({ ...none, bbox: '55,12,56' });
      } catch (err) {
        return err as UsageError;
      }
      throw new Error('not refused');
    })();
    expect(bbox.message).toMatch(/^--bbox: bbox has 3 comma-separated values/);
    expect(bbox.hint).toContain('--bbox minLat,minLon,maxLat,maxLon');
    expect(() => searchQueryOf({ ...none, radius: 5 })).toThrow('--radius needs --near.');
    expect(() => searchQueryOf({ ...none, attr: ['kind'] })).toThrow('is not NAME=VALUE');
    expect(() => searchQueryOf({ ...none, limit: 501 })).toThrow(/--limit/);
  });
});

describe('startupBanner', () => {
  const token = (role: string): IssuedToken => ({ token: `token-of-${role}`, expiresAt: new Date('2026-03-01T13:00:00Z') });
  it('shows what runs where, a token per role and a curl line that works as pasted', () => {
    const text = startupBanner({
      url: 'http://127.0.0.1:8080',
      endpoints: { dataDir: '/srv/fleet data', coap: 'coap://0.0.0.0:5683', http: 'http://127.0.0.1:8080', mqtts: 'mqtts://127.0.0.1:8883', extra: 'x://y' },
      tokens: { admin: token('admin'), operator: token('operator'), viewer: token('viewer') },
    });
    const lines = text.split('\n');
    const where = lines.slice(2, 8).map((l) => l.trim().split(/\s{2,}/)[0]);
    expect(where).toEqual(['HTTP API', 'MQTT (TLS)', 'LwM2M (CoAP)', 'data dir', 'extra', 'health']);
    expect(text).toContain('/srv/fleet data');
    for (const role of ['admin', 'operator', 'viewer']) expect(text).toMatch(new RegExp(`^  ${role}\\s+token-of-${role}$`, 'm'));
    expect(text).toContain('valid until 2026-03-01T13:00:00.000Z');
    expect(text).toContain("curl -s -H 'Authorization: Bearer token-of-viewer' 'http://127.0.0.1:8080/devices?limit=5'");
  });

  it('leaves out what is not running (no LwM2M line without the module)', () => {
    const text = startupBanner({ url: 'http://h:1', endpoints: { http: 'http://h:1', dataDir: '/d' }, tokens: { admin: token('a'), operator: token('o'), viewer: token('v') } });
    expect(text).not.toContain('LwM2M (CoAP)');
    expect(text).toContain('HTTP API');
  });
});

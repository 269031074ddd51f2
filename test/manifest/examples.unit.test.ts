import { createReadStream, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RESERVED_FIELDS, detectFormat, parseManifest, type RowResult } from '../../schemas/manifest/index.ts';
import { parseText } from './support.ts';

const folder = join(import.meta.dirname, '../../schemas/manifest');
const examples = readdirSync(join(folder, 'examples')).sort();

const readExample = async (name: string): Promise<RowResult[]> => {
  const results: RowResult[] = [];
  const parse = parseManifest(createReadStream(join(folder, 'examples', name), { highWaterMark: 64 }), { format: detectFormat(name) });
  for await (const result of parse) results.push(result);
  return results;
};

describe('schemas/manifest/examples', () => {
  it('holds a CSV, a JSON and an NDJSON example', () => {
    expect(examples).toEqual(['devices.csv', 'devices.json', 'devices.ndjson']);
  });

  it.each(examples)('%s: every row is valid', async (name) => {
    const results = await readExample(name);
    expect(results).toHaveLength(3);
    for (const result of results) expect(result.ok, JSON.stringify(result)).toBe(true);
  });

  it('the three examples describe the same devices', async () => {
    const [csv, json, ndjson] = await Promise.all(examples.map(readExample));
    const rows = (results: RowResult[] | undefined) => results?.map((r) => (r.ok ? r.row : undefined));
    expect(rows(json)).toEqual(rows(csv));
    expect(rows(ndjson)).toEqual(rows(csv));
    expect(rows(csv)?.[1]).toEqual({
      serial: 'SN-0002',
      tenant: 'acme-city',
      latitude: 52.5163,
      longitude: 13.3777,
      thingGroup: 'street-lights',
      deviceType: 'lwm2m-lamp',
      pskIdentity: 'SN-0002',
      pskKey: '000102030405060708090a0b0c0d0e0f',
      attributes: { meter_model: 'ZX-200', install_date: '2024-05-02', floor: '2' },
    });
  });
});

describe('schemas/manifest/README.md', () => {
  const readme = readFileSync(join(folder, 'README.md'), 'utf8');
  const blocks = (lang: string) => [...readme.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1] ?? '');

  it('shows a CSV, a JSON and an NDJSON example that parse without problems', async () => {
    for (const format of ['csv', 'json', 'ndjson'] as const) {
      const found = blocks(format);
      expect(found.length, format).toBeGreaterThan(0);
      for (const text of found) {
        const parsed = await parseText(text, format);
        expect(parsed.error).toBeUndefined();
        expect(parsed.results.length).toBeGreaterThan(0);
        expect(parsed.results.every((r) => r.ok), JSON.stringify(parsed.results)).toBe(true);
      }
    }
  });

  it('documents every reserved column', () => {
    for (const field of RESERVED_FIELDS) expect(readme).toContain(`\`${field}\``);
  });
});

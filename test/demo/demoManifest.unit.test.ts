import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { demoRows, describeRows, manifestNdjson, readSampleManifest } from '../../functions/demo/demoManifest.ts';
import { parseManifest } from '../../schemas/manifest/index.ts';
import type { ManifestRow } from '../../schemas/manifest/manifestRow.ts';

const sample = await readSampleManifest();

const parseNdjson = async (text: string): Promise<ManifestRow[]> => {
  const rows: ManifestRow[] = [];
  for await (const result of parseManifest(Readable.from([text]), { format: 'ndjson' })) {
    if (!result.ok) throw new Error(`row ${result.rowNumber}: ${JSON.stringify(result.problems)}`);
    rows.push(result.row);
  }
  return rows;
};

describe('the sample manifest', () => {
  it('is 20 valid devices of three tenants around Lund, with attributes, some in one thing group', () => {
    expect(sample).toHaveLength(20);
    expect(new Set(sample.map((r) => r.tenant))).toEqual(new Set(['lund-energy', 'lund-water', 'lund-university']));
    expect(new Set(sample.flatMap((r) => (r.thingGroup ? [r.thingGroup] : [])))).toEqual(new Set(['district-heating']));
    expect(sample.filter((r) => r.thingGroup === undefined).length).toBeGreaterThan(0);
    for (const row of sample) {
      expect(Object.keys(row.attributes).sort()).toEqual(['install_date', 'model', 'site']);
      // Within about 5 km of Lund's centre.
      expect(Math.abs(row.latitude - 55.7047)).toBeLessThan(0.05);
      expect(Math.abs(row.longitude - 13.191)).toBeLessThan(0.08);
    }
    expect(sample.map((r) => r.serial)).toEqual(Array.from({ length: 20 }, (_, i) => `demo-${i}`));
  });

  it('is described in one line', () => {
    expect(describeRows(sample.slice(0, 2))).toBe('2 devices, 2 tenants (lund-energy, lund-water), attributes site, install_date, model, thing group district-heating');
  });
});

describe('demoRows', () => {
  it('takes the first rows of the sample for a small fleet', () => {
    expect(demoRows(sample, 5)).toEqual(sample.slice(0, 5));
  });

  it('names more devices on from the sample, a little further out, with unique serials', () => {
    const rows = demoRows(sample, 45);
    expect(rows.map((r) => r.serial)).toEqual(Array.from({ length: 45 }, (_, i) => `demo-${i}`));
    const again = rows[23]!;
    const template = sample[3]!;
    expect({ ...again, serial: template.serial, latitude: template.latitude, longitude: template.longitude }).toEqual(template);
    expect(again.latitude).not.toBe(template.latitude);
    expect(again.longitude).not.toBe(template.longitude);
  });

  it('gives the same manifest for the same count, so a re-upload changes nothing', () => {
    expect(manifestNdjson(demoRows(sample, 33))).toBe(manifestNdjson(demoRows(sample, 33)));
  });

  it('refuses a sample whose serials would collide with the generated ones', () => {
    const clashing = [{ ...sample[0]!, serial: 'demo-2' }, sample[1]!];
    expect(() => demoRows(clashing, 3)).toThrow(/would list demo-2 twice/);
  });
});

describe('manifestNdjson', () => {
  it('is a manifest the upload parser reads back to the same rows', async () => {
    const rows = demoRows(sample, 25);
    expect(await parseNdjson(manifestNdjson(rows))).toEqual(rows);
  });
});

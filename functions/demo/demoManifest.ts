import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import { parseManifest } from '../../schemas/manifest/index.ts';
import type { ManifestRow } from '../../schemas/manifest/manifestRow.ts';

/** The demo's fleet: three tenants around Lund, with attributes, some in one thing group. */
export const SAMPLE_MANIFEST_FILE = resolve(import.meta.dirname, 'sampleManifest.csv');

/** Rows past the sample's own are named on from it: demo-20, demo-21, ... */
const SERIAL_PREFIX = 'demo-';

/** Reads and checks the sample manifest with the upload's own parser: a broken edit of the file says which row and why. */
export const readSampleManifest = async (file: string = SAMPLE_MANIFEST_FILE): Promise<ManifestRow[]> => {
  const rows: ManifestRow[] = [];
  for await (const result of parseManifest(createReadStream(file), { format: 'csv' })) {
    if (!result.ok) {
      const problems = result.problems.map((p) => `${p.field || 'row'}: ${p.message}`).join('; ');
      throw new Error(`${file} row ${result.rowNumber} is not a valid manifest row (${problems}); fix the file or restore it from git`);
    }
    rows.push(result.row);
  }
  if (rows.length === 0) throw new Error(`${file} has no device rows; restore it from git`);
  return rows;
};

/**
 * The first `count` devices: the sample's rows, then the same rows again with new serials a few
 * hundred metres further out on each pass, so a bigger fleet keeps the sample's tenants, sites
 * and group. Pure; the same count always gives the same manifest, so a re-upload is unchanged.
 */
export const demoRows = (sample: readonly ManifestRow[], count: number): ManifestRow[] => {
  if (sample.length === 0) throw new Error('the sample manifest has no rows');
  const rows: ManifestRow[] = [];
  const serials = new Set<string>();
  for (let i = 0; i < count; i += 1) {
    const template = sample[i % sample.length]!;
    const pass = Math.floor(i / sample.length);
    const row: ManifestRow =
      pass === 0
        ? template
        : {
            ...template,
            serial: `${SERIAL_PREFIX}${i}`,
            latitude: Math.round((template.latitude + pass * 0.0031) * 1e6) / 1e6,
            longitude: Math.round((template.longitude + pass * 0.0047) * 1e6) / 1e6,
          };
    if (serials.has(row.serial.toLowerCase())) throw new Error(`the demo manifest would list ${row.serial} twice: keep the sample's serials as ${SERIAL_PREFIX}0, ${SERIAL_PREFIX}1, ...`);
    serials.add(row.serial.toLowerCase());
    rows.push(row);
  }
  return rows;
};

/** The rows as an NDJSON manifest (schemas/manifest/README.md), one device per line. */
export const manifestNdjson = (rows: readonly ManifestRow[]): string =>
  rows
    .map((r) =>
      JSON.stringify({
        serial: r.serial,
        tenant: r.tenant,
        latitude: r.latitude,
        longitude: r.longitude,
        ...(r.thingGroup === undefined ? {} : { thingGroup: r.thingGroup }),
        ...(r.deviceType === undefined ? {} : { deviceType: r.deviceType }),
        attributes: r.attributes,
      }),
    )
    .join('\n')
    .concat('\n');

/** "3 tenants (lund-energy, lund-water, lund-university), thing group district-heating": what the upload holds. */
export const describeRows = (rows: readonly ManifestRow[]): string => {
  const tenants = [...new Set(rows.map((r) => r.tenant))];
  const groups = [...new Set(rows.flatMap((r) => (r.thingGroup === undefined ? [] : [r.thingGroup])))];
  const attributes = [...new Set(rows.flatMap((r) => Object.keys(r.attributes)))];
  return [
    `${rows.length} device${rows.length === 1 ? '' : 's'}`,
    `${tenants.length} tenant${tenants.length === 1 ? '' : 's'} (${tenants.join(', ')})`,
    ...(attributes.length > 0 ? [`attributes ${attributes.join(', ')}`] : []),
    ...(groups.length > 0 ? [`thing group ${groups.join(', ')}`] : []),
  ].join(', ');
};

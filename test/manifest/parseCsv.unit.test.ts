import { describe, expect, it } from 'vitest';
import { HEADER, chunks, expectManifestError, parseAll, parseText, problemsOf } from './support.ts';

const row = (serial: string, rest = 'acme,52.52,13.405') => `${serial},${rest}`;

describe('parseManifest csv: header', () => {
  it('matches header names ignoring case and surrounding space; other columns become attributes', async () => {
    const text = ' Serial ,TENANT, Latitude,LONGITUDE,DeviceType,floor,Meter.Model\nSN-1,acme,1.5,2.5,lamp,3,ZX\n';
    const parsed = await parseText(text, 'csv');
    expect(parsed.error).toBeUndefined();
    expect(parsed.results).toEqual([
      { rowNumber: 2, ok: true, row: { serial: 'SN-1', tenant: 'acme', latitude: 1.5, longitude: 2.5, deviceType: 'lamp', attributes: { floor: '3', 'Meter.Model': 'ZX' } } },
    ]);
    expect(parsed.summary).toEqual({ format: 'csv', rows: 1, valid: 1, invalid: 0, bytes: Buffer.byteLength(text) });
  });

  it('stops before any row when required columns are missing, naming them', async () => {
    const parsed = await parseText('serial,latitude\nSN-1,1\n', 'csv');
    expect(parsed.results).toEqual([]);
    const e = expectManifestError(parsed.error, 'missing-columns');
    expect(e.rowNumber).toBe(1);
    expect(e.message).toContain('tenant, longitude');
  });

  it('suggests the reserved name for a look-alike column (lat, lon)', async () => {
    const e = expectManifestError((await parseText('serial,tenant,lat,Lng\n', 'csv')).error, 'missing-columns');
    expect(e.hint).toContain('Rename "lat" to latitude, "Lng" to longitude');
  });

  it.each([
    [`${HEADER},Serial`, 'repeats column 1'],
    [`${HEADER},floor,FLOOR`, 'repeats column 5'],
    [`${HEADER},install date`, 'not a valid attribute name'],
    [`${HEADER},thing_group`, 'looks like the reserved column thingGroup'],
    [`${HEADER},attributes`, 'reserved name'],
    [`${HEADER},${'x'.repeat(65)}`, 'not a valid attribute name'],
  ])('refuses the header %j as a whole-file error (%s)', async (header, says) => {
    const parsed = await parseText(`${header}\n${row('SN-1')},1,2\n`, 'csv');
    expect(parsed.results).toEqual([]);
    expect(expectManifestError(parsed.error, 'bad-header').message).toContain(says);
  });

  it('refuses an empty file and a file of blank lines', async () => {
    expectManifestError((await parseText('', 'csv')).error, 'empty');
    expectManifestError((await parseText('\n\r\n ,,\n', 'csv')).error, 'empty');
  });

  it('accepts a header with no rows as zero rows', async () => {
    const parsed = await parseText(`${HEADER}\r\n`, 'csv');
    expect(parsed.results).toEqual([]);
    expect(parsed.summary?.rows).toBe(0);
  });

  it('ignores an unnamed trailing column unless a row fills it', async () => {
    const parsed = await parseText(`${HEADER},\n${row('SN-1')},\n${row('SN-2')},oops\n`, 'csv');
    expect(parsed.results[0]?.ok).toBe(true);
    expect(problemsOf(parsed, 3)).toEqual([{ field: 'column 5', message: 'column 5 has a value but no name in the header.', hint: 'Name the column in row 1, or clear the cell.' }]);
  });
});

describe('parseManifest csv: RFC 4180 and what spreadsheets write', () => {
  it('strips a UTF-8 BOM, even split across chunks', async () => {
    const bytes = Buffer.from(`\uFEFF${HEADER}\n${row('SN-1')}\n`, 'utf8');
    const parsed = await parseAll(chunks(bytes.subarray(0, 1), bytes.subarray(1, 2), bytes.subarray(2)), 'csv');
    expect(parsed.results).toHaveLength(1);
    expect(parsed.results[0]?.ok).toBe(true);
  });

  it('reads CRLF, LF and CR line ends, mixed in one file', async () => {
    const parsed = await parseText(`${HEADER}\r\n${row('SN-1')}\n${row('SN-2')}\r${row('SN-3')}\r\n`, 'csv');
    expect(parsed.results.map((r) => [r.rowNumber, r.ok])).toEqual([
      [2, true],
      [3, true],
      [4, true],
    ]);
  });

  it('reads the last row without a line end', async () => {
    const parsed = await parseText(`${HEADER}\n${row('SN-1')}`, 'csv');
    expect(parsed.results).toHaveLength(1);
  });

  it('unquotes quoted cells: commas, doubled quotes, spaces around quotes', async () => {
    const text = `${HEADER},model,note\n"SN-1","acme", "52.5" ,13.4,"a,b",""\nSN-2,acme,1,2,x,"say ""hi"""\n`;
    const parsed = await parseText(text, 'csv');
    expect(parsed.results[0]).toEqual({ rowNumber: 2, ok: true, row: { serial: 'SN-1', tenant: 'acme', latitude: 52.5, longitude: 13.4, attributes: { model: 'a,b' } } });
    // A legal CSV cell, but AWS attribute values cannot hold spaces or quotes:
    expect(problemsOf(parsed, 3)).toHaveLength(1);
    expect(problemsOf(parsed, 3)[0]?.message).toContain('"say \\"hi\\""');
  });

  it('keeps a comma inside quotes in one cell', async () => {
    const parsed = await parseText(`${HEADER},deviceType,place\nSN-1,acme,1,2,lamp,"a,b"\n`, 'csv');
    expect(parsed.results[0]).toMatchObject({ ok: true, row: { attributes: { place: 'a,b' } } });
  });

  it('reads a line break inside quotes as part of the cell, and the row after keeps its spreadsheet number', async () => {
    const parsed = await parseText(`${HEADER},deviceType,note\nSN-1,acme,1,2,lamp,"x\r\ny"\nSN-2 bad,acme,1,2,lamp,\n`, 'csv');
    expect(parsed.results[0]).toMatchObject({ rowNumber: 2, ok: false });
    expect(problemsOf(parsed, 2)[0]?.field).toBe('note');
    expect(problemsOf(parsed, 3)[0]?.field).toBe('serial');
  });

  it('takes a stray quote inside an unquoted cell as text (and the field rule then refuses it)', async () => {
    const parsed = await parseText(`${HEADER}\nSN"1,acme,1,2\n`, 'csv');
    expect(problemsOf(parsed, 2)[0]).toMatchObject({ field: 'serial' });
    expect(problemsOf(parsed, 2)[0]?.message).toContain('"\\""');
  });

  it('refuses an unclosed quote as a whole-file error at the row it opens', async () => {
    const parsed = await parseText(`${HEADER}\n${row('SN-1')}\n"SN-2,acme,1,2\n${row('SN-3')}\n`, 'csv');
    expect(parsed.results.map((r) => r.rowNumber)).toEqual([2]);
    expect(expectManifestError(parsed.error, 'bad-csv').rowNumber).toBe(3);
  });

  it('counts blank lines in row numbers, as a spreadsheet shows them, and skips them', async () => {
    const parsed = await parseText(`${HEADER}\n\n${row('SN-1')}\n,,,\n\n${row('bad serial')}\n`, 'csv');
    expect(parsed.results.map((r) => [r.rowNumber, r.ok])).toEqual([
      [3, true],
      [6, false],
    ]);
    expect(parsed.summary?.rows).toBe(2);
  });

  it('reports a row with too many or too few cells without guessing which cell moved', async () => {
    const parsed = await parseText(`${HEADER}\nSN-1,acme,52,5,13,4\nSN-2,acme,52.5\n`, 'csv');
    expect(problemsOf(parsed, 2)).toHaveLength(1);
    expect(problemsOf(parsed, 2)[0]).toMatchObject({ field: '', message: 'this row has 6 cells but the header has 4 columns.' });
    expect(problemsOf(parsed, 2)[0]?.hint).toContain('Quote cells that contain a comma');
    expect(problemsOf(parsed, 3)[0]?.message).toBe('this row has 3 cells but the header has 4 columns.');
  });

  it('treats an empty cell as not set: optional fields vanish, required ones are missing', async () => {
    const parsed = await parseText(`${HEADER},thingGroup,floor\nSN-1,acme,1,2,,\n,acme,,2,,\n`, 'csv');
    expect(parsed.results[0]).toEqual({ rowNumber: 2, ok: true, row: { serial: 'SN-1', tenant: 'acme', latitude: 1, longitude: 2, attributes: {} } });
    expect(problemsOf(parsed, 3).map((p) => p.message)).toEqual(['serial is missing.', 'latitude is missing.']);
  });
});

describe('parseManifest csv: rows across the file', () => {
  it('makes a later duplicate serial a problem naming the earlier row; the first stays valid', async () => {
    const parsed = await parseText(`${HEADER}\n${row('SN-1')}\n${row('SN-2')}\n${row('SN-1')}\n${row('sn-2')}\n`, 'csv');
    expect(parsed.results.map((r) => r.ok)).toEqual([true, true, false, false]);
    expect(problemsOf(parsed, 4)).toEqual([
      { field: 'serial', message: 'serial "SN-1" is already on row 2.', hint: 'Each device appears once per manifest: remove this row or merge it with row 2.' },
    ]);
    expect(problemsOf(parsed, 5)[0]?.message).toBe('serial "sn-2" is already on row 3 (as "SN-2", differing only in letter case).');
    expect(parsed.results[3]).toMatchObject({ serial: 'sn-2' });
  });

  it('names an earlier duplicate even when the earlier row was invalid for another reason', async () => {
    const parsed = await parseText(`${HEADER}\nSN-1,acme,1,999\n${row('SN-1')}\n`, 'csv');
    expect(problemsOf(parsed, 2)[0]?.field).toBe('longitude');
    expect(problemsOf(parsed, 3)[0]?.message).toContain('already on row 2');
  });

  it('refuses a PSK identity used twice', async () => {
    const key = 'ab'.repeat(16);
    const parsed = await parseText(`${HEADER},pskIdentity,pskKey\n${row('SN-1')},id-1,${key}\n${row('SN-2')},id-1,${key}\n`, 'csv');
    expect(problemsOf(parsed, 3)).toEqual([expect.objectContaining({ field: 'pskIdentity', message: 'pskIdentity "id-1" is already used on row 2.' }) as unknown]);
  });

  it('carries the serial of an invalid row so the report can name it, cut when absurdly long', async () => {
    const parsed = await parseText(`${HEADER}\nSN-1,acme,x,1\n${'y'.repeat(300)},acme,1,1\n`, 'csv');
    expect(parsed.results[0]).toMatchObject({ ok: false, serial: 'SN-1' });
    expect(parsed.results[1]).toMatchObject({ ok: false, serial: `${'y'.repeat(128)}...` });
  });
});

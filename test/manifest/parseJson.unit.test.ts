import { describe, expect, it } from 'vitest';
import { chunks, expectManifestError, parseAll, parseText, problemsOf } from './support.ts';

const device = (serial: string, extra: Record<string, unknown> = {}) => ({ serial, tenant: 'acme', latitude: 52.52, longitude: 13.405, ...extra });
const json = (...rows: unknown[]) => JSON.stringify(rows);

describe('parseManifest json: a top-level array, split as it streams', () => {
  it('reads rows, numbering them by position from 1', async () => {
    const parsed = await parseText(json(device('SN-1', { attributes: { floor: 3 } }), device('SN-2')), 'json');
    expect(parsed.results).toEqual([
      { rowNumber: 1, ok: true, row: { ...device('SN-1'), attributes: { floor: '3' } } },
      { rowNumber: 2, ok: true, row: { ...device('SN-2'), attributes: {} } },
    ]);
    expect(parsed.summary).toMatchObject({ format: 'json', rows: 2, valid: 2, invalid: 0 });
  });

  it('splits correctly whatever the chunk boundaries, even one character at a time', async () => {
    const text = `\uFEFF [ ${json(device('SN-1', { attributes: { note: 'a]b,c}{"' } })).slice(1, -1)} ,\n${JSON.stringify(device('SN-"2'))} ]\n`;
    const parsed = await parseAll(chunks(...[...text]), 'json');
    expect(parsed.error).toBeUndefined();
    expect(parsed.results.map((r) => r.rowNumber)).toEqual([1, 2]);
    // The brackets and quote inside strings did not split anything; the schema then judged the values:
    expect(problemsOf(parsed, 1).map((p) => p.field)).toEqual(['note']);
    expect(problemsOf(parsed, 2).map((p) => p.field)).toEqual(['serial']);
  });

  it('matches field names ignoring case, and treats null and "" as not set', async () => {
    const parsed = await parseText(json({ SERIAL: 'SN-1', Tenant: 'acme', latitude: '52.5', LONGITUDE: 13, thingGroup: null, deviceType: '', Attributes: { a: null, b: '' } }), 'json');
    expect(parsed.results).toEqual([{ rowNumber: 1, ok: true, row: { serial: 'SN-1', tenant: 'acme', latitude: 52.5, longitude: 13, attributes: {} } }]);
  });

  it('refuses a field given twice in different case', async () => {
    const parsed = await parseText('[{"serial":"SN-1","Serial":"SN-2","tenant":"acme","latitude":1,"longitude":2}]', 'json');
    expect(problemsOf(parsed, 1)).toEqual([{ field: 'serial', message: 'serial is given twice, as "serial" and "Serial".', hint: 'Keep one of them (names ignore letter case).' }]);
  });

  it('makes an element that is not an object, or not valid JSON, a row problem and goes on', async () => {
    const parsed = await parseText(`[1, "x", null, [], {"serial": }, , ${JSON.stringify(device('SN-9'))}]`, 'json');
    expect(parsed.results.map((r) => r.ok)).toEqual([false, false, false, false, false, false, true]);
    expect(problemsOf(parsed, 1)[0]?.message).toBe('this row is a number, not an object.');
    expect(problemsOf(parsed, 2)[0]?.message).toBe('this row is a string, not an object.');
    expect(problemsOf(parsed, 3)[0]?.message).toBe('this row is null, not an object.');
    expect(problemsOf(parsed, 4)[0]?.message).toBe('this row is a list, not an object.');
    expect(problemsOf(parsed, 5)[0]?.message).toContain('not valid JSON');
    expect(problemsOf(parsed, 6)[0]?.message).toBe('this row is empty, not an object.');
  });

  it('names a key at the top level that is not a field, even "__proto__"', async () => {
    const parsed = await parseText(`[{"serial":"SN-1","tenant":"acme","latitude":1,"longitude":2,"floor":"3","__proto__":{"serial":"x"}}]`, 'json');
    expect(problemsOf(parsed, 1).map((p) => p.field).sort()).toEqual(['__proto__', 'floor']);
  });

  it('refuses "__proto__" as an attribute name instead of losing it', async () => {
    const parsed = await parseText(`[{"serial":"SN-1","tenant":"acme","latitude":1,"longitude":2,"attributes":{"__proto__":"3"}}]`, 'json');
    expect(problemsOf(parsed, 1)).toEqual([{ field: '__proto__', message: 'attribute name "__proto__" is not allowed.', hint: 'Name the attribute something else.' }]);
  });

  it('reads an empty array as no rows', async () => {
    const parsed = await parseText(' [ ] ', 'json');
    expect(parsed.results).toEqual([]);
    expect(parsed.summary?.rows).toBe(0);
  });

  it('refuses an object at the top level, pointing to the array or to NDJSON', async () => {
    const parsed = await parseText(JSON.stringify({ devices: [device('SN-1')] }), 'json');
    const e = expectManifestError(parsed.error, 'not-an-array');
    expect(e.hint).toContain('upload only that array');
    expect(e.hint).toContain('NDJSON');
  });

  it.each([
    ['', 'empty'],
    ['   ', 'empty'],
    ['"devices"', 'not-json'],
    ['[{"serial":"SN-1"}', 'not-json'],
    ['[{"serial":"SN-1"},', 'not-json'],
    ['[{"serial":"SN-1"},]', 'not-json'],
    ['[] []', 'not-json'],
    ['[{"a":"unterminated}]', 'not-json'],
  ] as const)('refuses %j as a whole-file error (%s)', async (text, code) => {
    expectManifestError((await parseText(text, 'json')).error, code);
  });

  it('keeps rows yielded before a broken end, and says where it broke', async () => {
    const parsed = await parseText(`[${JSON.stringify(device('SN-1'))}, {"serial": "SN-2"`, 'json');
    expect(parsed.results.map((r) => r.rowNumber)).toEqual([1]);
    expect(expectManifestError(parsed.error, 'not-json').rowNumber).toBe(2);
  });

  it('finds duplicate serials across elements', async () => {
    const parsed = await parseText(json(device('SN-1'), device('SN-1')), 'json');
    expect(problemsOf(parsed, 2)[0]?.message).toBe('serial "SN-1" is already on row 1.');
  });
});

describe('parseManifest ndjson: one object per line', () => {
  it('numbers rows by line, skipping blank lines, with CRLF or LF', async () => {
    const text = `${JSON.stringify(device('SN-1'))}\r\n\r\n${JSON.stringify(device('SN-2'))}\n   \n${JSON.stringify(device('bad serial'))}`;
    const parsed = await parseText(text, 'ndjson');
    expect(parsed.results.map((r) => [r.rowNumber, r.ok])).toEqual([
      [1, true],
      [3, true],
      [5, false],
    ]);
    expect(parsed.summary).toMatchObject({ format: 'ndjson', rows: 3, valid: 2, invalid: 1 });
  });

  it('reads lines split across chunks anywhere', async () => {
    const text = `${JSON.stringify(device('SN-1'))}\n${JSON.stringify(device('SN-2'))}\n`;
    const parsed = await parseAll(chunks(...text.match(/.{1,7}/gs)!), 'ndjson');
    expect(parsed.results.map((r) => r.ok)).toEqual([true, true]);
  });

  it('makes a bad line a row problem and goes on', async () => {
    const parsed = await parseText(`[1,2]\nnot json\n${JSON.stringify(device('SN-1'))}\n`, 'ndjson');
    expect(problemsOf(parsed, 1)[0]?.message).toBe('this row is a list, not an object.');
    expect(problemsOf(parsed, 2)[0]?.message).toContain('not valid JSON');
    expect(parsed.results[2]).toMatchObject({ rowNumber: 3, ok: true });
  });

  it('refuses a manifest with no rows', async () => {
    expectManifestError((await parseText('\n \r\n', 'ndjson')).error, 'empty');
  });
});

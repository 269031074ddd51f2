import { describe, expect, it } from 'vitest';
import { problemsOf, parseText } from './support.ts';

/**
 * PSK identities across the rows of one manifest: a DTLS server tells devices apart by identity,
 * and a row without pskIdentity gets its serial as identity (functions/dtls/devicePsk.ts), so an
 * explicit identity may be neither another row's identity nor another row's serial when that row
 * has none of its own. Keys are never quoted back.
 */

const KEY_A = '00112233445566778899aabbccddeeff';
const KEY_B = 'ffeeddccbbaa99887766554433221100';
const HEADER = 'serial,tenant,latitude,longitude,pskIdentity,pskKey';
const csv = (...rows: string[]) => `${[HEADER, ...rows].join('\n')}\n`;

describe('manifest PSK identities across rows', () => {
  it('accepts distinct identities, an identity equal to its own serial, and rows without PSK', async () => {
    const parsed = await parseText(csv(`SN-1,acme,1,1,SN-1,${KEY_A}`, `SN-2,acme,1,1,meter@2,${KEY_B}`, 'SN-3,acme,1,1,,'), 'csv');
    expect(parsed.error).toBeUndefined();
    expect(parsed.results.map((r) => r.ok)).toEqual([true, true, true]);
  });

  it('refuses an identity used on an earlier row, naming that row', async () => {
    const parsed = await parseText(csv(`SN-1,acme,1,1,shared,${KEY_A}`, `SN-2,acme,1,1,shared,${KEY_B}`), 'csv');
    expect(problemsOf(parsed, 3)).toEqual([expect.objectContaining({ field: 'pskIdentity', message: 'pskIdentity "shared" is already used on row 2.' })]);
  });

  it("refuses an identity that is an earlier row's serial when that row handshakes under its serial", async () => {
    const parsed = await parseText(csv('SN-1,acme,1,1,,', `SN-2,acme,1,1,SN-1,${KEY_B}`), 'csv');
    const [problem] = problemsOf(parsed, 3);
    expect(problem).toMatchObject({ field: 'pskIdentity' });
    expect(problem?.message).toContain('is the serial of row 2');
    expect(problem?.hint).toContain('give every device its own');
  });

  it('refuses a later row without identity whose serial an earlier row took as its identity', async () => {
    const parsed = await parseText(csv(`SN-1,acme,1,1,SN-2,${KEY_A}`, 'SN-2,acme,1,1,,'), 'csv');
    expect(parsed.results[0]?.ok).toBe(true);
    const [problem] = problemsOf(parsed, 3);
    expect(problem).toMatchObject({ field: 'serial' });
    expect(problem?.message).toContain('is the pskIdentity of row 2');
    expect(problem?.hint).toContain('Give row 2 another pskIdentity');
  });

  it("allows an identity that is another row's serial when that row has its own identity", async () => {
    const parsed = await parseText(csv(`SN-1,acme,1,1,SN-2,${KEY_A}`, `SN-2,acme,1,1,meter@2,${KEY_B}`), 'csv');
    expect(parsed.results.map((r) => r.ok)).toEqual([true, true]);
  });

  it('identities are compared exactly: case matters in a DTLS handshake', async () => {
    const parsed = await parseText(csv('SN-1,acme,1,1,,', `SN-2,acme,1,1,sn-1,${KEY_B}`, `SN-3,acme,1,1,Shared,${KEY_A}`, `SN-4,acme,1,1,shared,${KEY_B}`), 'csv');
    expect(parsed.results.map((r) => r.ok)).toEqual([true, true, true, true]);
  });

  it('never quotes a key in a problem', async () => {
    const parsed = await parseText(csv('SN-1,acme,1,1,,', `SN-2,acme,1,1,shared,${KEY_A}`, `SN-3,acme,1,1,shared,${KEY_B}`, `SN-4,acme,1,1,SN-1,${KEY_B}`), 'csv');
    const refused = parsed.results.filter((r) => !r.ok);
    expect(refused).toHaveLength(2);
    const text = JSON.stringify(refused);
    expect(text).not.toContain(KEY_A.slice(0, 12));
    expect(text).not.toContain(KEY_B.slice(0, 12));
  });
});

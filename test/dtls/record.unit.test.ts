import { describe, expect, it } from 'vitest';
import { packDatagrams } from '../../functions/dtls/epoch.ts';
import { parseRecords, recordHeader } from '../../functions/dtls/record.ts';

const record = (type: number, epoch: number, seq: number, payload: Buffer) => Buffer.concat([recordHeader(type, 0xfefd, epoch, seq, payload.length), payload]);

describe('record layer framing (RFC 6347 §4.1)', () => {
  it('splits a datagram holding several records', () => {
    const d = Buffer.concat([record(22, 0, 5, Buffer.from('abc')), record(20, 0, 6, Buffer.of(1)), record(22, 1, 0, Buffer.alloc(40))]);
    const { records, error } = parseRecords(d);
    expect(error).toBeUndefined();
    expect(records.map((r) => [r.type, r.epoch, r.sequence, r.fragment.length])).toEqual([
      [22, 0, 5, 3],
      [20, 0, 6, 1],
      [22, 1, 0, 40],
    ]);
  });

  it('keeps the records before a malformed one and says why it stopped', () => {
    const good = record(23, 1, 1, Buffer.from('ok'));
    expect(parseRecords(Buffer.concat([good, good.subarray(0, 10)]))).toMatchObject({ records: [{ sequence: 1 }], error: 'truncated_header' });
    expect(parseRecords(Buffer.concat([good, good.subarray(0, 14)])).error).toBe('truncated_record');
    const tls = Buffer.from(good);
    tls.writeUInt16BE(0x0303, 1);
    expect(parseRecords(tls).error).toBe('bad_version');
    const weird = Buffer.from(good);
    weird[0] = 99;
    expect(parseRecords(weird).error).toBe('bad_content_type');
    const huge = Buffer.from(good);
    huge.writeUInt16BE(0xffff, 11);
    expect(parseRecords(huge).error).toBe('record_overflow');
  });

  it('writes 48-bit sequence numbers', () => {
    const h = recordHeader(23, 0xfefd, 2, 2 ** 48 - 1, 0);
    expect(h.toString('hex')).toBe('17fefd0002ffffffffffff0000');
  });

  it('packs records into datagrams no larger than the MTU', () => {
    const records = [Buffer.alloc(500), Buffer.alloc(500), Buffer.alloc(500), Buffer.alloc(1300)];
    expect(packDatagrams(records, 1200).map((d) => d.length)).toEqual([1000, 500, 1300]);
  });
});

import { describe, expect, it } from 'vitest';
import { DtlsAlertError } from '../../functions/dtls/errors.ts';
import { fragmentHandshakeMessage, handshakeMessage, parseHandshakeFragments } from '../../functions/dtls/handshakeFragment.ts';
import { HandshakeReassembler } from '../../functions/dtls/reassembler.ts';

const body = Buffer.from(Array.from({ length: 100 }, (_, i) => i));
const message = handshakeMessage(16, 3, body);
const fragments = (maxBody: number) => fragmentHandshakeMessage(message, maxBody).flatMap((f) => parseHandshakeFragments(f));

describe('handshake fragments (RFC 6347 §4.2.3)', () => {
  it('splits a message and parses the pieces back with offsets', () => {
    const parts = fragments(30);
    expect(parts.map((p) => [p.fragmentOffset, p.body.length, p.length, p.messageSeq])).toEqual([
      [0, 30, 100, 3],
      [30, 30, 100, 3],
      [60, 30, 100, 3],
      [90, 10, 100, 3],
    ]);
  });

  it('refuses a fragment that runs past its message, and a truncated header, with decode_error', () => {
    const bad = Buffer.from(message.subarray(0, 12));
    bad.writeUIntBE(95, 6, 3); // offset 95 + length 100 > 100
    bad.writeUIntBE(10, 9, 3);
    expect(() => parseHandshakeFragments(Buffer.concat([bad, Buffer.alloc(10)]))).toThrow(DtlsAlertError);
    expect(() => parseHandshakeFragments(message.subarray(0, 11))).toThrow('needs');
  });
});

describe('handshake reassembly', () => {
  it('puts reordered, overlapping and repeated fragments back together', () => {
    const r = new HandshakeReassembler(4096, 4);
    const parts = fragments(30);
    for (const p of [parts[3]!, parts[1]!, parts[1]!, parts[0]!]) expect(r.add(p, 0, 3)).toBe('buffered');
    expect(r.take(3)).toBeUndefined();
    // An overlapping piece covering the gap.
    expect(r.add({ ...parts[2]!, fragmentOffset: 55, body: body.subarray(55, 95) }, 0, 3)).toBe('buffered');
    const m = r.take(3);
    expect(m?.body.equals(body)).toBe(true);
    expect(m?.raw.equals(message)).toBe(true);
    expect(r.take(3)).toBeUndefined();
  });

  it('completes an empty message from its single fragment', () => {
    const r = new HandshakeReassembler(4096, 4);
    const [done] = parseHandshakeFragments(handshakeMessage(14, 2, Buffer.alloc(0)));
    r.add(done!, 0, 2);
    expect(r.take(2)?.msgType).toBe(14);
  });

  it('bounds memory: too long, too far ahead, inconsistent, epoch changes', () => {
    const r = new HandshakeReassembler(64, 2);
    const [first] = fragments(30);
    expect(r.add(first!, 0, 3)).toBe('too_long');
    const ok = new HandshakeReassembler(4096, 2);
    expect(ok.add({ ...first!, messageSeq: 10 }, 0, 3)).toBe('too_far_ahead');
    expect(ok.add(first!, 0, 3)).toBe('buffered');
    expect(ok.add({ ...first!, msgType: 20 }, 0, 3)).toBe('inconsistent_fragment');
    expect(ok.add({ ...first!, length: 99 }, 0, 3)).toBe('inconsistent_fragment');
    expect(ok.add(first!, 1, 3)).toBe('epoch_mismatch');
    expect(ok.add({ ...first!, messageSeq: 4 }, 0, 3)).toBe('buffered');
    expect(new HandshakeReassembler(4096, 1).add({ ...first!, messageSeq: 3 }, 0, 3)).toBe('buffered');
  });
});

import { describe, expect, it } from 'vitest';
import { decodeBlock, encodeBlock, szxFor } from '../../../functions/lwm2m/coap/block.ts';
import { decodeCoap, encodeCoap } from '../../../functions/lwm2m/coap/codec.ts';
import { Code, formatCode, kindOfCode, Method, type CoapMessage } from '../../../functions/lwm2m/coap/message.ts';
import { decodeUint, encodeUint, firstUnrecognizedCritical, Option, option } from '../../../functions/lwm2m/coap/options.ts';

const bytes = (...parts: (number | string)[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from([p]))));

const decoded = (input: Buffer): CoapMessage => {
  const result = decodeCoap(input);
  if (!result.ok) throw new Error(`expected a message, got ${result.reason}`);
  return result.message;
};

describe('CoAP codec (RFC 7252 §3), vectors written by hand from the header layout', () => {
  it('reads a CON GET with one Uri-Path option and no token', () => {
    // Ver 1, T CON, TKL 0 | GET | MID 0x7d34 | delta 11 len 11 'temperature'
    const message = decoded(bytes(0x40, 0x01, 0x7d, 0x34, 0xbb, 'temperature'));
    expect(message).toMatchObject({ type: 'CON', code: Method.GET, messageId: 0x7d34 });
    expect(message.token.length).toBe(0);
    expect(message.options).toEqual([{ number: Option.URI_PATH, value: Buffer.from('temperature') }]);
    expect(message.payload.length).toBe(0);
  });

  it('reads a piggybacked 2.05 with a token and a payload', () => {
    const message = decoded(bytes(0x62, 0x45, 0x7d, 0x34, 0x20, 0xfa, 0xff, '22.3 C'));
    expect(message).toMatchObject({ type: 'ACK', code: Code.CONTENT, messageId: 0x7d34 });
    expect(message.token).toEqual(Buffer.from([0x20, 0xfa]));
    expect(message.payload.toString()).toBe('22.3 C');
    expect(formatCode(message.code)).toBe('2.05');
  });

  it('reads 1-byte and 2-byte extended deltas and lengths', () => {
    // Size1 (60): delta 13+47; then No-Response (258): delta 198 = 13+185; then an option 300 bytes long at 600: delta 342 = 269+73, length 300 = 269+31.
    const long = Buffer.alloc(300, 0x61);
    const message = decoded(
      Buffer.concat([bytes(0x50, 0x01, 0x00, 0x01), bytes(0xd1, 47, 0x05), bytes(0xd0, 185), bytes(0xee, 0x00, 73, 0x00, 31), long]),
    );
    expect(message.options.map((o) => o.number)).toEqual([60, 258, 600]);
    expect(message.options[0]!.value).toEqual(Buffer.from([5]));
    expect(message.options[1]!.value.length).toBe(0);
    expect(message.options[2]!.value).toEqual(long);
  });

  it('encodes exactly the bytes it decodes, options sorted and repeated ones in order', () => {
    const encoded = encodeCoap({
      type: 'CON',
      code: Method.POST,
      messageId: 0x1234,
      token: Buffer.from([1, 2, 3, 4]),
      options: [option(Option.URI_QUERY, 'ep=a'), option(Option.URI_PATH, 'rd'), option(Option.CONTENT_FORMAT, 40), option(Option.URI_QUERY, 'lt=60')],
      payload: Buffer.from('</1/0>'),
    });
    expect(encoded.subarray(0, 8)).toEqual(bytes(0x44, 0x02, 0x12, 0x34, 1, 2, 3, 4));
    // Uri-Path 11 'rd' | Content-Format 12 (delta 1, 1 byte 40) | Uri-Query 15 (delta 3) 'ep=a' | Uri-Query (delta 0) 'lt=60'
    expect(encoded.subarray(8)).toEqual(bytes(0xb2, 'rd', 0x11, 40, 0x34, 'ep=a', 0x05, 'lt=60', 0xff, '</1/0>'));
    const back = decoded(encoded);
    expect(back.options.map((o) => [o.number, o.value.toString()])).toEqual([
      [11, 'rd'],
      [12, '('],
      [15, 'ep=a'],
      [15, 'lt=60'],
    ]);
  });

  it('round-trips 2,000 random messages', () => {
    const types = ['CON', 'NON', 'ACK', 'RST'] as const;
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    let failures = 0;
    for (let i = 0; i < 2000; i += 1) {
      const options = Array.from({ length: rand(6) }, () => ({ number: 1 + rand(2000), value: Buffer.alloc(rand(400), rand(256)) })).sort(
        (a, b) => a.number - b.number,
      );
      const message = {
        type: types[rand(4)]!,
        code: 1 + rand(255),
        messageId: rand(0x10000),
        token: Buffer.alloc(rand(9), rand(256)),
        options,
        payload: Buffer.alloc(rand(3) === 0 ? 0 : rand(600), rand(256)),
      };
      const back = decoded(encodeCoap(message));
      const same =
        back.type === message.type &&
        back.code === message.code &&
        back.messageId === message.messageId &&
        back.token.equals(message.token) &&
        back.payload.equals(message.payload) &&
        back.options.length === message.options.length &&
        back.options.every((o, k) => o.number === message.options[k]!.number && o.value.equals(message.options[k]!.value));
      if (!same) expect(back).toEqual(message);
      failures += same ? 0 : 1;
    }
    expect(failures).toBe(0);
  });

  it.each([
    ['3 bytes', bytes(0x40, 0x01, 0x00), /shorter than the 4-byte/],
    ['token length 9', bytes(0x49, 0x01, 0x00, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 9), /token length 9 is reserved/],
    ['token cut short', bytes(0x44, 0x01, 0x00, 0x01, 1, 2), /truncated: token/],
    ['option delta nibble 15', bytes(0x40, 0x01, 0x00, 0x01, 0xf1, 0x00), /nibble 15/],
    ['option length nibble 15', bytes(0x40, 0x01, 0x00, 0x01, 0xbf), /nibble 15/],
    ['1-byte extension missing', bytes(0x40, 0x01, 0x00, 0x01, 0xd0), /truncated 1-byte/],
    ['2-byte extension cut', bytes(0x40, 0x01, 0x00, 0x01, 0xe0, 0x01), /truncated 2-byte/],
    ['option value cut', bytes(0x40, 0x01, 0x00, 0x01, 0xb5, 'ab'), /wants 5 bytes, 2 left/],
    ['payload marker and nothing after', bytes(0x40, 0x01, 0x00, 0x01, 0xff), /payload marker with no payload/],
    ['Empty with a token', bytes(0x41, 0x00, 0x00, 0x01, 0x01), /Empty message/],
    ['Empty with bytes after', bytes(0x40, 0x00, 0x00, 0x01, 0xff, 0x01), /Empty message/],
    ['option number above 65535', bytes(0x40, 0x01, 0x00, 0x01, 0xe0, 0xff, 0xff, 0xe0, 0x00, 0x10), /above 65535/],
  ])('refuses %s as a message format error, keeping the header for a RST', (_, input, reason) => {
    const result = decodeCoap(input);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.failure).toBe('format-error');
    expect(result.reason).toMatch(reason);
    if (input.length >= 4) expect(result.header?.messageId).toBe(input.readUInt16BE(2));
  });

  it('tells an unknown version apart: RFC 7252 says ignore it silently', () => {
    const result = decodeCoap(bytes(0x80, 0x01, 0x00, 0x01));
    expect(result).toMatchObject({ ok: false, failure: 'unsupported-version' });
  });

  it('classifies codes: Empty, request, response, reserved classes', () => {
    expect(kindOfCode(0)).toBe('empty');
    expect(kindOfCode(Method.DELETE)).toBe('request');
    expect(kindOfCode(Code.NOT_FOUND)).toBe('response');
    expect(kindOfCode((1 << 5) | 1)).toBe('reserved');
    expect(kindOfCode((7 << 5) | 1)).toBe('reserved');
  });
});

describe('CoAP options', () => {
  it('encodes uints minimally (0 is empty) and reads them back', () => {
    expect(encodeUint(0).length).toBe(0);
    expect(encodeUint(255)).toEqual(Buffer.from([0xff]));
    expect(encodeUint(256)).toEqual(Buffer.from([1, 0]));
    expect(decodeUint(encodeUint(0xffffffff))).toBe(0xffffffff);
    expect(() => encodeUint(-1)).toThrow(RangeError);
  });

  it('finds unrecognized critical options, bad lengths and repeated non-repeatables (RFC 7252 §5.4)', () => {
    const understood = new Set([Option.URI_PATH, Option.ACCEPT]);
    expect(firstUnrecognizedCritical([option(Option.URI_PATH, 'rd'), option(Option.CONTENT_FORMAT, 40)], understood)).toBeUndefined();
    expect(firstUnrecognizedCritical([option(Option.IF_NONE_MATCH, Buffer.alloc(0))], understood)).toBe(Option.IF_NONE_MATCH);
    expect(firstUnrecognizedCritical([option(9, 'x')], understood)).toBe(9);
    expect(firstUnrecognizedCritical([option(Option.ACCEPT, Buffer.from([1, 2, 3]))], understood)).toBe(Option.ACCEPT);
    expect(firstUnrecognizedCritical([option(Option.ACCEPT, 40), option(Option.ACCEPT, 0)], understood)).toBe(Option.ACCEPT);
    // Elective options that are unknown or malformed are ignored.
    expect(firstUnrecognizedCritical([option(1000, 'x'), option(Option.CONTENT_FORMAT, Buffer.alloc(3))], understood)).toBeUndefined();
  });

  it('reads and writes block values (RFC 7959 §2.2) and refuses SZX 7', () => {
    const value = encodeBlock({ num: 5, more: true, szx: 6 });
    expect(decodeBlock(value)).toEqual({ num: 5, more: true, szx: 6 });
    expect(decodeBlock(Buffer.from([0x0f]))).toBeUndefined();
    expect(decodeBlock(Buffer.alloc(0))).toEqual({ num: 0, more: false, szx: 0 });
    expect(szxFor(1024)).toBe(6);
    expect(szxFor(100)).toBe(2);
    expect(() => encodeBlock({ num: 2 ** 20, more: false, szx: 0 })).toThrow(RangeError);
  });
});

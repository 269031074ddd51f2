import { describe, expect, it } from 'vitest';
import { CodecError, CODECS, encodePayload, encodeTlv, formatPath, parsePath, typeMismatch } from '../../../schemas/lwm2m/index.ts';
import type { CodecErrorReason, ResourceValue } from '../../../schemas/lwm2m/index.ts';
import { hex, TEST_MODEL, toHex } from './helpers.ts';

/** mulberry32: a small seeded PRNG, so every run feeds the decoders the same inputs. */
const prng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const REASONS: CodecErrorReason[] = [
  'unsupported-content-format',
  'too-large',
  'too-deep',
  'too-many-records',
  'truncated',
  'malformed',
  'invalid-path',
  'outside-requested-path',
  'model-mismatch',
  'invalid-value',
  'bad-argument',
];

const VALUES: ResourceValue[] = [
  { path: '/3/0/0', type: 'String', value: 'ACME' },
  { path: '/3/0/9', type: 'Integer', value: 87 },
  { path: '/3/0/6/0', type: 'Integer', value: 1 },
  { path: '/3/0/6/1', type: 'Integer', value: 5 },
  { path: '/3/0/13', type: 'Time', value: 1_700_000_000 },
  { path: '/3/0/22/0', type: 'Objlnk', value: { objectId: 3303, instanceId: 0 } },
];
const TYPED: ResourceValue[] = [
  { path: '/32769/0/2', type: 'Unsigned Integer', value: 2n ** 63n },
  { path: '/32769/0/3', type: 'Float', value: 0.1 },
  { path: '/32769/0/4', type: 'Boolean', value: true },
  { path: '/32769/0/5', type: 'Opaque', value: Uint8Array.of(0, 1, 2, 3) },
  { path: '/32769/0/7', type: 'Objlnk', value: { objectId: 1, instanceId: 2 } },
];

const text = (t: string) => new TextEncoder().encode(t);

/** Valid payloads to mutate, each with the path it answers, per content format. */
const CORPUS: Record<number, [string, Uint8Array][]> = {
  0: [
    ['/3/0/0', text('ACME')],
    ['/3/0/9', text('87')],
    ['/3303/0/5700', text('-1.5e3')],
    ['/32769/0/4', text('1')],
    ['/32769/0/7', text('3303:0')],
    ['/32769/0/5', text('AQID')],
  ],
  42: [
    ['/32769/0/5', Uint8Array.of(1, 2, 3)],
    ['/3/0/99', new Uint8Array(0)],
    ['/3/0/0', Uint8Array.of(1)],
  ],
  60: [
    ['/3/0/0', hex('6441434d45')],
    ['/3/0/9', hex('1b4000000000000000')],
    ['/3303/0/5700', hex('fb3ff199999999999a')],
    ['/32769/0/6', hex('c11a514b67b0')],
    ['/32769/0/7', hex('63333a30')],
    ['/32769/0/5', hex('5f4201024103ff')],
  ],
  110: [
    ['/', encodePayload(110, VALUES)],
    ['/32769/0', encodePayload(110, TYPED.slice(1))],
    ['/3303/0/5700', text('[{"bn":"/3303/0/5700","bt":1700000000,"v":1},{"t":-5,"v":2}]')],
  ],
  112: [
    ['/3', encodePayload(112, VALUES)],
    ['/32769/0', encodePayload(112, TYPED.slice(1))],
  ],
  11542: [
    ['/3', encodePayload(11542, VALUES, { path: '/3' })],
    ['/3/0', encodePayload(11542, VALUES, { path: '/3/0' })],
    ['/32769/0', encodePayload(11542, TYPED)],
    ['/3/0/6', hex('86 06 41 00 01 41 01 05')],
    ['/2', hex('08 02 12 C1 00 03 C1 01 00 87 02 41 7F 07 61 01 36 01 C1 03 7F')],
  ],
  11544: [
    ['/', encodePayload(11544, VALUES)],
    ['/32769', encodePayload(11544, TYPED)],
    ['/3/0', hex('a2 82 03 00 a2 00 64 41434d45 09 1864 83 03 00 06 a2 00 01 01 05')],
  ],
};

// Bytes that change how TLV and CBOR are read: every TLV kind and length field, CBOR heads with
// long arguments, indefinite lengths, breaks, tags, floats and simple values.
const INTERESTING = [0x00, 0x01, 0x07, 0x08, 0x10, 0x18, 0x19, 0x1a, 0x1b, 0x1f, 0x20, 0x38, 0x41, 0x5f, 0x61, 0x7f, 0x80, 0x86, 0x88, 0x9f, 0xa1, 0xbf, 0xc1, 0xc8, 0xd0, 0xd8, 0xe8, 0xf6, 0xf9, 0xfb, 0xff];

const pick = <T>(rand: () => number, items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;

const mutate = (input: Uint8Array, rand: () => number, maxEdits = 3): Uint8Array => {
  const bytes = [...input];
  const at = () => Math.floor(rand() * (bytes.length + 1));
  for (let edits = 1 + Math.floor(rand() * maxEdits); edits > 0; edits--) {
    switch (Math.floor(rand() * 6)) {
      case 0:
        if (bytes.length > 0) bytes[Math.min(at(), bytes.length - 1)]! ^= 1 << Math.floor(rand() * 8);
        break;
      case 1:
        if (bytes.length > 0) bytes[Math.min(at(), bytes.length - 1)] = pick(rand, INTERESTING);
        break;
      case 2:
        bytes.splice(at(), 0, Math.floor(rand() * 256));
        break;
      case 3:
        bytes.splice(at(), 1 + Math.floor(rand() * 4));
        break;
      case 4:
        bytes.length = at();
        break;
      default: {
        const from = at();
        bytes.splice(at(), 0, ...bytes.slice(from, from + 1 + Math.floor(rand() * 8)));
      }
    }
  }
  return new Uint8Array(bytes);
};

const random = (rand: () => number): Uint8Array => {
  const bytes = new Uint8Array(Math.floor(rand() * 40));
  for (let i = 0; i < bytes.length; i++) bytes[i] = rand() < 0.4 ? pick(rand, INTERESTING) : Math.floor(rand() * 256);
  return bytes;
};

/** A decoded value must be well-formed: a canonical value path and a value of its own type. */
const wellFormed = (v: ResourceValue): boolean => {
  try {
    const ids = parsePath(v.path, { levels: ['resource', 'resource-instance'] });
    return formatPath(ids) === v.path && typeMismatch(v.type, v.value) === undefined && (v.time === undefined || Number.isFinite(v.time));
  } catch {
    return false;
  }
};

describe('decoders on hostile input', () => {
  it('answer 8,400 random and mutated payloads with well-formed values or a CodecError, nothing else', () => {
    const rand = prng(11542);
    const strangers: string[] = [];
    const tally = new Map<number, { decoded: number; refused: number; reasons: Set<string> }>();
    for (let i = 0; i < 8400; i++) {
      const contentFormat = [...CODECS.keys()][i % CODECS.size]!;
      const cases = CORPUS[contentFormat]!;
      const [ownPath, seed] = pick(rand, cases);
      const input = rand() < 0.25 ? random(rand) : mutate(seed, rand, rand() < 0.5 ? 1 : 3);
      // Mostly the path the seed answers; sometimes another, to reach the path checks.
      const path = rand() < 0.8 ? ownPath : pick(rand, cases)[0];
      const counts = tally.get(contentFormat) ?? { decoded: 0, refused: 0, reasons: new Set<string>() };
      tally.set(contentFormat, counts);
      try {
        const values = CODECS.get(contentFormat)!.decode(input, path, TEST_MODEL, { nowSeconds: 1_700_000_000 });
        const bad = values.filter((v) => !wellFormed(v));
        if (!Array.isArray(values) || bad.length > 0) strangers.push(`${contentFormat} ${path} ${toHex(input)}: returned ${String(bad.map((v) => v.path))}`);
        counts.decoded++;
      } catch (e) {
        if (e instanceof CodecError && REASONS.includes(e.reason)) {
          counts.refused++;
          counts.reasons.add(e.reason);
        } else {
          strangers.push(`${contentFormat} ${path} ${toHex(input)}: ${String(e)}`);
        }
      }
    }
    expect(strangers).toEqual([]);
    // Both sides must be exercised for every codec, or this test proves little.
    for (const [contentFormat, counts] of tally) {
      expect([contentFormat, counts.decoded >= 20, counts.refused >= 300]).toEqual([contentFormat, true, true]);
    }
    const reasons = new Set([...tally.values()].flatMap((c) => [...c.reasons]));
    expect([...reasons]).toEqual(
      expect.arrayContaining(['truncated', 'malformed', 'invalid-path', 'outside-requested-path', 'model-mismatch', 'invalid-value']) as unknown,
    );
  }, 60_000);

  it('re-encode whatever TLV and LwM2M CBOR decode, and decode it again to the same values', () => {
    const rand = prng(11544);
    let checked = 0;
    for (let i = 0; i < 3000; i++) {
      const contentFormat = i % 2 === 0 ? 11542 : 11544;
      const [path, seed] = pick(rand, CORPUS[contentFormat]!);
      let values: ResourceValue[];
      try {
        values = CODECS.get(contentFormat)!.decode(mutate(seed, rand, 1), path, TEST_MODEL);
      } catch {
        continue;
      }
      if (values.length === 0) continue;
      const again = contentFormat === 11542 ? encodeTlv(values, { path }) : encodePayload(contentFormat, values);
      expect(CODECS.get(contentFormat)!.decode(again, path, TEST_MODEL)).toEqual(values);
      checked++;
    }
    expect(checked).toBeGreaterThan(300);
  });

  it('refuse lying lengths at once, whatever they claim', () => {
    const started = performance.now();
    const attempts: [number, Uint8Array][] = [
      [11542, hex('d8 00 ff ff ff 00')], // a 16 MB TLV value in 6 bytes
      [60, hex('9b 00 00 00 01 00 00 00 00 00')], // an array of 2^32 items
      [11544, hex('bb 7f ff ff ff ff ff ff ff')], // a map of 2^63 pairs
      [60, new Uint8Array(65_536).fill(0x81)], // 64 KiB of nested arrays
      [11544, new Uint8Array(65_536).fill(0xbf)], // 64 KiB of nested indefinite maps
      [112, new Uint8Array(65_536).fill(0x81)],
      [110, new TextEncoder().encode('['.repeat(65_536))],
      [11542, new Uint8Array(65_536).fill(0x08)], // object instances of length 8 inside each other
    ];
    for (const [contentFormat, input] of attempts) {
      expect(() => CODECS.get(contentFormat)!.decode(input, contentFormat === 11542 ? '/3' : '/', TEST_MODEL)).toThrow(CodecError);
    }
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

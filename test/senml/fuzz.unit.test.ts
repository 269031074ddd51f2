import { describe, expect, it } from 'vitest';
import { decodeSenmlCbor, decodeSenmlJson, encodeSenmlCbor, resolve, SenmlError } from '../../schemas/senml/index.ts';
import * as v from './vectors.ts';

/** mulberry32: a small seeded PRNG, so every run feeds the decoder the same 5,000 inputs. */
const prng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

// Bytes that change how CBOR is read: heads with long arguments, indefinite lengths, breaks,
// tags, floats, simple values.
const INTERESTING = [0x00, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1f, 0x3b, 0x5b, 0x5f, 0x7b, 0x7f, 0x80, 0x9b, 0x9f, 0xa0, 0xbb, 0xbf, 0xc2, 0xc4, 0xd8, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xff];

const seeds: Uint8Array[] = [
  v.hex(v.multipleTimedCborHex),
  encodeSenmlCbor(decodeSenmlJson(v.multipleMeasurements)),
  encodeSenmlCbor(decodeSenmlJson(v.multipleTypes)),
  encodeSenmlCbor(decodeSenmlJson(v.lwm2mTemperature, { profile: 'lwm2m' }), { profile: 'lwm2m' }),
  v.hex('81 a3 00 61 61 02 c4 82 21 19 69eb 05 f9 3e00'),
  v.hex('81 bf 00 61 61 02 01 63 666f6f 82 01 02 ff'),
];

const mutate = (input: Uint8Array, rand: () => number): Uint8Array => {
  const bytes = [...input];
  const edits = 1 + Math.floor(rand() * 2);
  const at = () => Math.floor(rand() * (bytes.length + 1));
  for (let i = 0; i < edits; i++) {
    switch (Math.floor(rand() * 6)) {
      case 0: // flip a bit
        if (bytes.length > 0) bytes[Math.min(at(), bytes.length - 1)]! ^= 1 << Math.floor(rand() * 8);
        break;
      case 1: // overwrite with an interesting byte
        if (bytes.length > 0) bytes[Math.min(at(), bytes.length - 1)] = INTERESTING[Math.floor(rand() * INTERESTING.length)]!;
        break;
      case 2: // insert
        bytes.splice(at(), 0, Math.floor(rand() * 256));
        break;
      case 3: // delete a run
        bytes.splice(at(), 1 + Math.floor(rand() * 4));
        break;
      case 4: // truncate
        bytes.length = at();
        break;
      default: {
        // duplicate a slice somewhere else
        const from = at();
        bytes.splice(at(), 0, ...bytes.slice(from, from + 1 + Math.floor(rand() * 8)));
      }
    }
  }
  return new Uint8Array(bytes);
};

const random = (rand: () => number): Uint8Array => {
  const length = Math.floor(rand() * 48);
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = rand() < 0.3 ? INTERESTING[Math.floor(rand() * INTERESTING.length)]! : Math.floor(rand() * 256);
  // Half of them start as an array of maps, so the fuzzing reaches past the first byte.
  if (length > 2 && rand() < 0.5) {
    bytes[0] = 0x81 + Math.floor(rand() * 3);
    bytes[1] = 0xa1 + Math.floor(rand() * 3);
  }
  return bytes;
};

describe('decodeSenmlCbor on hostile input', () => {
  it('answers 5,000 random and mutated payloads with records or a SenmlError, nothing else', () => {
    const rand = prng(8428);
    const outcomes = { decoded: 0, resolved: 0, refused: 0 };
    const codes = new Set<string>();
    const strangers: string[] = [];
    for (let i = 0; i < 5000; i++) {
      const input = i % 2 === 0 ? random(rand) : mutate(seeds[i % seeds.length]!, rand);
      const profile = i % 3 === 0 ? 'lwm2m' : 'rfc8428';
      try {
        const pack = decodeSenmlCbor(input, { profile });
        outcomes.decoded++;
        resolve(pack, 1_700_000_000, { profile });
        outcomes.resolved++;
      } catch (e) {
        if (e instanceof SenmlError) {
          outcomes.refused++;
          codes.add(e.code);
        } else {
          strangers.push(`${v.toHex(input)}: ${String(e)}`);
        }
      }
    }
    expect(strangers).toEqual([]);
    // The corpus must exercise both sides, or this test proves nothing.
    expect(outcomes.decoded).toBeGreaterThan(200);
    expect(outcomes.resolved).toBeGreaterThan(150);
    expect(outcomes.refused).toBeGreaterThan(2000);
    expect([...codes]).toEqual(expect.arrayContaining(['not-cbor', 'not-an-array', 'not-a-record', 'bad-type', 'no-value', 'invalid-name']));
  }, 60_000);

  it('refuses a deeply nested payload quickly, at any size up to the byte limit', () => {
    const deep = new Uint8Array(65_536).fill(0x81);
    const started = performance.now();
    expect(() => decodeSenmlCbor(deep)).toThrow(SenmlError);
    expect(() => decodeSenmlJson('['.repeat(65_536))).toThrow(SenmlError);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  decodeSenmlCbor,
  decodeSenmlJson,
  encodeSenmlCbor,
  isValidSenmlName,
  isUnderLwm2mPath,
  parseLwm2mName,
  resolve,
  resolvePaths,
  SenmlError,
  toLwm2mPath,
} from '../../schemas/senml/index.ts';
import type { ResolvedRecord, SenmlErrorCode, SenmlOptions, SenmlPack, SenmlRecord } from '../../schemas/senml/index.ts';

/*
 * Third-party SenML vectors (RFC 8428 examples, library test suites, Wakaama's LwM2M tests, the
 * RFC 7049 CBOR examples) are read in place from ../shared and never copied into the project.
 * Every vector must meet the outcome its file gives, except the ones in DEVIATIONS: there
 * schemas/senml/README.md decides differently, and the test asserts what we do instead.
 */
const dir = path.resolve(import.meta.dirname, '../../../shared/conformance/senml');
const load = <T>(file: string): T => JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as T;

type Json = Record<string, unknown>;
type Outcome = { mismatches: string[] };
const fromHex = (hex: string) => new Uint8Array(Buffer.from(hex.replace(/\s+/g, ''), 'hex'));
const toHex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** Runs `step`; a SenmlError becomes a mismatch line, anything else is a bug and fails the test. */
const attempt = <T>(what: string, mismatches: string[], step: () => T): T | undefined => {
  try {
    return step();
  } catch (e) {
    if (!(e instanceof SenmlError)) throw e;
    mismatches.push(`${what}: ${e.code}: ${e.message}`);
    return undefined;
  }
};

const refusal = (step: () => unknown): SenmlError | undefined => {
  try {
    step();
    return undefined;
  } catch (e) {
    if (e instanceof SenmlError) return e;
    throw e;
  }
};

const expectRefused = (step: () => unknown, code: SenmlErrorCode, record?: number): void => {
  const error = refusal(step);
  expect(error?.code, error?.message ?? 'it was accepted').toBe(code);
  if (record !== undefined) expect(error?.record).toBe(record);
};

/** Our resolved record in the JSON shape the vector files use. */
const asJson = (r: ResolvedRecord): Json => {
  const out: Json = { n: r.name, t: r.time };
  if (r.unit !== undefined) out.u = r.unit;
  const { value } = r;
  if (value.kind === 'number') out.v = value.v;
  if (value.kind === 'string') out.vs = value.v;
  if (value.kind === 'boolean') out.vb = value.v;
  if (value.kind === 'data') out.vd_hex = toHex(value.v);
  if (value.kind === 'objlnk') out.vlo = `${value.v.objectId}:${value.v.instanceId}`;
  if (r.sum !== undefined) out.s = r.sum;
  if (r.updateTime !== undefined) out.ut = r.updateTime;
  if (r.version !== undefined) out.bver = r.version;
  return out;
};

/** vd in the files is base64 text (padded or not) or vd_hex; compare as hex. */
const expectedVdHex = (e: Json): string | undefined =>
  typeof e.vd_hex === 'string' ? e.vd_hex : typeof e.vd === 'string' ? toHex(Buffer.from(e.vd, 'base64')) : undefined;

/**
 * Compares our resolved records with a file's. Time only where the file gives one (and within
 * 1 microsecond: bt + t is a double sum); `bver` only where the file gives it (the RFC spec
 * repository's generator drops it, although RFC 8428 section 4.6 keeps it for versions other than 10).
 */
const compareResolved = (ours: ResolvedRecord[], expected: Json[], options: { time: boolean }): string[] => {
  const out: string[] = [];
  if (ours.length !== expected.length) return [`${ours.length} records, expected ${expected.length}`];
  ours.forEach((record, i) => {
    const got = asJson(record);
    const want = expected[i]!;
    const differ = (what: string, a: unknown, b: unknown) => out.push(`record ${i} ${what}: got ${String(a)}, expected ${String(b)}`);
    if (got.n !== want.n) differ('name', got.n, want.n);
    if (got.u !== want.u) differ('unit', got.u, want.u);
    if (options.time && 't' in want && Math.abs((got.t as number) - (want.t as number)) > 1e-6) differ('time', got.t, want.t);
    for (const key of ['v', 'vs', 'vb', 'vlo', 's', 'ut'] as const) if (!Object.is(got[key], want[key])) differ(key, got[key], want[key]);
    if (got.vd_hex !== expectedVdHex(want)) differ('vd', got.vd_hex, expectedVdHex(want));
    if ('bver' in want && (got.bver ?? 10) !== want.bver) differ('bver', got.bver, want.bver);
  });
  return out;
};

/** Compares our decoded (not yet resolved) records with a file's, label by label. */
const compareRecords = (ours: SenmlPack, expected: Json[]): string[] => {
  const out: string[] = [];
  if (ours.length !== expected.length) return [`${ours.length} records, expected ${expected.length}`];
  ours.forEach((record: SenmlRecord, i) => {
    const want = expected[i]!;
    const labels = new Set([...Object.keys(record), ...Object.keys(want)].filter((k) => k !== 'vd_hex'));
    for (const label of labels) {
      if (label === 'vd') {
        const got = record.vd === undefined ? undefined : toHex(record.vd);
        if (got !== expectedVdHex(want)) out.push(`record ${i} vd: got ${got}, expected ${expectedVdHex(want)}`);
      } else if (!Object.is(record[label as keyof SenmlRecord], want[label])) {
        out.push(`record ${i} ${label}: got ${String(record[label as keyof SenmlRecord])}, expected ${String(want[label])}`);
      }
    }
    if (want.vd_hex !== undefined && record.vd === undefined) out.push(`record ${i} has no vd`);
  });
  return out;
};

// ---------------------------------------------------------------------------------------------
// Documented deviations: vectors whose file outcome we do not follow (schemas/senml/README.md,
// "Where sources disagree"). Each says why and asserts what we do instead.

interface Deviation {
  readonly reason: string;
  readonly ours: () => void;
}

const LIB_NOW = 1_700_000_000;
const WAKAAMA_NOW = 1_700_000_000;
const lwm2m: SenmlOptions = { profile: 'lwm2m' };

const DEVIATIONS: Record<string, Deviation> = {
  'library-vectors.json silkeh/Numeric types': {
    reason: 'its records have no name at all; RFC 8428 4.5.1 requires a concatenated name starting with a letter or digit (README: names)',
    ours: () => {
      const pack = decodeSenmlCbor(fromHex(libraryVector('silkeh/Numeric types').senml_cbor_hex as string));
      // Every CBOR number encoding still decodes to the value the file gives (as a double).
      expect(pack.map((r) => r.v)).toEqual((libraryVector('silkeh/Numeric types').expected_values as (number | string)[]).map(Number));
      expectRefused(() => resolve(pack, LIB_NOW), 'invalid-name', 0);
    },
  },
  'library-vectors.json riot/senml_cbor encode': {
    reason: 'base name "CBOR test" has a space, which RFC 8428 4.5.1 does not allow (README: names)',
    ours: () => {
      const vector = libraryVector('riot/senml_cbor encode');
      const pack = decodeSenmlCbor(fromHex(vector.senml_cbor_hex as string));
      expect(compareRecords(pack, vector.expected_records as Json[])).toEqual([]);
      expectRefused(() => resolve(pack, LIB_NOW), 'invalid-name', 0);
    },
  },
  'library-vectors.json farshidtz/reference pack CBOR': {
    reason: 'vd is a CBOR text string; RFC 8428 section 6 requires a byte string, and text is ambiguous (base64 or raw?) (README: vd in CBOR)',
    ours: () => expectRefused(() => decodeSenmlCbor(fromHex(libraryVector('farshidtz/reference pack CBOR').senml_cbor_hex as string)), 'bad-type', 2),
  },
  'library-vectors.json farshidtz/validate: no version then default version 10': {
    reason: 'both records are version 10 (the first by default), which RFC 8428 4.4 asks for; farshidtz compares presence, not value (README: versions)',
    ours: () => expect(resolve(decodeSenmlJson('[{"n":"dev","v":1},{"n":"dev","v":1,"bver":10}]'), LIB_NOW)).toHaveLength(2),
  },
  'wakaama-lwm2m-senml.json senml_cbor_test_2/2#2': {
    reason: 'Wakaama keeps only the last record per path and drops time; we keep every measurement with its time (README: repeated names)',
    ours: () => wakaamaKeepsAll(decodeSenmlCbor(fromHex(wakaamaVector('senml_cbor_test_2/2#2').input_hex as string), lwm2m)),
  },
  'wakaama-lwm2m-senml.json senml_json_test_2/2#2': {
    reason: 'Wakaama keeps only the last record per path and drops time; we keep every measurement with its time (README: repeated names)',
    ours: () => wakaamaKeepsAll(decodeSenmlJson(wakaamaVector('senml_json_test_2/2#2').input_json as string, lwm2m)),
  },
  'wakaama-lwm2m-senml.json senml_cbor_test_31/31': {
    reason: 'an indefinite-length record map is valid CBOR and RFC 8428 does not forbid it; only the top-level array must be definite (README: indefinite lengths)',
    ours: () => expect(decodeSenmlCbor(fromHex(wakaamaVector('senml_cbor_test_31/31').input_hex as string), lwm2m)).toEqual([{ bn: '/34/0/2', vs: '' }]),
  },
  ...Object.fromEntries(
    [
      ['c249010000000000000000', 'bad-type', 'a bignum (tag 2): RFC 8428 section 6 allows integers, floats and decimal fractions only (README: numbers)'],
      ['c349010000000000000000', 'bad-type', 'a negative bignum (tag 3): RFC 8428 section 6 allows integers, floats and decimal fractions only (README: numbers)'],
      ...['f97c00', 'f97e00', 'f9fc00', 'fa7f800000', 'fa7fc00000', 'faff800000', 'fb7ff0000000000000', 'fb7ff8000000000000', 'fbfff0000000000000'].map((hex) => [
        hex,
        'bad-type',
        'a non-finite float: a SenML number must equal a JSON number, and JSON has no NaN or Infinity (README: numbers)',
      ]),
      ['5f42010243030405ff', 'not-cbor', 'an indefinite-length byte string: RFC 8428 section 6 requires definite-length strings (README: indefinite lengths)'],
      ['7f657374726561646d696e67ff', 'not-cbor', 'an indefinite-length text string: RFC 8428 section 6 requires definite-length strings (README: indefinite lengths)'],
    ].map(([hex, code, reason]) => [
      `cbor-rfc7049-appendix-a.json ${hex}`,
      { reason: reason!, ours: () => expectRefused(() => decodeSenmlCbor(asSenmlValue(appendixVector(hex!)).bytes), code as SenmlErrorCode, 0) },
    ]),
  ),
};

// ---------------------------------------------------------------------------------------------
// The files.

interface RfcExample extends Json {
  rfc8428_section: string;
  title: string;
  senml_json: Json[];
  json_text_as_printed_in_rfc: string;
  resolved?: Json[];
  senml_cbor_hex?: string;
}
const rfc = load<{ examples: RfcExample[]; cbor_labels: Record<string, number> }>('rfc8428-examples.json');

interface LibraryVector extends Json {
  id: string;
  valid?: boolean;
  kind?: string;
}
const library = load<{ vectors: LibraryVector[] }>('library-vectors.json');
const libraryVector = (id: string) => library.vectors.find((v) => v.id === id)!;

interface WakaamaVector extends Json {
  id: string;
  uri: string | null;
  valid: boolean;
  input_hex?: string;
  input_json?: string;
  expected_hex?: string;
  expected_json?: string;
}
const wakaamaFile = load<{ vectors: WakaamaVector[] }>('wakaama-lwm2m-senml.json');
// Two vectors share an id (the same input, checked two ways): the second one gets "#2".
const wakaama = wakaamaFile.vectors.map((v, i, all) => ({ ...v, id: all.slice(0, i).some((o) => o.id === v.id) ? `${v.id}#2` : v.id }));
const wakaamaVector = (id: string) => wakaama.find((v) => v.id === id)!;

interface AppendixVector {
  hex: string;
  decoded?: unknown;
  diagnostic?: string;
}
const appendix = load<AppendixVector[]>('cbor-rfc7049-appendix-a.json');
const appendixVector = (hex: string) => appendix.find((v) => v.hex === hex)!;

/** RFC 8428 examples: decode every form given, resolve with the generator's "now" where it had one. */
const RFC_NOW = 1498780179;
const runRfcExample = (example: RfcExample): Outcome => {
  const mismatches: string[] = [];
  const inputs: [string, () => SenmlPack][] = [['senml_json', () => decodeSenmlJson(JSON.stringify(example.senml_json))]];
  // The SensML example is printed truncated with "..." and is not JSON; the file says so.
  if (!example.json_text_as_printed_in_rfc.includes('...')) inputs.push(['text as printed', () => decodeSenmlJson(example.json_text_as_printed_in_rfc)]);
  if (example.senml_cbor_hex !== undefined) inputs.push(['CBOR', () => decodeSenmlCbor(fromHex(example.senml_cbor_hex!))]);
  const results = inputs.map(([what, decode]) => [what, attempt(what, mismatches, () => resolve(decode(), RFC_NOW))] as const);
  for (const [what, resolved] of results) {
    if (resolved === undefined) continue;
    if (example.resolved !== undefined) mismatches.push(...compareResolved(resolved, example.resolved, { time: true }).map((m) => `${what}: ${m}`));
    // Every form of one example means the same records.
    if (JSON.stringify(resolved.map(asJson)) !== JSON.stringify(results[0]![1]?.map(asJson))) mismatches.push(`${what} resolves differently from senml_json`);
  }
  return { mismatches };
};

/** Library vectors: the file says valid or not, and gives records, values or resolved records. */
const runLibraryVector = (vector: LibraryVector): Outcome => {
  const mismatches: string[] = [];
  if (vector.kind === 'name-validation') {
    for (const name of vector.valid_names as string[]) if (!isValidSenmlName(name)) mismatches.push(`refused valid name ${JSON.stringify(name)}`);
    for (const name of vector.invalid_names as string[]) if (isValidSenmlName(name)) mismatches.push(`accepted invalid name ${JSON.stringify(name)}`);
    return { mismatches };
  }
  if (vector.input_records !== undefined) {
    // cisco's Normalize leaves times below 2**28 relative: that is resolving with now = 0.
    const expected = JSON.parse(vector.expected_normalized_json_text as string) as Json[];
    const resolved = attempt('resolve', mismatches, () => resolve(decodeSenmlJson(JSON.stringify(vector.input_records)), 0));
    if (resolved !== undefined) mismatches.push(...compareResolved(resolved, expected, { time: true }));
    return { mismatches };
  }
  const inputs: [string, () => SenmlPack][] = [];
  if (typeof vector.senml_cbor_hex === 'string') inputs.push(['CBOR', () => decodeSenmlCbor(fromHex(vector.senml_cbor_hex as string))]);
  if (typeof vector.senml_json_text === 'string') inputs.push(['JSON text', () => decodeSenmlJson(vector.senml_json_text as string)]);
  if (vector.senml_json !== undefined) inputs.push(['JSON', () => decodeSenmlJson(JSON.stringify(vector.senml_json))]);
  for (const [what, decode] of inputs) {
    if (vector.valid === false) {
      if (refusal(() => resolve(decode(), LIB_NOW)) === undefined) mismatches.push(`${what}: accepted, the file says it is invalid`);
      continue;
    }
    const pack = attempt(`${what} decode`, mismatches, decode);
    if (pack === undefined) continue;
    if (Array.isArray(vector.expected_records)) mismatches.push(...compareRecords(pack, vector.expected_records as Json[]).map((m) => `${what}: ${m}`));
    if (Array.isArray(vector.expected_values)) {
      const want = (vector.expected_values as (number | string)[]).map(Number);
      if (JSON.stringify(pack.map((r) => r.v)) !== JSON.stringify(want)) mismatches.push(`${what}: values ${JSON.stringify(pack.map((r) => r.v))}`);
    }
    const resolved = attempt(`${what} resolve`, mismatches, () => resolve(pack, LIB_NOW));
    if (resolved !== undefined && Array.isArray(vector.expected_resolved)) {
      mismatches.push(...compareResolved(resolved, vector.expected_resolved as Json[], { time: true }).map((m) => `${what}: ${m}`));
    }
  }
  return { mismatches };
};

/** Wakaama keeps only the newest record per path, time dropped: we keep all three, with times. */
const wakaamaKeepsAll = (pack: SenmlPack) => {
  expect(resolve(pack, WAKAAMA_NOW, lwm2m).map((r) => [r.name, r.value.v, r.time])).toEqual([
    ['/72/1/2', 22.4, WAKAAMA_NOW + 25462634 - 5],
    ['/72/1/2', 22.9, WAKAAMA_NOW + 25462634 - 30],
    ['/72/1/2', 24.1, WAKAAMA_NOW + 25462634 - 50],
  ]);
};

const canonical = (name: string) => {
  const parts = parseLwm2mName(name);
  return parts === undefined ? name : toLwm2mPath(parts);
};

/**
 * Wakaama vectors: decode in the lwm2m profile; keep the records under the request URI, as Wakaama
 * does; compare paths (canonical) and values with Wakaama's re-encoding. Times are not compared:
 * Wakaama does not implement them (its own expectation says "TODO: This should pass once time is
 * supported"). Bodies with names only are Read-Composite requests and go through resolvePaths.
 */
const runWakaamaVector = (vector: (typeof wakaama)[number]): Outcome => {
  const mismatches: string[] = [];
  const decode = (hex?: string, json?: string) => (hex !== undefined ? decodeSenmlCbor(fromHex(hex), lwm2m) : decodeSenmlJson(json!, lwm2m));
  if (!vector.valid) {
    if (refusal(() => resolve(decode(vector.input_hex, vector.input_json), WAKAAMA_NOW, lwm2m)) === undefined) {
      mismatches.push('accepted, the file says Wakaama must reject it');
    }
    return { mismatches };
  }
  const input = attempt('decode input', mismatches, () => decode(vector.input_hex, vector.input_json));
  const expectedPack =
    vector.expected_hex !== undefined || vector.expected_json !== undefined
      ? attempt('decode expected', mismatches, () => decode(vector.expected_hex, vector.expected_json))
      : input;
  if (input === undefined || expectedPack === undefined) return { mismatches };
  const pathList = input.every((r) => r.v === undefined && r.vs === undefined && r.vb === undefined && r.vd === undefined && r.vlo === undefined && r.s === undefined);
  if (pathList) {
    const got = attempt('resolvePaths', mismatches, () => resolvePaths(input, lwm2m).map(canonical));
    const want = attempt('resolvePaths expected', mismatches, () => resolvePaths(expectedPack, lwm2m).map(canonical));
    if (got !== undefined && JSON.stringify(got) !== JSON.stringify(want)) mismatches.push(`paths ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
    return { mismatches };
  }
  const uri = vector.uri === null || vector.uri === '/' ? 'root' : parseLwm2mName(vector.uri.replace(/\/$/, ''));
  if (uri === undefined) return { mismatches: [`uri ${vector.uri} is not an LwM2M path`] };
  const view = (pack: SenmlPack) =>
    resolve(pack, WAKAAMA_NOW, lwm2m)
      .filter((r) => {
        const parts = parseLwm2mName(r.name);
        return parts !== undefined && isUnderLwm2mPath(parts, uri);
      })
      .map((r) => ({ ...r, name: canonical(r.name) }));
  const got = attempt('resolve input', mismatches, () => view(input));
  const want = attempt('resolve expected', mismatches, () => view(expectedPack));
  if (got !== undefined && want !== undefined) mismatches.push(...compareResolved(got, want.map(asJson), { time: false }));
  return { mismatches };
};

/**
 * RFC 7049 Appendix A: each item is put where a SenML value goes, [{0: "x", <label>: item}], the
 * label chosen by the item's type. Numbers, text, booleans and byte strings must decode to the
 * file's value (numbers also survive our encoder); any other item (null, undefined, simple values,
 * arrays, maps, tags other than 4) is not a SenML value (RFC 8428 section 11 CDDL:
 * value = tstr / binary-value / numeric / bool) and must be refused as bad-type.
 */
const asSenmlValue = (vector: AppendixVector) => {
  const d = vector.decoded;
  const diag = vector.diagnostic ?? '';
  const kind =
    typeof d === 'number' || ['Infinity', '-Infinity', 'NaN'].includes(diag)
      ? 'number'
      : typeof d === 'string'
        ? 'string'
        : typeof d === 'boolean'
          ? 'boolean'
          : diag.startsWith("h'") || diag.startsWith("(_ h'")
            ? 'bytes'
            : 'other';
  const label = { number: '02', string: '03', boolean: '04', bytes: '08', other: '02' }[kind];
  return { kind, bytes: fromHex(`81 a2 00 61 78 ${label} ${vector.hex}`) };
};

const runAppendixVector = (vector: AppendixVector): Outcome => {
  const mismatches: string[] = [];
  const { kind, bytes } = asSenmlValue(vector);
  if (kind === 'other') {
    const error = refusal(() => decodeSenmlCbor(bytes));
    if (error?.code !== 'bad-type') mismatches.push(`not a SenML value, expected bad-type, got ${error?.code ?? 'accepted'}`);
    return { mismatches };
  }
  const record = attempt('decode', mismatches, () => decodeSenmlCbor(bytes)[0]!);
  if (record === undefined) return { mismatches };
  if (kind === 'number') {
    if (!Object.is(record.v, vector.decoded)) mismatches.push(`v ${String(record.v)}, expected ${String(vector.decoded)}`);
    // Our encoder writes -0 as the integer 0, as JSON does (README: numbers): compare with ===.
    const again = attempt('re-encode', mismatches, () => decodeSenmlCbor(encodeSenmlCbor([{ n: 'x', v: record.v! }]))[0]!.v);
    if (again !== undefined && again !== record.v) mismatches.push(`re-encoded as ${again}`);
  }
  if (kind === 'string' && record.vs !== vector.decoded) mismatches.push(`vs ${record.vs}, expected ${String(vector.decoded)}`);
  if (kind === 'boolean' && record.vb !== vector.decoded) mismatches.push(`vb ${String(record.vb)}`);
  if (kind === 'bytes') {
    const want = [...(vector.diagnostic ?? '').matchAll(/h'([0-9a-f]*)'/g)].map((m) => m[1]).join('');
    if (record.vd === undefined || toHex(record.vd) !== want) mismatches.push(`vd ${record.vd && toHex(record.vd)}, expected ${want}`);
  }
  return { mismatches };
};

// ---------------------------------------------------------------------------------------------

interface Tally {
  total: number;
  passed: number;
  deviations: number;
  failed: number;
}
const tallies = new Map<string, Tally>();
const deviated = new Set<string>();

const check = (file: string, id: string, run: () => Outcome) => {
  const tally = tallies.get(file) ?? { total: 0, passed: 0, deviations: 0, failed: 0 };
  tallies.set(file, tally);
  tally.total++;
  return () => {
    const key = `${file} ${id}`;
    const { mismatches } = run();
    const deviation = DEVIATIONS[key];
    if (deviation === undefined) {
      if (mismatches.length > 0) tally.failed++;
      expect(mismatches).toEqual([]);
      tally.passed++;
      return;
    }
    // A listed deviation: the file's outcome must indeed not hold, and ours must.
    deviated.add(key);
    try {
      expect(mismatches, `${id} now meets the file's outcome: remove it from DEVIATIONS and the README`).not.toEqual([]);
      deviation.ours();
    } catch (e) {
      tally.failed++;
      throw e;
    }
    tally.deviations++;
  };
};

describe('SenML conformance: rfc8428-examples.json', () => {
  it('has the RFC 8428 Table 4 labels', () => {
    expect(rfc.cbor_labels).toEqual({ bver: -1, bn: -2, bt: -3, bu: -4, bv: -5, bs: -6, n: 0, u: 1, v: 2, vs: 3, vb: 4, s: 5, t: 6, ut: 7, vd: 8 });
  });
  for (const example of rfc.examples) {
    const id = `${example.rfc8428_section} ${example.title}`;
    it(id, check('rfc8428-examples.json', id, () => runRfcExample(example)));
  }
});

describe('SenML conformance: library-vectors.json', () => {
  for (const vector of library.vectors) it(vector.id, check('library-vectors.json', vector.id, () => runLibraryVector(vector)));
});

describe('SenML conformance: wakaama-lwm2m-senml.json (lwm2m profile)', () => {
  for (const vector of wakaama) it(vector.id, check('wakaama-lwm2m-senml.json', vector.id, () => runWakaamaVector(vector)));
});

describe('SenML conformance: cbor-rfc7049-appendix-a.json (each item as a SenML value)', () => {
  for (const vector of appendix) {
    it(`${vector.hex} ${vector.diagnostic ?? JSON.stringify(vector.decoded)}`, check('cbor-rfc7049-appendix-a.json', vector.hex, () => runAppendixVector(vector)));
  }
});

describe('SenML conformance: the deviation list', () => {
  it('names only vectors that exist and deviate (runs last)', () => {
    expect([...deviated].sort()).toEqual(Object.keys(DEVIATIONS).sort());
  });
});

afterAll(() => {
  const rows = [...tallies].map(([file, t]) => ({
    file,
    'passed/total': `${t.passed}/${t.total}`,
    'documented deviations': t.deviations,
    failed: t.failed,
  }));
  console.log('SenML conformance (documented deviations: schemas/senml/README.md)');
  console.table(rows);
  for (const [key, d] of Object.entries(DEVIATIONS)) console.log(`  deviation ${key}: ${d.reason}`);
});

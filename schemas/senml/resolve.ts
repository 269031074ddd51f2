import { SenmlError } from './errors.ts';
import { SENML_VERSION } from './labels.ts';
import { parseObjectLink } from './lwm2mName.ts';
import { isValidSenmlName, nameRuleText } from './names.ts';
import { profileOf } from './types.ts';
import type { ResolvedRecord, SenmlOptions, SenmlPack, SenmlProfile, SenmlRecord, SenmlValue } from './types.ts';
import { validatePack } from './validatePack.ts';

/** RFC 8428 section 4.5.3: times below 2**28 are relative to "now". */
export const RELATIVE_TIME_LIMIT = 2 ** 28;

/** The widest time a JavaScript Date holds (8.64e15 ms): anything beyond is no date at all. */
const MAX_TIME = 8.64e12;

/** Value or sum carried by the record itself; a Base Value or Base Sum in it counts (section 4.5.4). */
const hasValueField = (r: SenmlRecord): boolean =>
  r.v !== undefined || r.vs !== undefined || r.vb !== undefined || r.vd !== undefined || r.vlo !== undefined || r.bv !== undefined;
const hasSumField = (r: SenmlRecord): boolean => r.s !== undefined || r.bs !== undefined;

/**
 * A record with nothing but base fields (RFC 8428 section 5.1.7 opens a pack with `{"bn": ...}`)
 * sets the base for the records after it and is not a measurement itself.
 */
const isBaseOnly = (r: SenmlRecord): boolean =>
  r.n === undefined && r.u === undefined && r.t === undefined && r.ut === undefined && r.s === undefined &&
  r.v === undefined && r.vs === undefined && r.vb === undefined && r.vd === undefined && r.vlo === undefined &&
  (r.bn !== undefined || r.bt !== undefined || r.bu !== undefined || r.bv !== undefined || r.bs !== undefined || r.bver !== undefined);

/** Base fields in force, carried from record to record until a record sets them again. */
interface Base {
  bn: string;
  bt: number;
  bu: string | undefined;
  bv: number | undefined;
  bs: number | undefined;
  version: number;
}

const advance = (base: Base, r: SenmlRecord): void => {
  if (r.bn !== undefined) base.bn = r.bn;
  if (r.bt !== undefined) base.bt = r.bt;
  if (r.bu !== undefined) base.bu = r.bu;
  if (r.bv !== undefined) base.bv = r.bv;
  if (r.bs !== undefined) base.bs = r.bs;
  if (r.bver !== undefined) base.version = r.bver;
};

const nameOf = (base: Base, r: SenmlRecord, profile: SenmlProfile, index: number): string => {
  const name = base.bn + (r.n ?? '');
  if (name === '') {
    throw new SenmlError('invalid-name', 'has no name: give it "n", or a base name "bn" in it or an earlier record (RFC 8428 section 4.2)', index);
  }
  if (!isValidSenmlName(name, profile)) {
    throw new SenmlError('invalid-name', `name "${name}" (base name + name) must be ${nameRuleText(profile)}`, index);
  }
  return name;
};

const valueOf = (base: Base, r: SenmlRecord, sum: number | undefined): SenmlValue => {
  if (r.vs !== undefined) return { kind: 'string', v: r.vs };
  if (r.vb !== undefined) return { kind: 'boolean', v: r.vb };
  if (r.vd !== undefined) return { kind: 'data', v: r.vd };
  if (r.vlo !== undefined) return { kind: 'objlnk', v: parseObjectLink(r.vlo)! };
  // RFC 8428 section 4.5.4: a missing Value or Base Value counts as zero, and the two add up.
  if (r.v !== undefined || r.bv !== undefined) return { kind: 'number', v: (r.v ?? 0) + (base.bv ?? 0) };
  return { kind: 'sum', v: sum! };
};

const missingValue = (r: SenmlRecord, index: number): never => {
  const hint = r.n !== undefined ? ' (an LwM2M Read-Composite or Observe-Composite body lists paths without values: read it with resolvePaths)' : '';
  throw new SenmlError('no-value', `has no value (v, vs, vb, vd) and no sum (s): exactly one value is required unless a sum is given (RFC 8428 section 4.2)${hint}`, index);
};

/**
 * Applies the base fields and returns one absolute record per measurement (RFC 8428 section 4.6):
 * names concatenated and checked, times made absolute (those below 2**28 are relative to
 * `nowSeconds`, the receive time), base value and base sum added, base unit applied. Records keep
 * their pack order. Records with only base fields produce nothing. Throws only SenmlError.
 */
export const resolve = (pack: SenmlPack, nowSeconds: number, options?: SenmlOptions): ResolvedRecord[] => {
  if (typeof nowSeconds !== 'number' || !Number.isFinite(nowSeconds)) {
    throw new SenmlError('bad-argument', `nowSeconds must be a finite number of seconds since the epoch, not ${String(nowSeconds)}`);
  }
  const records = validatePack(pack, options);
  const profile = profileOf(options);
  const base: Base = { bn: '', bt: 0, bu: undefined, bv: undefined, bs: undefined, version: SENML_VERSION };
  const out: ResolvedRecord[] = [];
  records.forEach((r, index) => {
    advance(base, r);
    if (isBaseOnly(r)) return;
    if (!hasValueField(r) && !hasSumField(r)) missingValue(r, index);
    const name = nameOf(base, r, profile, index);
    let time = base.bt + (r.t ?? 0);
    if (time < RELATIVE_TIME_LIMIT) time += nowSeconds;
    if (!(Math.abs(time) <= MAX_TIME)) {
      throw new SenmlError('bad-type', `base time + time is ${time} s, beyond any date (at most ${MAX_TIME} s from the epoch either way)`, index);
    }
    const sum = base.bs !== undefined || r.s !== undefined ? (base.bs ?? 0) + (r.s ?? 0) : undefined;
    const value = valueOf(base, r, sum);
    if ((value.kind === 'number' || value.kind === 'sum') && !Number.isFinite(value.v)) {
      throw new SenmlError('bad-type', 'base value + value overflows a double: send the value without a base value', index);
    }
    if (sum !== undefined && !Number.isFinite(sum)) throw new SenmlError('bad-type', 'base sum + sum overflows a double', index);
    const unit = r.u ?? base.bu;
    out.push({
      name,
      time,
      ...(unit !== undefined && { unit }),
      value,
      ...(sum !== undefined && { sum }),
      ...(r.ut !== undefined && { updateTime: r.ut }),
      ...(base.version !== SENML_VERSION && { version: base.version }),
    });
  });
  return out;
};

/**
 * Reads a pack that lists names without values: LwM2M Read-Composite and Observe-Composite request
 * bodies (LwM2M Core 1.1, 7.4.4/7.4.5), such as [{"n":"/3/0/0"},{"n":"/1/0/1"}]. Every record
 * names one path (base name + name); a record that carries a value or sum is refused.
 */
export const resolvePaths = (pack: SenmlPack, options?: SenmlOptions): string[] => {
  const records = validatePack(pack, options);
  const profile = profileOf(options);
  const base: Base = { bn: '', bt: 0, bu: undefined, bv: undefined, bs: undefined, version: SENML_VERSION };
  return records.map((r, index) => {
    advance(base, r);
    if (hasValueField(r) || hasSumField(r)) {
      throw new SenmlError('unexpected-value', 'carries a value, but a path list (Read-Composite, Observe-Composite) has names only: use resolve for values', index);
    }
    return nameOf(base, r, profile, index);
  });
};

/** The name checks of `resolve` without needing values: what an encoder can promise about a pack. */
export const checkNames = (records: SenmlPack, profile: SenmlProfile): void => {
  const base: Base = { bn: '', bt: 0, bu: undefined, bv: undefined, bs: undefined, version: SENML_VERSION };
  records.forEach((r, index) => {
    advance(base, r);
    if (!isBaseOnly(r)) nameOf(base, r, profile, index);
  });
};

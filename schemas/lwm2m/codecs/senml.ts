import { decodeSenmlCbor, decodeSenmlJson, encodeSenmlCbor, encodeSenmlJson, parseLwm2mName, resolve, SenmlError } from '../../senml/index.ts';
import type { ResolvedRecord, SenmlOptions, SenmlPack, SenmlRecord, SenmlValue } from '../../senml/index.ts';
import { CodecError } from '../errors.ts';
import type { CodecErrorReason } from '../errors.ts';
import { limitsOf } from '../limits.ts';
import type { CodecLimits, DecodeOptions, EncodeOptions } from '../limits.ts';
import { DEFAULT_OBJECT_MODEL } from '../objects/model.ts';
import type { ObjectModel } from '../objects/model.ts';
import type { ValueType } from '../objects/types.ts';
import { checkPathIds, formatPath } from '../path.ts';
import { fromPathParts } from '../pathParts.ts';
import { formatObjectLink, MAX_INT64, MAX_UINT64, MIN_INT64, normalizeInteger } from '../values.ts';
import type { ResourceValue, TypedValue } from '../values.ts';
import { fromUtf8, toUtf8 } from './bytes.ts';
import { checkEncodedSize, checkPayloadBytes, checkUnder, checkValuesToEncode, guarded, requestedPath, resourceAt } from './common.ts';

type Flavour = { contentFormat: 110; name: 'SenML JSON' } | { contentFormat: 112; name: 'SenML CBOR' };
const JSON_FLAVOUR: Flavour = { contentFormat: 110, name: 'SenML JSON' };
const CBOR_FLAVOUR: Flavour = { contentFormat: 112, name: 'SenML CBOR' };

/** RFC 8428 4.5.3: times below 2**28 are relative to "now". */
const RELATIVE_TIME_LIMIT = 2 ** 28;

const senmlOptions = (limits: CodecLimits): SenmlOptions => ({
  profile: 'lwm2m',
  limits: { maxBytes: limits.maxBytes, maxRecords: limits.maxRecords, maxDepth: limits.maxDepth },
});

/** schemas/senml says `too-large` for all three limits; its message tells which. */
const reasonOf = (e: SenmlError): CodecErrorReason => {
  switch (e.code) {
    case 'too-large':
      if (/records/.test(e.message)) return 'too-many-records';
      if (/nest|deep|depth/.test(e.message)) return 'too-deep';
      return 'too-large';
    case 'invalid-name':
      return 'invalid-path';
    case 'bad-type':
      return 'invalid-value';
    case 'bad-argument':
      return 'bad-argument';
    default:
      return 'malformed';
  }
};

const wrapSenml = <T>(flavour: Flavour, step: () => T): T => {
  try {
    return step();
  } catch (e) {
    if (e instanceof SenmlError) throw new CodecError(reasonOf(e), `${flavour.name}: ${e.message}`, { contentFormat: flavour.contentFormat, cause: e });
    throw e;
  }
};

/** The type a SenML value has when the model does not know the resource. */
const inferType = (value: SenmlValue): ValueType | undefined => {
  switch (value.kind) {
    case 'number':
      return 'Float';
    case 'string':
      return 'String';
    case 'boolean':
      return 'Boolean';
    case 'data':
      return 'Opaque';
    case 'objlnk':
      return 'Objlnk';
    case 'sum':
      return undefined;
  }
};

const toTyped = (modelType: ValueType | undefined, value: SenmlValue, path: string, contentFormat: number): TypedValue => {
  const type = modelType ?? inferType(value);
  const mismatch = (what: string): never => {
    throw new CodecError('model-mismatch', `${what} (RFC 8428 value field), not a ${value.kind}`, { contentFormat, path });
  };
  const integer = (min: bigint, max: bigint, what: string): number | bigint => {
    if (value.kind !== 'number') return mismatch(`a ${what} is a number "v"`);
    if (!Number.isInteger(value.v)) throw new CodecError('invalid-value', `${value.v} is not a whole number, which a ${what} is`, { contentFormat, path });
    const big = BigInt(value.v);
    if (big < min || big > max) throw new CodecError('invalid-value', `${value.v} does not fit a ${what}`, { contentFormat, path });
    return normalizeInteger(big);
  };
  switch (type) {
    case undefined:
      throw new CodecError('invalid-value', 'a sum without a value: LwM2M uses "v", "vs", "vb", "vd" or "vlo"', { contentFormat, path });
    case 'String':
    case 'Corelnk':
      return value.kind === 'string' ? { type, value: value.v } : mismatch(`a ${type} is a string "vs"`);
    case 'Integer':
    case 'Time':
      return { type, value: integer(MIN_INT64, MAX_INT64, type) };
    case 'Unsigned Integer':
      return { type, value: integer(0n, MAX_UINT64, type) };
    case 'Float':
      return value.kind === 'number' ? { type, value: value.v } : mismatch('a Float is a number "v"');
    case 'Boolean':
      return value.kind === 'boolean' ? { type, value: value.v } : mismatch('a Boolean is "vb"');
    case 'Opaque':
      return value.kind === 'data' ? { type, value: value.v } : mismatch('an Opaque value is data "vd"');
    case 'Objlnk':
      return value.kind === 'objlnk' ? { type, value: value.v } : mismatch('an Objlnk is "vlo"');
  }
};

/**
 * Record times as `ResourceValue.time`. `resolve` adds "now" to relative times, so resolving
 * with two "now"s tells relative from absolute without re-implementing the base-field rules.
 */
const timeOf = (at0: ResolvedRecord, at1: ResolvedRecord, options: DecodeOptions | undefined, contentFormat: number, path: string): number | undefined => {
  if (at0.time === at1.time) return at0.time;
  if (at0.time === 0) return undefined; // "now": the receive time, which the caller knows
  if (options?.nowSeconds === undefined) {
    throw new CodecError('bad-argument', `the record has a relative time (${at0.time} s); pass nowSeconds (the receive time) to resolve it`, { contentFormat, path });
  }
  return options.nowSeconds + at0.time;
};

const decodeSenml = (
  flavour: Flavour,
  bytes: Uint8Array,
  requestedPathIn: string | readonly number[],
  model: ObjectModel,
  options: DecodeOptions | undefined,
): ResourceValue[] =>
  guarded(flavour.contentFormat, () => {
    const cf = flavour.contentFormat;
    const limits = limitsOf(options);
    checkPayloadBytes(bytes, cf, limits);
    const requested = requestedPath(requestedPathIn, cf, ['root', 'object', 'instance', 'resource', 'resource-instance'], '');
    if (options?.nowSeconds !== undefined && !Number.isFinite(options.nowSeconds)) {
      throw new CodecError('bad-argument', 'nowSeconds must be a finite number of seconds since the epoch', { contentFormat: cf });
    }
    const { at0, at1 } = wrapSenml(flavour, () => {
      let pack: SenmlPack;
      if (flavour.contentFormat === 110) {
        const text = fromUtf8(bytes);
        if (text === undefined) throw new CodecError('malformed', 'SenML JSON must be UTF-8; the payload is not', { contentFormat: cf });
        pack = decodeSenmlJson(text, senmlOptions(limits));
      } else {
        pack = decodeSenmlCbor(bytes, senmlOptions(limits));
      }
      return { at0: resolve(pack, 0, senmlOptions(limits)), at1: resolve(pack, 1, senmlOptions(limits)) };
    });
    return at0.map((record, i): ResourceValue => {
      const parts = parseLwm2mName(record.name);
      if (parts === undefined) throw new CodecError('invalid-path', `record ${i}: the name "${record.name}" is not an LwM2M path such as /3303/0/5700`, { contentFormat: cf });
      let ids: number[];
      try {
        ids = checkPathIds(fromPathParts(parts));
      } catch (e) {
        throw new CodecError('invalid-path', `record ${i}: ${e instanceof Error ? e.message : String(e)}`, { contentFormat: cf, cause: e });
      }
      const path = formatPath(ids);
      checkUnder(ids, requested, cf);
      const definition = resourceAt(model, ids, cf);
      const typed = toTyped(definition?.type as ValueType | undefined, record.value, path, cf);
      const time = timeOf(record, at1[i]!, options, cf, path);
      return { path, ...typed, ...(time !== undefined && { time }) };
    });
  });

const recordValue = (typed: TypedValue, contentFormat: number, path: string): Partial<SenmlRecord> => {
  switch (typed.type) {
    case 'String':
    case 'Corelnk':
      return { vs: typed.value };
    case 'Boolean':
      return { vb: typed.value };
    case 'Opaque':
      return { vd: typed.value };
    case 'Objlnk':
      return { vlo: formatObjectLink(typed.value) };
    case 'Float':
      return { v: typed.value };
    default: {
      // A SenML number is a double: an integer beyond 2^53 would arrive as a different number.
      const v = Number(typed.value);
      if (BigInt(v) !== BigInt(typed.value)) {
        throw new CodecError('bad-argument', `${typed.value} cannot travel exactly as a SenML number (a double): use TLV or CBOR`, { contentFormat, path });
      }
      return { v };
    }
  }
};

/** The deepest path shared by all values, short enough that every record keeps a name of its own. */
const baseOf = (ids: number[][]): number[] => {
  let prefix = ids[0]!.slice(0, -1);
  for (const path of ids) {
    let n = 0;
    while (n < prefix.length && n < path.length - 1 && prefix[n] === path[n]) n++;
    prefix = prefix.slice(0, n);
  }
  return prefix;
};

const toPack = (flavour: Flavour, values: readonly ResourceValue[], limits: CodecLimits): SenmlPack => {
  const cf = flavour.contentFormat;
  const checked = checkValuesToEncode(values, cf, limits);
  if (checked.length === 0) return [];
  const base = baseOf(checked.map((c) => c.ids));
  const bn = base.length === 0 ? undefined : `${formatPath(base)}/`;
  return checked.map(({ ids, value }, i) => {
    if (value.time !== undefined && (typeof value.time !== 'number' || !Number.isFinite(value.time) || value.time < RELATIVE_TIME_LIMIT)) {
      throw new CodecError('bad-argument', `time must be seconds since the epoch (at least 2^28), not ${String(value.time)}`, { contentFormat: cf, path: value.path });
    }
    const rest = ids.slice(base.length).join('/');
    return {
      ...(i === 0 && bn !== undefined && { bn }),
      n: bn === undefined ? `/${rest}` : rest,
      ...recordValue(value, cf, value.path),
      ...(value.time !== undefined && { t: value.time }),
    };
  });
};

const encodeSenml = (flavour: Flavour, values: readonly ResourceValue[], options: EncodeOptions | undefined): Uint8Array =>
  guarded(flavour.contentFormat, () => {
    const limits = limitsOf(options);
    const pack = toPack(flavour, values, limits);
    const bytes = wrapSenml(flavour, () =>
      flavour.contentFormat === 110 ? toUtf8(encodeSenmlJson(pack, senmlOptions(limits))) : encodeSenmlCbor(pack, senmlOptions(limits)),
    );
    return checkEncodedSize(bytes, flavour.contentFormat, limits);
  });

/**
 * SenML JSON (110) and SenML CBOR (112) through schemas/senml: names are LwM2M paths from the
 * root, resolved with base names; each record's value is typed by the model. Every record must
 * lie under the requested path ("/" for Send and composite operations). Records with the same
 * name are all kept (a time series). Throw only CodecError.
 */
export const decodeSenmlJsonValues = (bytes: Uint8Array, requestedPathIn: string | readonly number[], model: ObjectModel = DEFAULT_OBJECT_MODEL, options?: DecodeOptions): ResourceValue[] =>
  decodeSenml(JSON_FLAVOUR, bytes, requestedPathIn, model, options);

export const decodeSenmlCborValues = (bytes: Uint8Array, requestedPathIn: string | readonly number[], model: ObjectModel = DEFAULT_OBJECT_MODEL, options?: DecodeOptions): ResourceValue[] =>
  decodeSenml(CBOR_FLAVOUR, bytes, requestedPathIn, model, options);

/** Values as SenML JSON (110): a base name for the path they share, then one record each; `time` as "t". */
export const encodeSenmlJsonValues = (values: readonly ResourceValue[], options?: EncodeOptions): Uint8Array => encodeSenml(JSON_FLAVOUR, values, options);

/** Values as SenML CBOR (112), integer labels; otherwise as encodeSenmlJsonValues. */
export const encodeSenmlCborValues = (values: readonly ResourceValue[], options?: EncodeOptions): Uint8Array => encodeSenml(CBOR_FLAVOUR, values, options);

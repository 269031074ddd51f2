import { Encoder } from 'cbor-x';
import { toBase64Url } from './base64url.ts';
import { guard } from './guard.ts';
import { CBOR_LABELS, isRfcLabel, LWM2M_OBJLNK_LABEL } from './labels.ts';
import { checkNames } from './resolve.ts';
import { profileOf } from './types.ts';
import type { SenmlOptions, SenmlPack, SenmlRecord } from './types.ts';
import { validatePack } from './validatePack.ts';

// Plain CBOR maps (no tag 259, no records extension), byte strings untagged; numbers as cbor-x
// writes them: integers as integers, others as float64, so every value decodes to the same double.
// (useTag259ForMaps is a cbor-x option its type declarations do not list.)
const options = { useRecords: false, mapsAsObjects: false, useTag259ForMaps: false, tagUint8Array: false };
const encoder = new Encoder(options);

/** Labels in the order written: base fields first (as RFC 8428 examples do), then the rest. */
const ORDER = ['bver', 'bn', 'bt', 'bu', 'bv', 'bs', 'n', 'u', 'v', 'vs', 'vb', 'vd', LWM2M_OBJLNK_LABEL, 's', 't', 'ut'] as const;

const checked = (pack: SenmlPack, options: SenmlOptions | undefined): SenmlPack => {
  const records = validatePack(pack, options);
  checkNames(records, profileOf(options));
  return records;
};

/**
 * Encodes records as application/senml+cbor (content format 112), integer labels, after the same
 * checks a decoder applies (a record may have no value, so LwM2M composite path lists encode too).
 * Throws only SenmlError.
 */
export const encodeSenmlCbor = (pack: SenmlPack, options?: SenmlOptions): Uint8Array =>
  guard('bad-type', 'the pack could not be encoded as CBOR', () => {
    const maps = checked(pack, options).map((r) => {
      const map = new Map<number | string, unknown>();
      for (const label of ORDER) {
        const value = r[label];
        if (value !== undefined) map.set(isRfcLabel(label) ? CBOR_LABELS[label] : label, value);
      }
      return map;
    });
    // The encoder reuses its buffer between calls: hand back a copy the caller owns.
    return Uint8Array.prototype.slice.call(encoder.encode(maps));
  });

/** Encodes records as application/senml+json (content format 110); vd as base64url without padding. */
export const encodeSenmlJson = (pack: SenmlPack, options?: SenmlOptions): string =>
  guard('bad-type', 'the pack could not be encoded as JSON', () => {
    const objects = checked(pack, options).map((r: SenmlRecord) => {
      const out: Record<string, unknown> = {};
      for (const label of ORDER) {
        const value = r[label];
        if (value !== undefined) out[label] = value instanceof Uint8Array ? toBase64Url(value) : value;
      }
      return out;
    });
    return JSON.stringify(objects);
  });

import { canonicalContentFormat, contentFormatInfo, contentFormatName } from '../contentFormats.ts';
import { CodecError } from '../errors.ts';
import type { DecodeOptions, EncodeOptions } from '../limits.ts';
import { DEFAULT_OBJECT_MODEL } from '../objects/model.ts';
import type { ObjectModel } from '../objects/model.ts';
import type { Lwm2mPath } from '../path.ts';
import type { ResourceValue } from '../values.ts';
import { decodeCborValue, encodeCborValue } from './cbor/cborValue.ts';
import { decodeLwm2mCbor, encodeLwm2mCbor } from './cbor/lwm2mCbor.ts';
import { decodeOpaque, encodeOpaque } from './opaque.ts';
import { decodeSenmlCborValues, decodeSenmlJsonValues, encodeSenmlCborValues, encodeSenmlJsonValues } from './senml.ts';
import { decodeText, encodeText } from './text.ts';
import { decodeTlv } from './tlv/decode.ts';
import { encodeTlv } from './tlv/encode.ts';

/**
 * One payload format: every codec here has this shape and throws only CodecError. The functions
 * are plain properties (no `this`), so `const { decode } = codec` is safe.
 */
export interface Codec {
  readonly contentFormat: number;
  readonly name: string;
  readonly decode: (bytes: Uint8Array, requestedPath: string | Lwm2mPath, model?: ObjectModel, options?: DecodeOptions) => ResourceValue[];
  readonly encode: (values: readonly ResourceValue[], options?: EncodeOptions) => Uint8Array;
}

export const CODECS: ReadonlyMap<number, Codec> = new Map(
  (
    [
      { contentFormat: 0, name: 'Plain Text', decode: decodeText, encode: encodeText },
      { contentFormat: 42, name: 'Opaque', decode: decodeOpaque, encode: encodeOpaque },
      { contentFormat: 60, name: 'CBOR', decode: decodeCborValue, encode: encodeCborValue },
      { contentFormat: 110, name: 'SenML JSON', decode: decodeSenmlJsonValues, encode: encodeSenmlJsonValues },
      { contentFormat: 112, name: 'SenML CBOR', decode: decodeSenmlCborValues, encode: encodeSenmlCborValues },
      { contentFormat: 11542, name: 'LwM2M TLV', decode: decodeTlv, encode: encodeTlv },
      { contentFormat: 11544, name: 'LwM2M CBOR', decode: decodeLwm2mCbor, encode: encodeLwm2mCbor },
    ] satisfies Codec[]
  ).map((codec) => [codec.contentFormat, Object.freeze(codec)]),
);

/** The codec for a content format (legacy numbers map to their registered ones), or undefined. */
export const codecFor = (contentFormat: number): Codec | undefined => CODECS.get(canonicalContentFormat(contentFormat));

const unsupported = (contentFormat: unknown): CodecError => {
  if (typeof contentFormat !== 'number' || !Number.isInteger(contentFormat)) {
    return new CodecError('bad-argument', `the content format must be a CoAP Content-Format number, not ${String(contentFormat)}`);
  }
  const known = contentFormatInfo(contentFormat);
  const supported = [...CODECS.values()].map((c) => `${c.name} (${c.contentFormat})`).join(', ');
  const why =
    known === undefined
      ? `${contentFormatName(contentFormat)} is not one LwM2M uses`
      : known.carries === 'links'
        ? `${contentFormatName(contentFormat)} carries links (Discover, registration), not resource values`
        : `${contentFormatName(contentFormat)} is not implemented here`;
  return new CodecError('unsupported-content-format', `${why}; resource values can be ${supported}`, { contentFormat });
};

export interface PayloadDecodeOptions extends DecodeOptions {
  /** Object definitions that type the values; the objects we ship by default. */
  model?: ObjectModel;
}

/**
 * The front door the CoAP server uses: bytes of `contentFormat` answering (or sent for) a
 * request about `path`, as typed values. An unknown or unsupported content format is a
 * CodecError('unsupported-content-format') (CoAP 4.15). Throws only CodecError.
 */
export const decodePayload = (contentFormat: number, bytes: Uint8Array, path: string | Lwm2mPath, options?: PayloadDecodeOptions): ResourceValue[] => {
  const codec = typeof contentFormat === 'number' ? codecFor(contentFormat) : undefined;
  if (codec === undefined) throw unsupported(contentFormat);
  return codec.decode(bytes, path, options?.model ?? DEFAULT_OBJECT_MODEL, options);
};

/** Values as bytes of `contentFormat`; the same errors as decodePayload. Throws only CodecError. */
export const encodePayload = (contentFormat: number, values: readonly ResourceValue[], options?: EncodeOptions): Uint8Array => {
  const codec = typeof contentFormat === 'number' ? codecFor(contentFormat) : undefined;
  if (codec === undefined) throw unsupported(contentFormat);
  return codec.encode(values, options);
};

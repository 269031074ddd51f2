import { CodecError } from './errors.ts';
import type { Lwm2mPath } from './path.ts';

/** Hard limits every decoder and encoder enforces before it allocates or recurses. */
export interface CodecLimits {
  /** Largest payload accepted or produced, in bytes. */
  maxBytes: number;
  /** Deepest nesting (TLV containers, CBOR arrays/maps/tags, SenML JSON brackets). */
  maxDepth: number;
  /** Most values in one payload (SenML: records). */
  maxRecords: number;
}

/**
 * 64 KiB holds a bootstrap write of a certificate chain and key many times over; a device's full
 * read is a few hundred values; LwM2M CBOR needs depth 6 at most (four map levels, a path array
 * key, a tag), TLV 3, SenML 2.
 */
export const DEFAULT_CODEC_LIMITS: Readonly<CodecLimits> = Object.freeze({ maxBytes: 64 * 1024, maxDepth: 8, maxRecords: 1000 });

export interface DecodeOptions {
  limits?: Partial<CodecLimits>;
  /**
   * The receive time in seconds since the epoch. SenML times below 2**28 are relative to it
   * (RFC 8428 4.5.3); a payload with such a time (other than "now") is refused without it.
   */
  nowSeconds?: number;
}

export interface EncodeOptions {
  limits?: Partial<CodecLimits>;
  /**
   * The path the payload is for (the Write or Create request path). TLV needs it to choose its
   * outer TLVs (object instances for "/o", resources for "/o/i", one resource for "/o/i/r");
   * without it the deepest path all values share is used. Other formats ignore it.
   */
  path?: string | Lwm2mPath;
}

export const limitsOf = (options: { limits?: Partial<CodecLimits> } | undefined): CodecLimits => {
  const limits = { ...DEFAULT_CODEC_LIMITS, ...options?.limits };
  for (const [name, value] of Object.entries(limits)) {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
      throw new CodecError('bad-argument', `limits.${name} must be a whole number of at least 1, not ${String(value)}`);
    }
  }
  return limits;
};

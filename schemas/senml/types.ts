/**
 * One SenML record as it travels (RFC 8428 section 4), labels as their JSON names. Only labels this
 * code understands are kept; `vd` is already bytes whatever the wire format.
 */
export interface SenmlRecord {
  bn?: string;
  bt?: number;
  bu?: string;
  bv?: number;
  bs?: number;
  bver?: number;
  n?: string;
  u?: string;
  v?: number;
  vs?: string;
  vb?: boolean;
  vd?: Uint8Array;
  /** LwM2M Object Link "objectId:instanceId" (lwm2m profile only). */
  vlo?: string;
  s?: number;
  t?: number;
  ut?: number;
}

export type SenmlPack = SenmlRecord[];

export interface ObjectLink {
  objectId: number;
  instanceId: number;
}

export type SenmlValue =
  | { kind: 'number'; v: number }
  | { kind: 'string'; v: string }
  | { kind: 'boolean'; v: boolean }
  | { kind: 'data'; v: Uint8Array }
  | { kind: 'objlnk'; v: ObjectLink }
  /** A record that carries only a Sum (RFC 8428 section 4.2 allows it); `v` equals `sum`. */
  | { kind: 'sum'; v: number };

/** A record with every base field applied (RFC 8428 section 4.6). */
export interface ResolvedRecord {
  name: string;
  /** Seconds since the epoch, absolute (relative times are resolved against "now"). */
  time: number;
  unit?: string;
  value: SenmlValue;
  sum?: number;
  updateTime?: number;
  /** Present only when the pack declared a version other than 10 (RFC 8428 section 4.6). */
  version?: number;
}

/**
 * rfc8428: names exactly as section 4.5.1 says. lwm2m: LwM2M Core 1.1 names are paths such as
 * "/3303/0/5700" (a leading '/'), and the `vlo` Object Link label is understood.
 */
export type SenmlProfile = 'rfc8428' | 'lwm2m';

export interface SenmlLimits {
  /** Largest encoded pack accepted, in bytes. */
  maxBytes: number;
  /** Most records in one pack. */
  maxRecords: number;
  /** Deepest nesting of arrays/maps/tags (the pack is level 1, a record 2). */
  maxDepth: number;
}

export const DEFAULT_LIMITS: Readonly<SenmlLimits> = Object.freeze({ maxBytes: 64 * 1024, maxRecords: 1000, maxDepth: 16 });

export interface SenmlOptions {
  profile?: SenmlProfile;
  limits?: Partial<SenmlLimits>;
}

export const limitsOf = (options: SenmlOptions | undefined): SenmlLimits => ({ ...DEFAULT_LIMITS, ...options?.limits });
export const profileOf = (options: SenmlOptions | undefined): SenmlProfile => options?.profile ?? 'rfc8428';

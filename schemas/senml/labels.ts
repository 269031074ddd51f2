/**
 * SenML labels (RFC 8428 Table 1 / Table 4 / section 12.2). JSON uses the names; CBOR uses the
 * integers, and the RFC says that table is final: any later label travels as a text key in CBOR.
 */
export const CBOR_LABELS = {
  bver: -1,
  bn: -2,
  bt: -3,
  bu: -4,
  bv: -5,
  bs: -6,
  n: 0,
  u: 1,
  v: 2,
  vs: 3,
  vb: 4,
  s: 5,
  t: 6,
  ut: 7,
  vd: 8,
} as const;

export type RfcLabel = keyof typeof CBOR_LABELS;

/**
 * LwM2M Core 1.1 (section 7.4.4/7.4.5) adds the Object Link value `vlo` ("66:0"). As a post-RFC
 * label it has no integer: it is the text key "vlo" in CBOR too.
 */
export const LWM2M_OBJLNK_LABEL = 'vlo';

export type SenmlLabel = RfcLabel | typeof LWM2M_OBJLNK_LABEL;

const byInteger = new Map<number, RfcLabel>(
  (Object.entries(CBOR_LABELS) as [RfcLabel, number][]).map(([name, key]) => [key, name]),
);

/** The JSON name of an RFC 8428 CBOR integer label, or undefined for an integer the RFC does not define. */
export const labelForCborKey = (key: number): RfcLabel | undefined => byInteger.get(key);

export const isRfcLabel = (name: string): name is RfcLabel => Object.hasOwn(CBOR_LABELS, name);

/** Value labels: a record carries at most one of these (RFC 8428 section 4.2). */
export const VALUE_LABELS = ['v', 'vs', 'vb', 'vd', 'vlo'] as const satisfies readonly SenmlLabel[];

/** Labels that start with 'b' are base fields: they apply to this record and every later one. */
export const BASE_LABELS = ['bn', 'bt', 'bu', 'bv', 'bs', 'bver'] as const satisfies readonly RfcLabel[];

/** The version of SenML this code understands (RFC 8428 section 4.4: the default when bver is absent). */
export const SENML_VERSION = 10;

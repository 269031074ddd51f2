/**
 * CoAP Content-Format numbers LwM2M uses (IANA CoAP Content-Formats registry; LwM2M Core 1.1
 * 7.4 and 1.2 7.4), and what an LwM2M client of each version may send. A server supports them
 * all; `clientSupport` is what it can expect from a client.
 */
export const CONTENT_FORMAT = Object.freeze({
  TEXT_PLAIN: 0,
  LINK_FORMAT: 40,
  OPAQUE: 42,
  CBOR: 60,
  SENML_JSON: 110,
  SENML_CBOR: 112,
  LWM2M_TLV: 11542,
  LWM2M_JSON: 11543,
  LWM2M_CBOR: 11544,
} as const);

export type ContentFormatNumber = (typeof CONTENT_FORMAT)[keyof typeof CONTENT_FORMAT];

export type Lwm2mVersion = '1.0' | '1.1' | '1.2';

/**
 * mandatory: every client of that version supports it. recommended: 1.1+ clients SHOULD support
 * at least one of SenML JSON and SenML CBOR. optional: a client may. legacy: 1.1+ says clients
 * SHOULD NOT use TLV or LwM2M JSON any more, but many still do.
 */
export type Support = 'mandatory' | 'recommended' | 'optional' | 'legacy';

export interface ContentFormatInfo {
  readonly contentFormat: ContentFormatNumber;
  readonly mediaType: string;
  readonly name: string;
  /** What it carries: one resource value, values of any shape, or CoRE links (Discover, registration). */
  readonly carries: 'one-value' | 'values' | 'links';
  readonly clientSupport: Readonly<Partial<Record<Lwm2mVersion, Support>>>;
}

const info = (contentFormat: ContentFormatNumber, mediaType: string, name: string, carries: ContentFormatInfo['carries'], clientSupport: ContentFormatInfo['clientSupport']): ContentFormatInfo =>
  Object.freeze({ contentFormat, mediaType, name, carries, clientSupport: Object.freeze(clientSupport) });

export const CONTENT_FORMATS: readonly ContentFormatInfo[] = Object.freeze([
  info(0, 'text/plain;charset=utf-8', 'Plain Text', 'one-value', { '1.0': 'mandatory', '1.1': 'mandatory', '1.2': 'mandatory' }),
  info(40, 'application/link-format', 'CoRE Link Format', 'links', { '1.0': 'mandatory', '1.1': 'mandatory', '1.2': 'mandatory' }),
  info(42, 'application/octet-stream', 'Opaque', 'one-value', { '1.0': 'mandatory', '1.1': 'mandatory', '1.2': 'mandatory' }),
  info(60, 'application/cbor', 'CBOR', 'one-value', { '1.1': 'optional', '1.2': 'optional' }),
  info(110, 'application/senml+json', 'SenML JSON', 'values', { '1.1': 'recommended', '1.2': 'recommended' }),
  info(112, 'application/senml+cbor', 'SenML CBOR', 'values', { '1.1': 'recommended', '1.2': 'recommended' }),
  info(11542, 'application/vnd.oma.lwm2m+tlv', 'LwM2M TLV', 'values', { '1.0': 'mandatory', '1.1': 'legacy', '1.2': 'legacy' }),
  info(11543, 'application/vnd.oma.lwm2m+json', 'LwM2M JSON', 'values', { '1.0': 'optional', '1.1': 'legacy', '1.2': 'legacy' }),
  info(11544, 'application/vnd.oma.lwm2m+cbor', 'LwM2M CBOR', 'values', { '1.2': 'optional' }),
]);

/**
 * Numbers LwM2M 1.0 drafts used before IANA registration, still sent by old stacks (Leshan
 * accepts them too): 1541 plain text, 1542 TLV, 1543 LwM2M JSON.
 */
export const LEGACY_CONTENT_FORMATS: Readonly<Record<number, ContentFormatNumber>> = Object.freeze({ 1541: 0, 1542: 11542, 1543: 11543 });

const byNumber = new Map<number, ContentFormatInfo>(CONTENT_FORMATS.map((f) => [f.contentFormat, f]));

/** The registered number for a legacy one, the number itself otherwise. */
export const canonicalContentFormat = (contentFormat: number): number => LEGACY_CONTENT_FORMATS[contentFormat] ?? contentFormat;

/** What we know about a content format (legacy numbers included), or undefined for one LwM2M does not use. */
export const contentFormatInfo = (contentFormat: number): ContentFormatInfo | undefined => byNumber.get(canonicalContentFormat(contentFormat));

/** The content formats a client of `version` may send, with how firmly. */
export const formatsForVersion = (version: Lwm2mVersion): { contentFormat: ContentFormatNumber; support: Support }[] =>
  CONTENT_FORMATS.flatMap((f) => {
    const support = f.clientSupport[version];
    return support === undefined ? [] : [{ contentFormat: f.contentFormat, support }];
  });

/** Display name for logs and errors: "SenML CBOR (112)", or "content format 9999". */
export const contentFormatName = (contentFormat: number): string => {
  const found = contentFormatInfo(contentFormat);
  return found === undefined ? `content format ${contentFormat}` : `${found.name} (${contentFormat})`;
};

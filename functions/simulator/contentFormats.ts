import { CONTENT_FORMAT, type Lwm2mVersion, type ResourceDefinition } from '../../schemas/lwm2m/index.ts';

/**
 * Which payload formats the simulated client speaks, by LwM2M version (Core 1.1/1.2 §7.4): text
 * and opaque always; TLV for 1.0 (mandatory) and still for later versions (legacy, but servers
 * ask for it); CBOR and SenML from 1.1; LwM2M CBOR from 1.2. LwM2M JSON (11543) is not spoken.
 */
const FORMATS: Record<Lwm2mVersion, readonly number[]> = {
  '1.0': [CONTENT_FORMAT.TEXT_PLAIN, CONTENT_FORMAT.OPAQUE, CONTENT_FORMAT.LWM2M_TLV],
  '1.1': [CONTENT_FORMAT.TEXT_PLAIN, CONTENT_FORMAT.OPAQUE, CONTENT_FORMAT.CBOR, CONTENT_FORMAT.SENML_JSON, CONTENT_FORMAT.SENML_CBOR, CONTENT_FORMAT.LWM2M_TLV],
  '1.2': [
    CONTENT_FORMAT.TEXT_PLAIN,
    CONTENT_FORMAT.OPAQUE,
    CONTENT_FORMAT.CBOR,
    CONTENT_FORMAT.SENML_JSON,
    CONTENT_FORMAT.SENML_CBOR,
    CONTENT_FORMAT.LWM2M_TLV,
    CONTENT_FORMAT.LWM2M_CBOR,
  ],
};

/** Formats that carry exactly one value. */
const ONE_VALUE = new Set<number>([CONTENT_FORMAT.TEXT_PLAIN, CONTENT_FORMAT.OPAQUE, CONTENT_FORMAT.CBOR]);

export const formatsFor = (version: Lwm2mVersion): readonly number[] => FORMATS[version];

/** The `ct` of the registration's root link (1.1+): what the client supports beyond the mandatory text and opaque. */
export const announcedFormats = (version: Lwm2mVersion): number[] =>
  FORMATS[version].filter((f) => f !== CONTENT_FORMAT.TEXT_PLAIN && f !== CONTENT_FORMAT.OPAQUE);

export type FormatChoice = { readonly ok: true; readonly contentFormat: number } | { readonly ok: false; readonly reason: string };

/**
 * The format of a Read or Observe answer. `resource` is the target resource when the path names
 * one; `singleValue` says the answer is one value (a single resource or a resource instance).
 * Without Accept: text for one value (opaque bytes as octet-stream), TLV from a 1.0 client,
 * SenML CBOR from a later one.
 */
export const answerFormat = (version: Lwm2mVersion, accept: number | undefined, singleValue: boolean, resource: ResourceDefinition | undefined): FormatChoice => {
  if (accept === undefined) {
    if (singleValue) return { ok: true, contentFormat: resource?.type === 'Opaque' ? CONTENT_FORMAT.OPAQUE : CONTENT_FORMAT.TEXT_PLAIN };
    return { ok: true, contentFormat: version === '1.0' ? CONTENT_FORMAT.LWM2M_TLV : CONTENT_FORMAT.SENML_CBOR };
  }
  if (!FORMATS[version].includes(accept)) {
    return { ok: false, reason: `this LwM2M ${version} client answers in Content-Format ${FORMATS[version].join(', ')}, not ${accept}` };
  }
  if (ONE_VALUE.has(accept) && !singleValue) return { ok: false, reason: `Content-Format ${accept} carries one value; ask for SenML or TLV for several` };
  if (accept === CONTENT_FORMAT.OPAQUE && resource?.type !== 'Opaque') return { ok: false, reason: 'application/octet-stream carries Opaque resources only' };
  return { ok: true, contentFormat: accept };
};

/** SenML (RFC 8428) in CBOR and JSON, with LwM2M names: the wire contract for device data. See README.md. */
export { SenmlError, isSenmlError } from './errors.ts';
export type { SenmlErrorCode } from './errors.ts';
export { CBOR_LABELS, LWM2M_OBJLNK_LABEL, SENML_VERSION, labelForCborKey } from './labels.ts';
export type { RfcLabel, SenmlLabel } from './labels.ts';
export { DEFAULT_LIMITS } from './types.ts';
export type { ObjectLink, ResolvedRecord, SenmlLimits, SenmlOptions, SenmlPack, SenmlProfile, SenmlRecord, SenmlValue } from './types.ts';
export { decodeSenmlCbor } from './decodeCbor.ts';
export { decodeSenmlJson } from './decodeJson.ts';
export { encodeSenmlCbor, encodeSenmlJson } from './encode.ts';
export { validatePack } from './validatePack.ts';
export { RELATIVE_TIME_LIMIT, resolve, resolvePaths } from './resolve.ts';
export { isValidSenmlName } from './names.ts';
export { fromBase64Url, toBase64Url } from './base64url.ts';
export { MAX_LWM2M_ID, isUnderLwm2mPath, parseLwm2mName, parseObjectLink, toLwm2mPath } from './lwm2mName.ts';
export type { Lwm2mPathParts } from './lwm2mName.ts';

/** CoAP Content-Format numbers (RFC 8428 section 12.3) and media types, as LwM2M uses them. */
export const SENML_JSON = { mediaType: 'application/senml+json', contentFormat: 110 } as const;
export const SENML_CBOR = { mediaType: 'application/senml+cbor', contentFormat: 112 } as const;

/**
 * LwM2M payloads and object model: content formats, paths, the objects we ship, typed values,
 * checks for the control API, and codecs (TLV, text, opaque, CBOR, SenML, LwM2M CBOR). Pure: no
 * I/O, no clock. See README.md.
 */
export { CONTENT_FORMAT, CONTENT_FORMATS, LEGACY_CONTENT_FORMATS, canonicalContentFormat, contentFormatInfo, contentFormatName, formatsForVersion } from './contentFormats.ts';
export type { ContentFormatInfo, ContentFormatNumber, Lwm2mVersion, Support } from './contentFormats.ts';

export { CodecError, PathError, isCodecError, isPathError } from './errors.ts';
export type { CodecErrorDetails, CodecErrorReason, PathErrorCode } from './errors.ts';

export { MAX_ID, RESERVED_ID, checkPathIds, formatPath, isUnderPath, isValidPath, levelOf, parsePath, toPath } from './path.ts';
export { fromPathParts, toPathParts } from './pathParts.ts';
export type { Lwm2mPath, ParsePathOptions, PathLevel } from './path.ts';

export { DEFAULT_CODEC_LIMITS } from './limits.ts';
export type { CodecLimits, DecodeOptions, EncodeOptions } from './limits.ts';

export type { ObjectDefinition, Operations, ResourceDefinition, ResourceType, ValueType } from './objects/types.ts';
export { DEFAULT_OBJECT_MODEL, createObjectModel, extendObjectModel } from './objects/model.ts';
export type { ObjectModel } from './objects/model.ts';
export { SECURITY } from './objects/security.ts';
export { SERVER } from './objects/server.ts';
export { DEVICE } from './objects/device.ts';
export { CONNECTIVITY_MONITORING } from './objects/connectivityMonitoring.ts';
export { TEMPERATURE } from './objects/temperature.ts';
export { MQTT_BROKER, MQTT_SECURITY_MODE } from './objects/mqttBroker.ts';

export { MAX_INT64, MAX_UINT64, MIN_INT64, NULL_OBJECT_LINK, formatObjectLink, isObjectLink, normalizeInteger, parseObjectLinkText, typeMismatch } from './values.ts';
export type { ObjectLink, ResourceValue, TypedValue } from './values.ts';

export { checkOperation, checkValue } from './checks.ts';
export type { Checked, ModelProblem, ModelProblemCode, Operation, Target } from './checks.ts';

export { CODECS, codecFor, decodePayload, encodePayload } from './codecs/payload.ts';
export type { Codec, PayloadDecodeOptions } from './codecs/payload.ts';
export { decodeTlv } from './codecs/tlv/decode.ts';
export { encodeTlv } from './codecs/tlv/encode.ts';
export { decodeText, encodeText } from './codecs/text.ts';
export { decodeOpaque, encodeOpaque } from './codecs/opaque.ts';
export { decodeCborValue, encodeCborValue } from './codecs/cbor/cborValue.ts';
export { decodeLwm2mCbor, encodeLwm2mCbor } from './codecs/cbor/lwm2mCbor.ts';
export { decodeSenmlCborValues, decodeSenmlJsonValues, encodeSenmlCborValues, encodeSenmlJsonValues } from './codecs/senml.ts';

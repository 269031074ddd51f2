/**
 * A payload as the server carries it: the bytes and the CoAP Content-Format they claim to be.
 * The server never decodes device data; codecs live in schemas/lwm2m/.
 */
export interface Payload {
  readonly contentFormat: number;
  readonly bytes: Uint8Array;
}

/** The Content-Format numbers LwM2M 1.0 to 1.2 use (IANA CoAP Content-Formats registry). */
export const ContentFormat = {
  TEXT: 0,
  LINK_FORMAT: 40,
  OCTET_STREAM: 42,
  JSON: 50,
  CBOR: 60,
  SENML_JSON: 110,
  SENML_CBOR: 112,
  LWM2M_TLV: 11542,
  LWM2M_JSON: 11543,
  LWM2M_CBOR: 11544,
} as const;

/** Formats the Send operation (POST /dp) may carry: SenML JSON/CBOR (1.1) and LwM2M CBOR (1.2). */
export const SEND_CONTENT_FORMATS: readonly number[] = [ContentFormat.SENML_JSON, ContentFormat.SENML_CBOR, ContentFormat.LWM2M_CBOR];

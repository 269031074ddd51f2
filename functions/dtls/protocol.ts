/**
 * Wire constants of DTLS 1.2 (RFC 6347) and the TLS 1.2 structures it reuses (RFC 5246), with the
 * numbers registered by the extension RFCs this server implements.
 */

/** ProtocolVersion on the wire: DTLS versions count down (1.0 is {254, 255}, 1.2 is {254, 253}). */
export const DTLS_1_0 = 0xfeff;
export const DTLS_1_2 = 0xfefd;

export const ContentType = {
  changeCipherSpec: 20,
  alert: 21,
  handshake: 22,
  applicationData: 23,
} as const;

export const HandshakeType = {
  helloRequest: 0,
  clientHello: 1,
  serverHello: 2,
  helloVerifyRequest: 3,
  serverKeyExchange: 12,
  serverHelloDone: 14,
  clientKeyExchange: 16,
  finished: 20,
} as const;

export const AlertLevel = { warning: 1, fatal: 2 } as const;

/** RFC 5246 §7.2 plus unknown_psk_identity (RFC 4279 §2). */
export const AlertDescription = {
  close_notify: 0,
  unexpected_message: 10,
  bad_record_mac: 20,
  record_overflow: 22,
  handshake_failure: 40,
  illegal_parameter: 47,
  decode_error: 50,
  decrypt_error: 51,
  protocol_version: 70,
  insufficient_security: 71,
  internal_error: 80,
  user_canceled: 90,
  no_renegotiation: 100,
  unsupported_extension: 110,
  unknown_psk_identity: 115,
} as const;

export type AlertName = keyof typeof AlertDescription;

const alertNames = new Map<number, AlertName>(Object.entries(AlertDescription).map(([name, code]) => [code, name as AlertName]));

/** The alert's registered name, or `alert_<code>` for one this server never sends. */
export const alertName = (code: number): string => alertNames.get(code) ?? `alert_${code}`;

export const ExtensionType = {
  supportedGroups: 10,
  ecPointFormats: 11,
  extendedMasterSecret: 23,
  renegotiationInfo: 0xff01,
} as const;

/** TLS_EMPTY_RENEGOTIATION_INFO_SCSV (RFC 5746 §3.3): a cipher suite value that only signals support. */
export const EMPTY_RENEGOTIATION_INFO_SCSV = 0x00ff;

/** NamedGroup values (RFC 8422 §5.1.1, RFC 7748). */
export const NamedGroup = { secp256r1: 23, x25519: 29 } as const;

/** ECCurveType.named_curve (RFC 8422 §5.4). */
export const EC_CURVE_TYPE_NAMED = 3;

/** DTLSPlaintext header: type(1) version(2) epoch(2) sequence_number(6) length(2). */
export const RECORD_HEADER_LENGTH = 13;
/** Handshake header: msg_type(1) length(3) message_seq(2) fragment_offset(3) fragment_length(3). */
export const HANDSHAKE_HEADER_LENGTH = 12;
/** TLSPlaintext.length limit (RFC 5246 §6.2.1). */
export const MAX_PLAINTEXT = 16_384;
/** TLSCiphertext.length limit (RFC 5246 §6.2.3): plaintext plus at most 2048 bytes of expansion. */
export const MAX_CIPHERTEXT = MAX_PLAINTEXT + 2048;
/** Record sequence numbers are 48 bits (RFC 6347 §4.1); JavaScript numbers hold them exactly. */
export const MAX_SEQUENCE = 2 ** 48 - 1;

import { ByteReader, u16, u8, vector16, vector8 } from './bytes.ts';
import { DTLS_1_0, DTLS_1_2, EC_CURVE_TYPE_NAMED, ExtensionType } from './protocol.ts';

/**
 * HelloVerifyRequest (RFC 6347 §4.2.1). server_version is DTLS 1.0 as §4.2.1 recommends: it only
 * describes the packet format, and clients of either version accept it.
 */
export const helloVerifyRequestBody = (cookie: Buffer): Buffer => Buffer.concat([u16(DTLS_1_0), vector8(cookie)]);

export interface ServerHelloExtensions {
  /** RFC 5746 §3.6: an empty renegotiated_connection, sent only when the client signalled support. */
  readonly renegotiationInfo: boolean;
  /** RFC 7627 §5.2: echoed only when the client offered it. */
  readonly extendedMasterSecret: boolean;
  /** RFC 8422 §5.2: our point format list (uncompressed), only for an ECDHE suite the client sent the extension for. */
  readonly ecPointFormats: boolean;
}

const extension = (type: number, data: Buffer) => Buffer.concat([u16(type), vector16(data)]);

/** ServerHello (RFC 5246 §7.4.1.3); extensions are only ever answers to the client's. */
export const serverHelloBody = (random: Buffer, sessionId: Buffer, cipherSuite: number, ext: ServerHelloExtensions): Buffer => {
  const extensions: Buffer[] = [];
  if (ext.renegotiationInfo) extensions.push(extension(ExtensionType.renegotiationInfo, vector8(Buffer.alloc(0))));
  if (ext.extendedMasterSecret) extensions.push(extension(ExtensionType.extendedMasterSecret, Buffer.alloc(0)));
  if (ext.ecPointFormats) extensions.push(extension(ExtensionType.ecPointFormats, vector8(Buffer.of(0))));
  const parts = [u16(DTLS_1_2), random, vector8(sessionId), u16(cipherSuite), u8(0)];
  // An empty extensions block is legal but old clients trip on it: leave it out when there is nothing to say.
  if (extensions.length > 0) parts.push(vector16(Buffer.concat(extensions)));
  return Buffer.concat(parts);
};

/** ServerKeyExchange for plain PSK (RFC 4279 §2): only the identity hint. */
export const pskServerKeyExchangeBody = (hint: Buffer): Buffer => vector16(hint);

/** ServerKeyExchange for ECDHE_PSK (RFC 5489 §2): the hint, then ServerECDHParams, unsigned. */
export const ecdhePskServerKeyExchangeBody = (hint: Buffer, namedGroup: number, publicKey: Buffer): Buffer =>
  Buffer.concat([vector16(hint), u8(EC_CURVE_TYPE_NAMED), u16(namedGroup), vector8(publicKey)]);

export interface ClientKeyExchange {
  readonly identity: Buffer;
  /** ECDHE_PSK only: the client's ephemeral public key (ecdh_Yc). */
  readonly publicKey?: Buffer;
}

/** ClientKeyExchange for PSK (RFC 4279 §2) or ECDHE_PSK (RFC 5489 §2). */
export const parseClientKeyExchange = (body: Buffer, ecdhe: boolean): ClientKeyExchange => {
  const r = new ByteReader(body);
  const identity = r.vector16('psk_identity');
  if (!ecdhe) {
    r.end('ClientKeyExchange');
    return { identity };
  }
  const publicKey = r.vector8('ecdh_Yc', 1);
  r.end('ClientKeyExchange');
  return { identity, publicKey };
};

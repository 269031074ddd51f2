import { ByteReader } from './bytes.ts';
import { DtlsAlertError, decodeError } from './errors.ts';
import { ExtensionType } from './protocol.ts';

/** A parsed ClientHello (RFC 6347 §4.2.1, RFC 5246 §7.4.1.2). Buffers are views into the message. */
export interface ClientHello {
  readonly clientVersion: number;
  readonly random: Buffer;
  readonly sessionId: Buffer;
  readonly cookie: Buffer;
  readonly cipherSuites: readonly number[];
  /** The raw cipher_suites and compression_methods vectors: the cookie covers them byte for byte. */
  readonly cipherSuitesRaw: Buffer;
  readonly compressionMethods: Buffer;
  /** Extension type → extension_data. Duplicates are refused while parsing. */
  readonly extensions: ReadonlyMap<number, Buffer>;
}

export const parseClientHello = (body: Buffer): ClientHello => {
  const r = new ByteReader(body);
  const clientVersion = r.u16('client_version');
  const random = r.bytes(32, 'random');
  const sessionId = r.vector8('session_id');
  if (sessionId.length > 32) throw decodeError(`session_id of ${sessionId.length} bytes, at most 32 allowed`);
  const cookie = r.vector8('cookie');
  const cipherSuitesRaw = r.vector16('cipher_suites', 2);
  if (cipherSuitesRaw.length % 2 !== 0) throw decodeError(`cipher_suites has an odd length ${cipherSuitesRaw.length}`);
  const cipherSuites: number[] = [];
  for (let i = 0; i < cipherSuitesRaw.length; i += 2) cipherSuites.push(cipherSuitesRaw.readUInt16BE(i));
  const compressionMethods = r.vector8('compression_methods', 1);
  const extensions = new Map<number, Buffer>();
  // The extensions block is optional (RFC 5246 §7.4.1.2: "a ClientHello ... may be followed by extensions").
  if (r.remaining > 0) {
    const block = new ByteReader(r.vector16('extensions'));
    while (block.remaining > 0) {
      const type = block.u16('extension_type');
      const data = block.vector16('extension_data');
      if (extensions.has(type)) throw new DtlsAlertError('illegal_parameter', `extension ${type} appears twice (RFC 5246 §7.4.1.4)`);
      extensions.set(type, data);
    }
  }
  r.end('ClientHello');
  return { clientVersion, random, sessionId, cookie, cipherSuites, cipherSuitesRaw, compressionMethods, extensions };
};

/** supported_groups (RFC 8422 §5.1.1): the client's groups in its order of preference. */
export const supportedGroups = (hello: ClientHello): number[] | undefined => {
  const data = hello.extensions.get(ExtensionType.supportedGroups);
  if (data === undefined) return undefined;
  const r = new ByteReader(data);
  const list = r.vector16('named_group_list', 2);
  r.end('supported_groups');
  if (list.length % 2 !== 0) throw decodeError('named_group_list has an odd length');
  const groups: number[] = [];
  for (let i = 0; i < list.length; i += 2) groups.push(list.readUInt16BE(i));
  return groups;
};

/** ec_point_formats (RFC 8422 §5.1.2); undefined when absent, which means "uncompressed only". */
export const pointFormats = (hello: ClientHello): Buffer | undefined => {
  const data = hello.extensions.get(ExtensionType.ecPointFormats);
  if (data === undefined) return undefined;
  const r = new ByteReader(data);
  const list = r.vector8('ec_point_format_list', 1);
  r.end('ec_point_formats');
  return list;
};

/** renegotiation_info's renegotiated_connection (RFC 5746 §3.2); undefined when absent. */
export const renegotiationInfo = (hello: ClientHello): Buffer | undefined => {
  const data = hello.extensions.get(ExtensionType.renegotiationInfo);
  if (data === undefined) return undefined;
  const r = new ByteReader(data);
  const v = r.vector8('renegotiated_connection');
  r.end('renegotiation_info');
  return v;
};

/** extended_master_secret (RFC 7627 §5.1): present with empty extension_data. */
export const offersExtendedMasterSecret = (hello: ClientHello): boolean => {
  const data = hello.extensions.get(ExtensionType.extendedMasterSecret);
  if (data === undefined) return false;
  if (data.length !== 0) throw decodeError('extended_master_secret must have empty extension_data (RFC 7627 §5.1)');
  return true;
};

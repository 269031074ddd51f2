import { createECDH, createPublicKey, diffieHellman, generateKeyPairSync } from 'node:crypto';
import { DtlsAlertError } from './errors.ts';
import { NamedGroup } from './protocol.ts';

export type GroupName = keyof typeof NamedGroup;

/** The server's ephemeral key for one ECDHE_PSK handshake (RFC 5489, RFC 8422). */
export interface EphemeralKey {
  readonly group: GroupName;
  readonly groupId: number;
  /** As sent in ServerECDHParams: an uncompressed point for P-256, 32 raw bytes for X25519. */
  readonly publicKey: Buffer;
  /** The shared secret with the client's ecdh_Yc; illegal_parameter when that is not a valid key. */
  deriveSecret(peer: Buffer): Buffer;
}

const p256 = (): EphemeralKey => {
  const ecdh = createECDH('prime256v1');
  const publicKey = ecdh.generateKeys();
  return {
    group: 'secp256r1',
    groupId: NamedGroup.secp256r1,
    publicKey,
    deriveSecret(peer) {
      // We only offer the uncompressed format (RFC 8422 §5.1.2), so only accept that: 0x04 || X || Y.
      if (peer.length !== 65 || peer[0] !== 4) throw new DtlsAlertError('illegal_parameter', `P-256 key share must be a 65-byte uncompressed point, got ${peer.length} bytes`);
      try {
        // Node checks that the point is on the curve.
        return ecdh.computeSecret(peer);
      } catch {
        throw new DtlsAlertError('illegal_parameter', 'P-256 key share is not a point on the curve');
      }
    },
  };
};

const x25519 = (): EphemeralKey => {
  const { publicKey, privateKey } = generateKeyPairSync('x25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x ?? '', 'base64url');
  return {
    group: 'x25519',
    groupId: NamedGroup.x25519,
    publicKey: raw,
    deriveSecret(peer) {
      if (peer.length !== 32) throw new DtlsAlertError('illegal_parameter', `X25519 key share must be 32 bytes, got ${peer.length}`);
      let secret: Buffer;
      try {
        secret = diffieHellman({ privateKey, publicKey: createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: peer.toString('base64url') }, format: 'jwk' }) });
      } catch {
        // OpenSSL itself refuses some small-order points.
        throw new DtlsAlertError('illegal_parameter', 'X25519 key share was refused by the key agreement (small-order point)');
      }
      // RFC 7748 §6.1: an all-zero output means a small-order point; refuse it.
      if (secret.every((b) => b === 0)) throw new DtlsAlertError('illegal_parameter', 'X25519 key share is a small-order point');
      return secret;
    },
  };
};

export const generateEphemeralKey = (group: GroupName): EphemeralKey => (group === 'x25519' ? x25519() : p256());

/**
 * The first group in the client's supported_groups list that the server allows. Without the
 * extension, RFC 8422 §4 lets the server pick: P-256, which every ECDHE_PSK client implements.
 */
export const chooseGroup = (clientGroups: readonly number[] | undefined, allowed: readonly GroupName[]): GroupName | undefined => {
  if (clientGroups === undefined) return allowed.includes('secp256r1') ? 'secp256r1' : allowed[0];
  for (const id of clientGroups) {
    const name = allowed.find((g) => NamedGroup[g] === id);
    if (name !== undefined) return name;
  }
  return undefined;
};

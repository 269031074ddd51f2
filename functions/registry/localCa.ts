import 'reflect-metadata';
import { createHash, createPrivateKey, createPublicKey, randomBytes, webcrypto, X509Certificate as NodeX509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { assertBridgeId, assertDeviceThingName, bridgeThingName } from '../../schemas/topics/topics.ts';
import { systemClock, type Clock } from '../shared/clock.ts';

/**
 * The embedded mode's certificate authority: an EC P-256 root that signs device, bridge and broker
 * certificates, the local stand-in for AWS IoT's CreateKeysAndCertificate. Where the CA is kept is
 * the caller's business (exportCa / importCa give PEM text); the private key is the fleet's most
 * sensitive secret, so store it encrypted.
 *
 * Identities, as the broker reads them:
 * - device: CN = thing name (AWS IoT's policy variables resolve the thing the certificate is
 *   attached to; here the CN is that attachment).
 * - bridge: CN = `bridge:<bridgeId>` (its thing name; the prefix is reserved, see topics.ts).
 * - broker: CN = the host name, SAN = localhost, 127.0.0.1, ::1 by default.
 * A certificate id is the SHA-256 of the DER certificate in lowercase hex, as AWS IoT's ids are.
 */

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKey = webcrypto.CryptoKey;

const EC_KEY = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;
/** 20 years for the root, 10 for what it issues: a device in the field outlives most deployments' plans. */
const DEFAULT_CA_DAYS = 7300;
const DEFAULT_LEAF_DAYS = 3650;

export class CaError extends Error {
  override name = 'CaError';
}

export interface LocalCa {
  readonly certificate: x509.X509Certificate;
  readonly certificatePem: string;
  readonly privateKey: CryptoKey;
  /** SHA-256 of the CA certificate (hex), to tell CAs apart in logs. */
  readonly certificateId: string;
}

export interface ExportedCa {
  readonly certificatePem: string;
  /** PKCS#8, unencrypted PEM: encrypt it at rest. */
  readonly privateKeyPem: string;
}

export interface IssuedCertificate {
  readonly certificatePem: string;
  /** PKCS#8 PEM of the key generated for this certificate; it leaves here once, with the caller. */
  readonly privateKeyPem: string;
  readonly certificateId: string;
  readonly commonName: string;
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export interface CaOptions {
  readonly commonName?: string;
  readonly validityDays?: number;
  readonly clock?: Clock;
}

export interface IssueOptions {
  readonly validityDays?: number;
  readonly clock?: Clock;
}

const toPem = (der: ArrayBuffer, tag: string) => x509.PemConverter.encode(der, tag);

/** The certificate id of a PEM or DER certificate: SHA-256 of its DER bytes, lowercase hex. */
export const certificateIdOf = (certificate: string | Uint8Array): string => {
  const der = typeof certificate === 'string' ? new Uint8Array(x509.PemConverter.decodeFirst(certificate)) : certificate;
  return createHash('sha256').update(der).digest('hex');
};

/** A positive 128-bit serial (RFC 5280: positive, at most 20 octets, unpredictable). */
const newSerial = () => {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f | 0x01;
  return bytes.toString('hex');
};

const validity = (clock: Clock, days: number) => {
  if (!Number.isInteger(days) || days < 1 || days > 36500) {
    throw new CaError(`validityDays ${days} is not valid: use a whole number of days from 1 to 36500`);
  }
  // A minute of slack before "now": clocks of a device and the broker are rarely equal.
  const notBefore = new Date(clock.now().getTime() - 60_000);
  notBefore.setMilliseconds(0);
  return { notBefore, notAfter: new Date(notBefore.getTime() + days * DAY_MS) };
};

const generateKeys = () => webcrypto.subtle.generateKey(EC_KEY, true, ['sign', 'verify']);

const exportPrivateKey = async (key: CryptoKey) => toPem(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');

export const createCa = async (options: CaOptions = {}): Promise<LocalCa> => {
  const { commonName = 'lwm2m-fleet local root CA', validityDays = DEFAULT_CA_DAYS, clock = systemClock } = options;
  const keys = await generateKeys();
  const { notBefore, notAfter } = validity(clock, validityDays);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: newSerial(),
    name: [{ CN: [commonName] }],
    notBefore,
    notAfter,
    keys,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const certificatePem = certificate.toString('pem');
  return { certificate, certificatePem, privateKey: keys.privateKey, certificateId: certificateIdOf(certificatePem) };
};

export const exportCa = async (ca: LocalCa): Promise<ExportedCa> => ({
  certificatePem: ca.certificatePem,
  privateKeyPem: await exportPrivateKey(ca.privateKey),
});

/** Loads a CA saved with exportCa, after checking it is a CA and that the key belongs to it. */
export const importCa = async ({ certificatePem, privateKeyPem }: ExportedCa): Promise<LocalCa> => {
  let certificate: x509.X509Certificate;
  let nodeCert: NodeX509Certificate;
  try {
    certificate = new x509.X509Certificate(certificatePem);
    nodeCert = new NodeX509Certificate(certificatePem);
  } catch (error) {
    throw new CaError(`the CA certificate could not be read (${(error as Error).message}): pass the PEM text exportCa produced`);
  }
  if (!nodeCert.ca) throw new CaError(`certificate "${certificate.subject}" is not a CA (basicConstraints CA:FALSE): pass the root CA certificate`);
  let spkiOfKey: Buffer;
  try {
    spkiOfKey = createPublicKey(createPrivateKey(privateKeyPem)).export({ type: 'spki', format: 'der' });
  } catch (error) {
    throw new CaError(`the CA private key could not be read (${(error as Error).message}): pass the PKCS#8 PEM exportCa produced`);
  }
  const spkiOfCert = nodeCert.publicKey.export({ type: 'spki', format: 'der' });
  if (!spkiOfKey.equals(spkiOfCert)) {
    throw new CaError(`the private key does not belong to CA certificate "${certificate.subject}": the two files come from different CAs`);
  }
  const privateKey = await webcrypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(privateKeyPem), EC_KEY, true, ['sign']);
  return { certificate, certificatePem: certificate.toString('pem'), privateKey, certificateId: certificateIdOf(certificatePem) };
};

interface LeafSpec {
  readonly commonName: string;
  readonly usage: 'client' | 'server';
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
}

const issue = async (ca: LocalCa, spec: LeafSpec, options: IssueOptions): Promise<IssuedCertificate> => {
  const { clock = systemClock } = options;
  const keys = await generateKeys();
  const { notBefore, notAfter: requested } = validity(clock, options.validityDays ?? DEFAULT_LEAF_DAYS);
  let notAfter = requested;
  if (requested > ca.certificate.notAfter) {
    // By default a certificate lives as long as it can; an explicit wish that cannot be met is an error.
    if (options.validityDays !== undefined) {
      throw new CaError(`a certificate valid until ${requested.toISOString()} would outlive its CA (until ${ca.certificate.notAfter.toISOString()}): issue it for fewer days, or renew the CA`);
    }
    notAfter = ca.certificate.notAfter;
  }
  if (notAfter <= notBefore) throw new CaError(`the CA expired on ${ca.certificate.notAfter.toISOString()}: create a new CA and reissue`);
  const sans = [...(spec.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })), ...(spec.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value }))];
  const serialNumber = newSerial();
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber,
    subject: [{ CN: [spec.commonName] }],
    issuer: ca.certificate.subjectName,
    notBefore,
    notAfter,
    publicKey: keys.publicKey,
    signingKey: ca.privateKey,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([spec.usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(ca.certificate.publicKey),
      ...(sans.length > 0 ? [new x509.SubjectAlternativeNameExtension(sans)] : []),
    ],
  });
  const certificatePem = certificate.toString('pem');
  return {
    certificatePem,
    privateKeyPem: await exportPrivateKey(keys.privateKey),
    certificateId: certificateIdOf(certificatePem),
    commonName: spec.commonName,
    serialNumber,
    notBefore,
    notAfter,
  };
};

/** A device certificate: CN = thing name, client authentication only. */
export const issueDeviceCertificate = (ca: LocalCa, thingName: string, options: IssueOptions = {}) => {
  try {
    assertDeviceThingName(thingName);
  } catch (error) {
    return Promise.reject(new CaError(`no device certificate issued: ${(error as Error).message}`));
  }
  return issue(ca, { commonName: thingName, usage: 'client' }, options);
};

/** A bridge's client certificate: CN = `bridge:<bridgeId>`, its thing name and MQTT client id. */
export const issueBridgeCertificate = (ca: LocalCa, bridgeId: string, options: IssueOptions = {}) => {
  try {
    assertBridgeId(bridgeId);
  } catch (error) {
    return Promise.reject(new CaError(`no bridge certificate issued: ${(error as Error).message}`));
  }
  return issue(ca, { commonName: bridgeThingName(bridgeId), usage: 'client' }, options);
};

export interface ServerCertificateOptions extends IssueOptions {
  readonly commonName?: string;
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
}

/** The broker's certificate. Clients check the SAN, so list every name and address they dial. */
export const issueServerCertificate = (ca: LocalCa, options: ServerCertificateOptions = {}) => {
  const { commonName = 'localhost', dnsNames = ['localhost'], ipAddresses = ['127.0.0.1', '::1'], ...rest } = options;
  if (dnsNames.length + ipAddresses.length === 0) {
    return Promise.reject(new CaError('a server certificate needs at least one DNS name or IP address: clients verify the host they dial against it'));
  }
  return issue(ca, { commonName, usage: 'server', dnsNames, ipAddresses }, rest);
};

/**
 * Revoked certificate ids, consulted by the broker at every connect. A set in memory: the caller
 * persists it (the registry's revocation events) and loads it back with `new RevocationList(ids)`.
 */
export class RevocationList {
  readonly #revoked = new Set<string>();

  constructor(certificateIds: Iterable<string> = []) {
    for (const id of certificateIds) this.revoke(id);
  }

  revoke(certificateId: string): void {
    if (!/^[0-9a-f]{64}$/.test(certificateId)) {
      throw new CaError(`certificate id ${JSON.stringify(certificateId)} is not valid: it is the 64-character lowercase hex SHA-256 of the certificate`);
    }
    this.#revoked.add(certificateId);
  }

  isRevoked(certificateId: string): boolean {
    return this.#revoked.has(certificateId);
  }

  /** For persisting: the ids in the order they were revoked. */
  ids(): string[] {
    return [...this.#revoked];
  }

  get size(): number {
    return this.#revoked.size;
  }
}

import 'reflect-metadata';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CaError,
  certificateIdOf,
  createCa,
  exportCa,
  importCa,
  issueBridgeCertificate,
  issueDeviceCertificate,
  issueServerCertificate,
  RevocationList,
  type LocalCa,
} from '../../functions/registry/localCa.ts';
import { manualClock } from '../../functions/shared/clock.ts';

let ca: LocalCa;
let otherCa: LocalCa;
let caCert: X509Certificate;

beforeAll(async () => {
  [ca, otherCa] = await Promise.all([createCa(), createCa({ commonName: 'someone else' })]);
  caCert = new X509Certificate(ca.certificatePem);
});

const fingerprintHex = (pem: string) => new X509Certificate(pem).fingerprint256.replaceAll(':', '').toLowerCase();

describe('root CA', () => {
  it('is a self-signed EC P-256 CA that may sign certificates', () => {
    expect(caCert.ca).toBe(true);
    expect(caCert.checkIssued(caCert)).toBe(true);
    expect(caCert.verify(caCert.publicKey)).toBe(true);
    expect(caCert.publicKey.asymmetricKeyDetails).toMatchObject({ namedCurve: 'prime256v1' });
    const usage = ca.certificate.getExtension(x509.KeyUsagesExtension);
    expect(usage && usage.usages & x509.KeyUsageFlags.keyCertSign).toBeTruthy();
    expect(ca.certificate.getExtension(x509.BasicConstraintsExtension)?.critical).toBe(true);
    expect(ca.certificateId).toBe(fingerprintHex(ca.certificatePem));
  });

  it('survives export and import, and the imported CA signs for the same chain', async () => {
    const exported = await exportCa(ca);
    expect(exported.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const restored = await importCa(exported);
    expect(restored.certificateId).toBe(ca.certificateId);
    const device = new X509Certificate((await issueDeviceCertificate(restored, 'meter-restored')).certificatePem);
    expect(device.checkIssued(caCert)).toBe(true);
    expect(device.verify(caCert.publicKey)).toBe(true);
  });

  it('refuses a key from another CA, a certificate that is no CA, and garbage', async () => {
    const mine = await exportCa(ca);
    const theirs = await exportCa(otherCa);
    await expect(importCa({ certificatePem: mine.certificatePem, privateKeyPem: theirs.privateKeyPem })).rejects.toThrow(/does not belong to CA certificate/);
    const leaf = await issueDeviceCertificate(ca, 'meter-leaf');
    await expect(importCa({ certificatePem: leaf.certificatePem, privateKeyPem: leaf.privateKeyPem })).rejects.toThrow(/is not a CA/);
    await expect(importCa({ certificatePem: 'not a certificate', privateKeyPem: mine.privateKeyPem })).rejects.toThrow(CaError);
    await expect(importCa({ certificatePem: mine.certificatePem, privateKeyPem: 'not a key' })).rejects.toThrow(/private key could not be read/);
  });
});

describe('device certificates', () => {
  it('carry the thing name as CN, chain to the CA, and come with their own key', async () => {
    const issued = await issueDeviceCertificate(ca, 'meter-1');
    const cert = new X509Certificate(issued.certificatePem);
    expect(cert.subject).toBe('CN=meter-1');
    expect(issued.commonName).toBe('meter-1');
    expect(cert.checkIssued(caCert)).toBe(true);
    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(cert.checkPrivateKey(createPrivateKey(issued.privateKeyPem))).toBe(true);
    expect(issued.certificateId).toMatch(/^[0-9a-f]{64}$/);
    expect(issued.certificateId).toBe(fingerprintHex(issued.certificatePem));
    expect(certificateIdOf(issued.certificatePem)).toBe(issued.certificateId);
    expect(cert.serialNumber.toLowerCase()).toBe(issued.serialNumber);
  });

  it('do not verify against another CA', async () => {
    const foreign = new X509Certificate((await issueDeviceCertificate(otherCa, 'meter-1')).certificatePem);
    expect(foreign.checkIssued(caCert)).toBe(false);
    expect(foreign.verify(caCert.publicKey)).toBe(false);
  });

  it('are unique per issue, even for the same thing', async () => {
    const [a, b] = await Promise.all([issueDeviceCertificate(ca, 'meter-1'), issueDeviceCertificate(ca, 'meter-1')]);
    expect(a.certificateId).not.toBe(b.certificateId);
    expect(a.serialNumber).not.toBe(b.serialNumber);
    expect(a.privateKeyPem).not.toBe(b.privateKeyPem);
  });

  it('take their validity from the clock given', async () => {
    const clock = manualClock('2026-03-01T12:00:00.000Z');
    const issued = await issueDeviceCertificate(ca, 'meter-1', { clock, validityDays: 30 });
    expect(issued.notBefore.toISOString()).toBe('2026-03-01T11:59:00.000Z');
    expect(issued.notAfter.toISOString()).toBe('2026-03-31T11:59:00.000Z');
    expect(new X509Certificate(issued.certificatePem).validTo).toBe('Mar 31 11:59:00 2026 GMT');
  });

  it('are refused for invalid or reserved names, and for outliving the CA', async () => {
    await expect(issueDeviceCertificate(ca, 'a/b')).rejects.toThrow(/no device certificate issued: thing name "a\/b" is not valid/);
    await expect(issueDeviceCertificate(ca, 'bridge:b1')).rejects.toThrow(/reserved for bridges/);
    await expect(issueDeviceCertificate(ca, 'm', { validityDays: 0 })).rejects.toThrow(/validityDays 0/);
    await expect(issueDeviceCertificate(ca, 'm', { validityDays: 36500 })).rejects.toThrow(/outlive its CA/);
  });
});

describe('bridge and server certificates', () => {
  it('give a bridge the CN bridge:<id>', async () => {
    const issued = await issueBridgeCertificate(ca, 'b1');
    const cert = new X509Certificate(issued.certificatePem);
    expect(cert.subject).toBe('CN=bridge:b1');
    expect(cert.checkIssued(caCert)).toBe(true);
    await expect(issueBridgeCertificate(ca, 'B1')).rejects.toThrow(/no bridge certificate issued/);
  });

  it('name localhost and the loopback addresses in the broker certificate', async () => {
    const issued = await issueServerCertificate(ca);
    const cert = new X509Certificate(issued.certificatePem);
    expect(cert.checkIssued(caCert)).toBe(true);
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkHost('example.com')).toBeUndefined();
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    await expect(issueServerCertificate(ca, { dnsNames: [], ipAddresses: [] })).rejects.toThrow(/at least one DNS name or IP address/);
  });
});

describe('revocation list', () => {
  it('answers by certificate id and round-trips through its ids', async () => {
    const issued = await issueDeviceCertificate(ca, 'meter-1');
    const list = new RevocationList();
    expect(list.isRevoked(issued.certificateId)).toBe(false);
    list.revoke(issued.certificateId);
    list.revoke(issued.certificateId);
    expect(list.isRevoked(issued.certificateId)).toBe(true);
    expect(list.size).toBe(1);
    expect(new RevocationList(list.ids()).isRevoked(issued.certificateId)).toBe(true);
    expect(() => list.revoke('ABC')).toThrow(/64-character lowercase hex/);
  });
});

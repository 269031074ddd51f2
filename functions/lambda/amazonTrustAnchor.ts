import { X509Certificate } from 'node:crypto';
import { rootCertificates } from 'node:tls';

/**
 * SHA-256 fingerprint of Amazon Root CA 1 (RSA 2048), the root AWS IoT Core's ATS endpoints chain
 * to and the one AWS tells devices to trust ("CA certificates for server authentication").
 */
export const AMAZON_ROOT_CA_1_SHA256 = '8E:CD:E6:88:4F:3D:87:B1:12:5B:A3:1A:C3:FC:B1:3D:70:16:DE:7F:57:CC:90:4F:E1:CB:97:C6:AE:98:19:6E';

/**
 * The trust anchor a device bootstrapped on AWS gets in object 18830: Amazon Root CA 1, taken
 * from the root store Node ships (the Mozilla list), picked by fingerprint so that no other
 * certificate can stand in for it. No copy of it lives in the repository.
 */
export const amazonRootCa1Pem = (roots: readonly string[] = rootCertificates): string => {
  for (const pem of roots) {
    if (new X509Certificate(pem).fingerprint256 === AMAZON_ROOT_CA_1_SHA256) return pem.endsWith('\n') ? pem : `${pem}\n`;
  }
  throw new Error(
    'Amazon Root CA 1 is not in this Node runtime’s root certificates (tls.rootCertificates): devices would get no trust anchor for AWS IoT Core. Use a Node runtime that ships the Mozilla root list.',
  );
};

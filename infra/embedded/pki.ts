import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCa, exportCa, importCa, type LocalCa } from '../../functions/registry/localCa.ts';

/**
 * The embedded runtime's certificate authority, created on first start in `<data dir>/pki` and
 * loaded afterwards, so device certificates issued once stay valid across restarts. The key file
 * is readable by its owner only; a key file others can read is refused.
 */
export const loadOrCreateCa = async (dataDir: string, commonName = 'LwM2M fleet embedded CA'): Promise<LocalCa> => {
  const dir = join(dataDir, 'pki');
  const certFile = join(dir, 'ca.pem');
  const keyFile = join(dir, 'ca.key');
  if (existsSync(certFile) && existsSync(keyFile)) {
    const mode = statSync(keyFile).mode & 0o077;
    if (mode !== 0) {
      throw new Error(`${keyFile} can be read by group or others (mode ${(statSync(keyFile).mode & 0o777).toString(8)}): run chmod 600 on it, then start again.`);
    }
    return importCa({ certificatePem: readFileSync(certFile, 'utf8'), privateKeyPem: readFileSync(keyFile, 'utf8') });
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ca = await createCa({ commonName });
  const exported = await exportCa(ca);
  writeFileSync(keyFile, exported.privateKeyPem, { mode: 0o600 });
  chmodSync(keyFile, 0o600);
  writeFileSync(certFile, exported.certificatePem);
  return ca;
};

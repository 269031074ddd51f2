/** The cipher suites this server speaks; all use the SHA-256 PRF. */
export interface CipherSuite {
  readonly id: number;
  readonly name: CipherSuiteName;
  readonly keyExchange: 'psk' | 'ecdhe_psk';
  readonly cipher: 'aes_128_ccm_8' | 'aes_128_cbc_sha256';
  /** Key block layout (RFC 5246 §6.3): per direction. */
  readonly macKeyLength: number;
  readonly encKeyLength: number;
  readonly fixedIvLength: number;
}

export type CipherSuiteName = 'TLS_PSK_WITH_AES_128_CCM_8' | 'TLS_PSK_WITH_AES_128_CBC_SHA256' | 'TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256';

export const CIPHER_SUITES: readonly CipherSuite[] = [
  // RFC 6655 §3, the mandatory PSK suite of RFC 7925 §4.2: 4-byte implicit salt, 8-byte explicit nonce.
  { id: 0xc0a8, name: 'TLS_PSK_WITH_AES_128_CCM_8', keyExchange: 'psk', cipher: 'aes_128_ccm_8', macKeyLength: 0, encKeyLength: 16, fixedIvLength: 4 },
  // RFC 5487 §3.2: MAC-then-encrypt CBC with an explicit per-record IV (RFC 5246 §6.2.3.2).
  { id: 0x00ae, name: 'TLS_PSK_WITH_AES_128_CBC_SHA256', keyExchange: 'psk', cipher: 'aes_128_cbc_sha256', macKeyLength: 32, encKeyLength: 16, fixedIvLength: 0 },
  // RFC 5489 §3: ECDHE for forward secrecy, the PSK authenticates.
  { id: 0xc037, name: 'TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256', keyExchange: 'ecdhe_psk', cipher: 'aes_128_cbc_sha256', macKeyLength: 32, encKeyLength: 16, fixedIvLength: 0 },
];

export const cipherSuiteByName = (name: CipherSuiteName): CipherSuite => {
  const s = CIPHER_SUITES.find((c) => c.name === name);
  if (s === undefined) throw new Error(`unknown cipher suite ${String(name)}: use one of ${CIPHER_SUITES.map((c) => c.name).join(', ')}`);
  return s;
};

export const cipherSuiteById = (id: number): CipherSuite | undefined => CIPHER_SUITES.find((c) => c.id === id);

/** The first suite in the server's preference order that the client offers. */
export const chooseCipherSuite = (serverPreference: readonly CipherSuite[], offered: readonly number[]): CipherSuite | undefined =>
  serverPreference.find((s) => offered.includes(s.id));

export const keyBlockLength = (s: CipherSuite) => 2 * (s.macKeyLength + s.encKeyLength + s.fixedIvLength);

import { describe, expect, it } from 'vitest';
import { cipherSuiteByName } from '../../functions/dtls/cipherSuites.ts';
import { extendedMasterSecret, finishedVerifyData, keyBlock, masterSecret, prf, pskPremasterSecret, sha256 } from '../../functions/dtls/prf.ts';
import { deriveKeys } from '../../functions/dtls/recordProtection.ts';

const hex = (s: string) => Buffer.from(s.replace(/[^0-9a-f]/gi, ''), 'hex');

// Expected values computed with OpenSSL 3.0's TLS1-PRF, e.g.
//   openssl kdf -keylen 100 -kdfopt digest:SHA256 -kdfopt hexsecret:<secret> -kdfopt seed:"<label>" -kdfopt hexseed:<seed> TLS1-PRF
describe('TLS 1.2 PRF (RFC 5246 §5)', () => {
  it('matches OpenSSL for a 100-byte output (more than three HMAC blocks)', () => {
    const out = prf(hex('9bbe436ba940f017b17652849a71db35'), 'test label', hex('a0ba9f936cda311827a6f796ffd5198c'), 100);
    expect(out.toString('hex')).toBe(
      'e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff70187347b66',
    );
  });

  it('builds the PSK premaster secret as RFC 4279 §2 says: zeros the length of the key, then the key', () => {
    const psk = hex('00112233445566778899aabbccddeeff');
    expect(pskPremasterSecret(psk).toString('hex')).toBe('0010' + '00'.repeat(16) + '0010' + psk.toString('hex'));
    expect(pskPremasterSecret(psk, hex('abcd')).toString('hex')).toBe('0002abcd0010' + psk.toString('hex'));
  });

  const premaster = pskPremasterSecret(hex('00112233445566778899aabbccddeeff'));

  it('derives the master secret from both randoms (RFC 5246 §8.1), as OpenSSL does', () => {
    const clientRandom = hex('00'.repeat(31) + '01');
    const serverRandom = hex('00'.repeat(31) + '02');
    expect(masterSecret(premaster, clientRandom, serverRandom).toString('hex')).toBe(
      '90dac796b8f59b5211cdf8d38b3e583159855869950427b291946825d993dc5c1bd718dde537f6ada15d66a55909553e',
    );
  });

  it('derives the extended master secret from the session hash (RFC 7627 §4), as OpenSSL does', () => {
    const sessionHash = sha256([Buffer.from('session')]);
    expect(extendedMasterSecret(premaster, sessionHash).toString('hex')).toBe(
      'a5c677b98ea20e2501f6b249a644cfc07595f057a396e7aabe53e24e07d2ed581443cc8cf53909d3dd4abf084488e10c',
    );
  });

  it('makes 12-byte Finished verify_data that differs between client and server', () => {
    const master = Buffer.alloc(48, 1);
    const h = sha256([Buffer.from('transcript')]);
    const client = finishedVerifyData(master, 'client', h);
    const server = finishedVerifyData(master, 'server', h);
    expect(client).toHaveLength(12);
    expect(client.equals(server)).toBe(false);
    expect(client.equals(prf(master, 'client finished', h, 12))).toBe(true);
  });

  it('cuts the key block in RFC 5246 §6.3 order: MAC keys, encryption keys, IVs, client before server', () => {
    const master = Buffer.alloc(48, 9);
    const cr = Buffer.alloc(32, 1);
    const sr = Buffer.alloc(32, 2);
    const ccm = deriveKeys(cipherSuiteByName('TLS_PSK_WITH_AES_128_CCM_8'), master, cr, sr);
    const ccmBlock = keyBlock(master, cr, sr, 40);
    expect(ccm.client.macKey).toHaveLength(0);
    expect(ccm.client.encKey.equals(ccmBlock.subarray(0, 16))).toBe(true);
    expect(ccm.server.encKey.equals(ccmBlock.subarray(16, 32))).toBe(true);
    expect(ccm.client.fixedIv.equals(ccmBlock.subarray(32, 36))).toBe(true);
    expect(ccm.server.fixedIv.equals(ccmBlock.subarray(36, 40))).toBe(true);

    const cbc = deriveKeys(cipherSuiteByName('TLS_PSK_WITH_AES_128_CBC_SHA256'), master, cr, sr);
    const cbcBlock = keyBlock(master, cr, sr, 96);
    expect(cbc.client.macKey.equals(cbcBlock.subarray(0, 32))).toBe(true);
    expect(cbc.server.macKey.equals(cbcBlock.subarray(32, 64))).toBe(true);
    expect(cbc.client.encKey.equals(cbcBlock.subarray(64, 80))).toBe(true);
    expect(cbc.server.encKey.equals(cbcBlock.subarray(80, 96))).toBe(true);
    // The key block's seed is server_random + client_random, the reverse of the master secret's.
    expect(keyBlock(master, cr, sr, 16).equals(prf(master, 'key expansion', Buffer.concat([sr, cr]), 16))).toBe(true);
  });
});

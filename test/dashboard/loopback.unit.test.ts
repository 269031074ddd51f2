import { describe, expect, it } from 'vitest';
import { isLoopbackAddress, isLoopbackHost } from '../../functions/dashboard/loopback.ts';

describe('isLoopbackAddress: who may use the role picker', () => {
  it.each(['127.0.0.1', '127.1.2.3', '127.255.255.254', '::1', '0:0:0:0:0:0:0:1', '::0:1', '::ffff:127.0.0.1', '::FFFF:127.9.9.9', 'fe80::1%lo'.replace('fe80', '0')])('%s is this machine', (address) => {
    expect(isLoopbackAddress(address)).toBe(true);
  });

  it.each(['10.0.0.5', '192.168.1.20', '128.0.0.1', '0.0.0.0', '::', '::2', 'fe80::1', '::ffff:10.0.0.1', '2001:db8::1', '1::1', 'localhost', '127.0.0.1.evil.example', '', 'garbage'])(
    '%s is not',
    (address) => {
      expect(isLoopbackAddress(address)).toBe(false);
    },
  );

  it('an unknown address (a closed socket) is not', () => {
    expect(isLoopbackAddress(undefined)).toBe(false);
  });
});

describe('isLoopbackHost: requests addressed to this machine (DNS rebinding)', () => {
  it.each(['localhost', 'localhost:8080', 'LOCALHOST:8080', 'console.localhost:8080', '127.0.0.1', '127.0.0.1:49152', '[::1]', '[::1]:8080'])('%s names this machine', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });

  it.each(['evil.example', 'evil.example:8080', '127.0.0.1.nip.io', 'localhost.evil.example', '10.0.0.5:8080', '[fe80::1]:8080', '', undefined])('%s does not', (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });
});

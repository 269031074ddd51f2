import { isIP } from 'node:net';

/**
 * Whether a socket's remote address is this machine: 127.0.0.0/8, ::1, or either written as an
 * IPv4-mapped IPv6 address (how a dual-stack listener reports IPv4 callers). Anything else,
 * including an unparseable address, is not.
 */
export const isLoopbackAddress = (address: string | undefined): boolean => {
  if (!address) return false;
  const plain = address.toLowerCase().replace(/%.*$/, '');
  const v4 = plain.startsWith('::ffff:') ? plain.slice('::ffff:'.length) : plain;
  if (isIP(v4) === 4) return v4.startsWith('127.');
  if (isIP(plain) !== 6) return false;
  // ::1 in any of its spellings (0:0:0:0:0:0:0:1, ::0:1, ...): every group zero but the last, which is 1.
  const [head = '', tail = ''] = plain.split('::');
  const groups = plain.includes('::') ? [...head.split(':'), ...tail.split(':')].filter((g) => g !== '') : plain.split(':');
  const last = groups.pop();
  return last !== undefined && Number.parseInt(last, 16) === 1 && groups.every((g) => Number.parseInt(g, 16) === 0);
};

/**
 * Whether a request's Host header names this machine (localhost, a 127.x address or [::1], with
 * any port). A page on another site can make a browser resolve its own name to 127.0.0.1 (DNS
 * rebinding) and then read loopback answers as same-origin; its requests still carry its name.
 */
export const isLoopbackHost = (host: string | undefined): boolean => {
  if (!host) return false;
  const name = host.toLowerCase().replace(/:\d+$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (name.startsWith('[') && name.endsWith(']')) return isLoopbackAddress(name.slice(1, -1));
  return isIP(name) === 4 && name.startsWith('127.');
};

import type { IssuedToken } from '../api/auth/localIssuer.ts';
import { ROLES, type Role } from '../api/auth/roles.ts';

export interface BannerInput {
  /** What runs where, as the runtime's modules report it (http, dataDir, mqtts, coap, ...). */
  readonly endpoints: Readonly<Record<string, string>>;
  /** The API's base URL. */
  readonly url: string;
  /** A fresh token per role. */
  readonly tokens: Readonly<Record<Role, IssuedToken>>;
}

/** Endpoint names as people read them; modules may add others, shown under their own names. */
const LABELS: Readonly<Record<string, string>> = {
  http: 'HTTP API',
  mqtts: 'MQTT (TLS)',
  coap: 'LwM2M (CoAP)',
  coaps: 'LwM2M (DTLS)',
  dataDir: 'data dir',
};
const ORDER = ['http', 'mqtts', 'coap', 'coaps', 'dataDir'];

const rank = (key: string) => {
  const i = ORDER.indexOf(key);
  return i === -1 ? ORDER.length : i;
};

/** A shell word: single-quoted unless it is plainly safe. */
const shellWord = (text: string) => (/^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`);

/**
 * What `npm start` prints once everything listens: what runs where, a token for each role (so the
 * API can be tried at once), and one curl line that works as pasted. Tokens expire (1 hour); the
 * CLI mints more from the same data dir.
 */
export const startupBanner = (input: BannerInput): string => {
  const entries = Object.entries(input.endpoints).sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
  const labelled = entries.map(([k, v]) => [LABELS[k] ?? k, k === 'http' ? `${v}  (contract: ${v}/openapi.json)` : v] as const);
  labelled.push(['health', `${input.url}/health`]);
  const width = Math.max(...labelled.map(([l]) => l.length));
  const expiry = input.tokens.viewer.expiresAt.toISOString();
  const roleWidth = Math.max(...ROLES.map((r) => r.length));
  const viewerToken = input.tokens.viewer.token;
  return [
    '',
    'LwM2M fleet backend (embedded) is running',
    ...labelled.map(([l, v]) => `  ${l.padEnd(width)}  ${v}`),
    '',
    `Tokens for the API (Authorization: Bearer <token>), valid until ${expiry}:`,
    ...ROLES.map((r) => `  ${r.padEnd(roleWidth)}  ${input.tokens[r].token}`),
    `More: npm run fleet -- token --role <${ROLES.join('|')}>  (same data dir)`,
    '',
    'Try it:',
    `  curl -s -H ${shellWord(`Authorization: Bearer ${viewerToken}`)} ${shellWord(`${input.url}/devices?limit=5`)}`,
    '',
    'Ctrl-C stops it cleanly.',
    '',
  ].join('\n');
};

import { randomUUID } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK } from 'jose';
import type { Clock } from '../../shared/clock.ts';
import { isRole, ROLES, type Role } from './roles.ts';
import { LOCAL_AUDIENCE, LOCAL_ISSUER, localProfile } from './tokenProfiles.ts';
import { createTokenVerifier, type TokenVerifier } from './tokenVerifier.ts';

export interface IssueOptions {
  /** Lifetime; 1 hour unless given, at most MAX_TOKEN_TTL_SECONDS. */
  readonly ttlSeconds?: number;
}

export interface IssuedToken {
  readonly token: string;
  readonly expiresAt: Date;
}

export interface TokenIssuer {
  readonly issuer: string;
  readonly audience: string;
  /** The key id (RFC 7638 thumbprint) in every token's header. */
  readonly keyId: string;
  /** The public key as a JWK, e.g. to publish as a key set. */
  readonly publicJwk: JWK;
  /** A bearer token for one role. */
  issue(role: Role, subject: string, options?: IssueOptions): Promise<string>;
  /** The same, with its expiry (what a CLI prints). */
  issueWithExpiry(role: Role, subject: string, options?: IssueOptions): Promise<IssuedToken>;
  /** Verifies tokens of this issuer only. */
  readonly verifier: TokenVerifier;
}

export const DEFAULT_TOKEN_TTL_SECONDS = 3600;
/** A week: long enough for a service account rotated weekly, short enough that a leaked token dies. */
export const MAX_TOKEN_TTL_SECONDS = 7 * 24 * 3600;
const SUBJECT = /^[\w.@:+-]{1,128}$/;

/** Where the embedded system keeps its token signing key. */
export const issuerKeyFile = (dataDir: string) => join(dataDir, 'auth', 'issuer-es256.jwk.json');

const isPrivateEcJwk = (value: unknown): value is JWK & { kid: string } => {
  const jwk = value as Record<string, unknown> | null;
  return typeof jwk === 'object' && jwk !== null && jwk.kty === 'EC' && jwk.crv === 'P-256' && ['x', 'y', 'd', 'kid'].every((k) => typeof jwk[k] === 'string');
};

const readKey = (file: string): JWK & { kid: string } => {
  const mode = statSync(file).mode;
  if ((mode & 0o077) !== 0) {
    throw new Error(`${file} can be read by group or others (mode ${(mode & 0o777).toString(8)}): run chmod 600 on it, then start again.`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file} is not JSON (${(err as Error).message}): restore it from a backup, or delete it to create a new key (tokens issued with the old one stop working).`);
  }
  if (!isPrivateEcJwk(parsed)) {
    throw new Error(`${file} is not an ES256 private key (a P-256 JWK with kid): restore it from a backup, or delete it to create a new key (tokens issued with the old one stop working).`);
  }
  return parsed;
};

/**
 * Creates the key once: written to a private temporary file, then hard-linked into place, which
 * fails if the file exists. Two processes starting on the same data dir (the server and the CLI)
 * therefore end with one key, and neither ever reads a half-written file.
 */
const createKeyOnce = async (file: string, dir: string): Promise<JWK & { kid: string }> => {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(jwk);
  const tmp = join(dir, `.issuer-${randomUUID()}.tmp`);
  writeFileSync(tmp, `${JSON.stringify({ ...jwk, kid, alg: 'ES256', use: 'sig' })}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(tmp, 0o600);
  try {
    linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    unlinkSync(tmp);
  }
  return readKey(file);
};

export interface LocalIssuerOptions {
  readonly dataDir: string;
  readonly clock: Clock;
}

/**
 * The embedded system's token issuer: an ES256 key created on first start in
 * `<data dir>/auth/` (owner-only), loaded afterwards, so tokens survive restarts. It signs tokens
 * with `iss` LOCAL_ISSUER, `aud` LOCAL_AUDIENCE and the role in `roles`, and its verifier accepts
 * exactly those.
 */
export const loadOrCreateLocalIssuer = async (options: LocalIssuerOptions): Promise<TokenIssuer> => {
  const dir = join(options.dataDir, 'auth');
  const file = issuerKeyFile(options.dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  let jwk: JWK & { kid: string };
  try {
    jwk = readKey(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    jwk = await createKeyOnce(file, dir);
  }
  const privateKey = (await importJWK(jwk, 'ES256')) as CryptoKey;
  const { d: _private, ...publicJwk } = jwk;
  const publicKey = (await importJWK(publicJwk, 'ES256')) as CryptoKey;
  const clock = options.clock;

  const issueWithExpiry = async (role: Role, subject: string, issueOptions: IssueOptions = {}): Promise<IssuedToken> => {
    if (!isRole(role)) throw new TypeError(`"${String(role)}" is not a role: use one of ${ROLES.join(', ')}.`);
    if (!SUBJECT.test(subject)) throw new TypeError(`"${subject}" is not a usable subject: use 1-128 letters, digits and . _ @ : + -, e.g. an e-mail address or "ops-dashboard".`);
    const ttl = issueOptions.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS;
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TOKEN_TTL_SECONDS) {
      throw new RangeError(`a token lives 1 to ${MAX_TOKEN_TTL_SECONDS} seconds (a week); ${ttl} was asked for.`);
    }
    const now = Math.floor(clock.now().getTime() / 1000);
    const token = await new SignJWT({ roles: [role] })
      .setProtectedHeader({ alg: 'ES256', kid: jwk.kid, typ: 'JWT' })
      .setIssuer(LOCAL_ISSUER)
      .setAudience(LOCAL_AUDIENCE)
      .setSubject(subject)
      .setJti(randomUUID())
      .setIssuedAt(now)
      .setExpirationTime(now + ttl)
      .sign(privateKey);
    return { token, expiresAt: new Date((now + ttl) * 1000) };
  };

  return {
    issuer: LOCAL_ISSUER,
    audience: LOCAL_AUDIENCE,
    keyId: jwk.kid,
    publicJwk,
    issueWithExpiry,
    issue: async (role, subject, issueOptions) => (await issueWithExpiry(role, subject, issueOptions)).token,
    verifier: createTokenVerifier({ key: publicKey, profile: localProfile, clock }),
  };
};

import { createPrivateKey, X509Certificate } from 'node:crypto';
import { MQTT_BROKER, MQTT_SECURITY_MODE } from '../../schemas/lwm2m/index.ts';
import type { ObjectTree } from './objectTree.ts';
import {
  BROKER_URI,
  CLEAN_SESSION,
  CLIENT_CERTIFICATE,
  CLIENT_ID,
  KEEP_ALIVE,
  PASSWORD,
  PRIVATE_KEY,
  SECURITY_MODE,
  TRUST_ANCHOR,
  USER_NAME,
} from './objects/mqttBroker.ts';
import { booleanOf, bytesOf, numberOf, stringOf } from './objects/values.ts';

/** What an MQTT connection needs, read from an object 18830 instance. */
export interface MqttCredentials {
  readonly uri: string;
  readonly clientId: string;
  readonly cleanSession: boolean;
  readonly keepAliveSeconds: number;
  readonly username?: string;
  readonly password?: string;
  /** Certificate mode: the client certificate, its key and the CA to trust, as PEM. NoSec: absent. */
  readonly tls?: { readonly certificatePem: string; readonly privateKeyPem: string; readonly trustAnchorPem: string };
}

export type CredentialsRead =
  | { readonly ok: true; readonly value: MqttCredentials }
  /** `missing`: resources not written yet (the bootstrap is still going); `invalid`: written but unusable. */
  | { readonly ok: false; readonly missing: readonly string[]; readonly invalid?: string };

const name = (resourceId: number): string => MQTT_BROKER.resources.find((r) => r.id === resourceId)?.name ?? String(resourceId);

const isPem = (bytes: Uint8Array): boolean => Buffer.from(bytes.subarray(0, 64)).toString('latin1').includes('-----BEGIN ');

/** Certificates and keys arrive as PEM or DER (object 18830 says only "Opaque"); TLS wants PEM. */
const certificatePem = (bytes: Uint8Array): string => (isPem(bytes) ? Buffer.from(bytes).toString('utf8') : new X509Certificate(Buffer.from(bytes)).toString());

const privateKeyPem = (bytes: Uint8Array): string => {
  if (isPem(bytes)) return Buffer.from(bytes).toString('utf8');
  const der = Buffer.from(bytes);
  for (const type of ['pkcs8', 'sec1', 'pkcs1'] as const) {
    try {
      return createPrivateKey({ key: der, format: 'der', type }).export({ format: 'pem', type: 'pkcs8' }).toString();
    } catch {
      // Not this encoding; try the next.
    }
  }
  throw new Error('the Secret Key is neither PEM nor DER (PKCS#8, SEC1 or PKCS#1)');
};

/** The credentials of one 18830 instance, or what is still missing or wrong. */
export const readCredentials = (tree: ObjectTree, instanceId: number): CredentialsRead => {
  const get = (r: number) => tree.value(MQTT_BROKER.id, instanceId, r);
  const uri = stringOf(get(BROKER_URI));
  const clientId = stringOf(get(CLIENT_ID));
  const mode = numberOf(get(SECURITY_MODE)) ?? MQTT_SECURITY_MODE.certificate;
  const certificate = bytesOf(get(CLIENT_CERTIFICATE));
  const trustAnchor = bytesOf(get(TRUST_ANCHOR));
  const key = bytesOf(get(PRIVATE_KEY));
  const missing: string[] = [];
  if (uri === undefined || uri === '') missing.push(name(BROKER_URI));
  if (clientId === undefined || clientId === '') missing.push(name(CLIENT_ID));
  if (mode === MQTT_SECURITY_MODE.certificate) {
    if (certificate === undefined) missing.push(name(CLIENT_CERTIFICATE));
    if (key === undefined) missing.push(name(PRIVATE_KEY));
    if (trustAnchor === undefined) missing.push(name(TRUST_ANCHOR));
  }
  if (missing.length > 0 || uri === undefined || clientId === undefined) return { ok: false, missing };
  const scheme = uri.split(':')[0];
  const secure = mode === MQTT_SECURITY_MODE.certificate;
  if (secure ? scheme !== 'mqtts' : scheme !== 'mqtt') {
    return { ok: false, missing: [], invalid: `URI ${uri} does not match Security Mode ${mode}: certificates go with mqtts://, no security with mqtt://` };
  }
  const username = stringOf(get(USER_NAME));
  const password = bytesOf(get(PASSWORD));
  let tls: MqttCredentials['tls'];
  if (secure) {
    try {
      tls = { certificatePem: certificatePem(certificate!), privateKeyPem: privateKeyPem(key!), trustAnchorPem: certificatePem(trustAnchor!) };
    } catch (error) {
      return { ok: false, missing: [], invalid: `unusable key material: ${error instanceof Error ? error.message : String(error)}` };
    }
  }
  return {
    ok: true,
    value: {
      uri,
      clientId,
      cleanSession: booleanOf(get(CLEAN_SESSION)) ?? true,
      keepAliveSeconds: numberOf(get(KEEP_ALIVE)) ?? 60,
      ...(username !== undefined ? { username } : {}),
      ...(password !== undefined ? { password: Buffer.from(password).toString('utf8') } : {}),
      ...(tls !== undefined ? { tls } : {}),
    },
  };
};

/** Two credential sets connect the same way (a rewrite of the same values must not reconnect). */
export const sameCredentials = (a: MqttCredentials | undefined, b: MqttCredentials | undefined): boolean => JSON.stringify(a) === JSON.stringify(b);

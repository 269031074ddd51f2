import { z } from 'zod';
import { BRIDGE_ID_PATTERN } from '../../schemas/topics/topics.ts';
import type { BridgeOptions } from './bridge.ts';

/** A setting the process cannot start with; the message names the variable and what to do. */
export class BridgeConfigError extends Error {
  override name = 'BridgeConfigError';
}

const Port = z.coerce.number().int().min(0).max(65535);

const Env = z.object({
  FLEET_BRIDGE_ID: z.string().regex(BRIDGE_ID_PATTERN, 'use 1-63 lowercase letters, digits and "-" (the bridge is the thing bridge:<id>)'),
  FLEET_BRIDGE_MQTT_URL: z.string().regex(/^mqtts:\/\/[^/\s:]+(:\d{1,5})?$/, 'use mqtts://<host>:<port>, e.g. the AWS IoT Core ATS endpoint on 8883'),
  FLEET_BRIDGE_CA_PEM: z.string().optional(),
  FLEET_BRIDGE_CA_FILE: z.string().optional(),
  FLEET_BRIDGE_CERT_PEM: z.string().optional(),
  FLEET_BRIDGE_CERT_FILE: z.string().optional(),
  FLEET_BRIDGE_KEY_PEM: z.string().optional(),
  FLEET_BRIDGE_KEY_FILE: z.string().optional(),
  /** Default 127.0.0.1: a container behind a load balancer sets 0.0.0.0 deliberately. */
  FLEET_LWM2M_HOST: z.string().min(1).default('127.0.0.1'),
  FLEET_LWM2M_PORT: Port.default(5683),
  /** Where devices reach this bridge (the NLB's name), comma-separated, for the status message. */
  FLEET_BRIDGE_PUBLIC_ENDPOINTS: z
    .string()
    .regex(/^coaps?:\/\/[^,\s]+(,coaps?:\/\/[^,\s]+){0,3}$/, 'use up to 4 comma-separated coap:// or coaps:// URLs')
    .optional(),
  /** CoAP over DTLS (the CDK sets 5684); when set, the devices' PSKs come from CREDENTIALS_BUCKET. */
  LWM2M_COAPS_PORT: Port.optional(),
  /** Plain CoAP beside DTLS: off by default once DTLS is on (a device without a PSK cannot bootstrap on AWS anyway). */
  LWM2M_PLAIN_COAP: z.enum(['true', 'false']).optional(),
  CREDENTIALS_BUCKET: z.string().min(3).optional(),
});

export type BridgeEnvironment = Readonly<Record<string, string | undefined>>;

/** A PEM given inline (`_PEM`, e.g. from a secret) or as a file (`_FILE`), exactly one of them. */
const pem = (env: z.infer<typeof Env>, name: 'CA' | 'CERT' | 'KEY', readFile: (path: string) => string): string => {
  const inline = env[`FLEET_BRIDGE_${name}_PEM`];
  const file = env[`FLEET_BRIDGE_${name}_FILE`];
  if ((inline === undefined) === (file === undefined)) {
    throw new BridgeConfigError(`set exactly one of FLEET_BRIDGE_${name}_PEM (the PEM itself) and FLEET_BRIDGE_${name}_FILE (a path to it)`);
  }
  let text: string;
  try {
    text = inline ?? readFile(file!);
  } catch (error) {
    throw new BridgeConfigError(`FLEET_BRIDGE_${name}_FILE: cannot read ${file}: ${(error as Error).message}`);
  }
  // Never quote the value: the key is a secret.
  if (!/-----BEGIN [A-Z0-9 ]+-----/.test(text)) throw new BridgeConfigError(`FLEET_BRIDGE_${name}_${inline !== undefined ? 'PEM' : 'FILE'} does not hold a PEM block (-----BEGIN ...-----)`);
  return text;
};

/** The standalone bridge's settings (functions/bridge/main.ts), read once; a bad one stops the start. */
export const bridgeOptionsFromEnv = (env: BridgeEnvironment, readFile: (path: string) => string): BridgeOptions => {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new BridgeConfigError(`Invalid bridge configuration (${problems}). Fix the environment variable(s) and start again.`);
  }
  const e = parsed.data;
  return {
    bridgeId: e.FLEET_BRIDGE_ID,
    mqtt: { url: e.FLEET_BRIDGE_MQTT_URL, ca: pem(e, 'CA', readFile), cert: pem(e, 'CERT', readFile), key: pem(e, 'KEY', readFile) },
    lwm2m: { host: e.FLEET_LWM2M_HOST, port: e.FLEET_LWM2M_PORT },
    ...(e.FLEET_BRIDGE_PUBLIC_ENDPOINTS !== undefined ? { lwm2mEndpoints: e.FLEET_BRIDGE_PUBLIC_ENDPOINTS.split(',') } : {}),
  };
};

/** CoAP over DTLS for the standalone bridge: where it listens, whether plain CoAP stays on, where the PSKs are. */
export interface BridgeDtlsSettings {
  readonly host: string;
  readonly port: number;
  readonly plainCoap: boolean;
  readonly credentialsBucket: string;
}

/** The DTLS settings, or undefined when LWM2M_COAPS_PORT is not set (plain CoAP only, as before). */
export const bridgeDtlsFromEnv = (env: BridgeEnvironment): BridgeDtlsSettings | undefined => {
  const parsed = Env.pick({ FLEET_LWM2M_HOST: true, LWM2M_COAPS_PORT: true, LWM2M_PLAIN_COAP: true, CREDENTIALS_BUCKET: true }).safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new BridgeConfigError(`Invalid DTLS configuration (${problems}). Fix the environment variable(s) and start again.`);
  }
  const e = parsed.data;
  if (e.LWM2M_COAPS_PORT === undefined) {
    if (e.LWM2M_PLAIN_COAP === 'false') throw new BridgeConfigError('LWM2M_PLAIN_COAP=false needs LWM2M_COAPS_PORT: without DTLS no device could reach the bridge.');
    return undefined;
  }
  if (e.CREDENTIALS_BUCKET === undefined) throw new BridgeConfigError('LWM2M_COAPS_PORT needs CREDENTIALS_BUCKET: the bucket that holds the devices\' PSKs (devices/<thing>/psk.json).');
  return { host: e.FLEET_LWM2M_HOST, port: e.LWM2M_COAPS_PORT, plainCoap: e.LWM2M_PLAIN_COAP === 'true', credentialsBucket: e.CREDENTIALS_BUCKET };
};

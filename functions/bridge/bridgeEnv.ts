import { z } from 'zod';
import { BRIDGE_ID_PATTERN } from '../../schemas/topics/topics.ts';
import type { BridgeOptions } from './bridge.ts';

/** A setting the process cannot start with; the message names the variable and what to do. */
export class BridgeConfigError extends Error {
  override name = 'BridgeConfigError';
}

const Port = z.coerce.number().int().min(0).max(65535);

const BridgeId = z.string().regex(BRIDGE_ID_PATTERN, 'use 1-63 lowercase letters, digits and "-" (the bridge is the thing bridge:<id>)');

const Env = z.object({
  /** A fixed identity; or FLEET_BRIDGE_ID_POOL with FLEET_BRIDGE_LEASE_TABLE (Fargate: each task claims one). */
  FLEET_BRIDGE_ID: BridgeId.optional(),
  FLEET_BRIDGE_ID_POOL: z
    .string()
    .transform((v) => v.split(','))
    .pipe(z.array(BridgeId).min(1).max(100))
    .optional(),
  FLEET_BRIDGE_LEASE_TABLE: z.string().regex(/^[a-zA-Z0-9_.-]{3,255}$/, 'use the lease table\'s name (3-255 of a-z A-Z 0-9 _ . -)').optional(),
  /** Default: the account's AWS IoT Core ATS endpoint (iot:DescribeEndpoint) on FLEET_BRIDGE_MQTT_PORT. */
  FLEET_BRIDGE_MQTT_URL: z.string().regex(/^mqtts:\/\/[^/\s:]+(:\d{1,5})?$/, 'use mqtts://<host>:<port>, e.g. the AWS IoT Core ATS endpoint on 8883').optional(),
  FLEET_BRIDGE_MQTT_PORT: Port.default(8883),
  /** Default for the CA: Amazon Root CA 1 (AWS IoT Core's ATS endpoints chain to it). */
  FLEET_BRIDGE_CA_PEM: z.string().optional(),
  FLEET_BRIDGE_CA_FILE: z.string().optional(),
  /** Default for the certificate and key: `bridges/<id>/mqtt.json` in CREDENTIALS_BUCKET. */
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
  /** GET /health on FLEET_LWM2M_HOST and this port, for the load balancer; off when unset. */
  FLEET_BRIDGE_HEALTH_PORT: Port.optional(),
  /** CoAP over DTLS (the CDK sets 5684); when set, the devices' PSKs come from CREDENTIALS_BUCKET. */
  LWM2M_COAPS_PORT: Port.optional(),
  /** Plain CoAP beside DTLS: off by default once DTLS is on (a device without a PSK cannot bootstrap on AWS anyway). */
  LWM2M_PLAIN_COAP: z.enum(['true', 'false']).optional(),
  CREDENTIALS_BUCKET: z.string().min(3).optional(),
  /** The directory projection table: with it, a suspended or deprovisioned device is refused at the DTLS handshake. */
  DIRECTORY_TABLE: z.string().min(3).optional(),
});

/** Every variable the standalone bridge reads (the CDK test checks the task definition sets no other). */
export const BRIDGE_ENV_NAMES: readonly string[] = Object.keys(Env.shape);

export type BridgeEnvironment = Readonly<Record<string, string | undefined>>;

type ParsedEnv = z.infer<typeof Env>;

const problemsOf = (error: z.ZodError) => error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');

const parseEnv = (env: BridgeEnvironment): ParsedEnv => {
  const parsed = Env.safeParse(env);
  if (!parsed.success) throw new BridgeConfigError(`Invalid bridge configuration (${problemsOf(parsed.error)}). Fix the environment variable(s) and start again.`);
  return parsed.data;
};

/** A PEM given inline (`_PEM`, e.g. from a secret) or as a file (`_FILE`): at most one of them; undefined for neither. */
const pem = (env: ParsedEnv, name: 'CA' | 'CERT' | 'KEY', readFile: (path: string) => string): string | undefined => {
  const inline = env[`FLEET_BRIDGE_${name}_PEM`];
  const file = env[`FLEET_BRIDGE_${name}_FILE`];
  if (inline === undefined && file === undefined) return undefined;
  if (inline !== undefined && file !== undefined) {
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

/** Who the process runs as: one fixed bridge id, or a free one of a pool claimed through the lease table. */
export type BridgeIdentitySource = { readonly bridgeId: string } | { readonly pool: readonly string[]; readonly leaseTable: string };

/**
 * Everything the standalone bridge reads from its environment, before anything asks AWS: what is
 * not given here (the bridge id of a pool, the broker, the certificate) main.ts finds out at start.
 */
export interface BridgeSettings {
  readonly identity: BridgeIdentitySource;
  readonly mqtt: {
    /** Undefined: the account's IoT data endpoint on `port`. */
    readonly url?: string;
    readonly port: number;
    /** Undefined: Amazon Root CA 1. */
    readonly ca?: string;
    /** Undefined: the identity's certificate from `credentialsBucket`. */
    readonly certificate?: { readonly cert: string; readonly key: string };
  };
  readonly lwm2m: { readonly host: string; readonly port: number };
  readonly lwm2mEndpoints?: readonly string[];
  readonly health?: { readonly host: string; readonly port: number };
  readonly credentialsBucket?: string;
  readonly directoryTable?: string;
}

/** The standalone bridge's settings (functions/bridge/main.ts), read once; a bad or missing one stops the start. */
export const bridgeSettingsFromEnv = (env: BridgeEnvironment, readFile: (path: string) => string): BridgeSettings => {
  const e = parseEnv(env);
  let identity: BridgeIdentitySource;
  if (e.FLEET_BRIDGE_ID !== undefined) {
    if (e.FLEET_BRIDGE_ID_POOL !== undefined) throw new BridgeConfigError('set FLEET_BRIDGE_ID (one fixed identity) or FLEET_BRIDGE_ID_POOL (claim a free one), not both');
    identity = { bridgeId: e.FLEET_BRIDGE_ID };
  } else if (e.FLEET_BRIDGE_ID_POOL !== undefined) {
    if (e.FLEET_BRIDGE_LEASE_TABLE === undefined) throw new BridgeConfigError('FLEET_BRIDGE_ID_POOL needs FLEET_BRIDGE_LEASE_TABLE: the DynamoDB table through which tasks claim their ids.');
    identity = { pool: e.FLEET_BRIDGE_ID_POOL, leaseTable: e.FLEET_BRIDGE_LEASE_TABLE };
  } else {
    throw new BridgeConfigError('Invalid bridge configuration (FLEET_BRIDGE_ID: set it, or FLEET_BRIDGE_ID_POOL and FLEET_BRIDGE_LEASE_TABLE). Fix the environment variable(s) and start again.');
  }
  const ca = pem(e, 'CA', readFile);
  const cert = pem(e, 'CERT', readFile);
  const key = pem(e, 'KEY', readFile);
  if ((cert === undefined) !== (key === undefined)) {
    const missing = cert === undefined ? 'CERT' : 'KEY';
    throw new BridgeConfigError(
      `set exactly one of FLEET_BRIDGE_${missing}_PEM (the PEM itself) and FLEET_BRIDGE_${missing}_FILE (a path to it), or neither certificate nor key to read the identity from CREDENTIALS_BUCKET`,
    );
  }
  if (cert === undefined && e.CREDENTIALS_BUCKET === undefined) {
    throw new BridgeConfigError('Give the bridge its certificate and key (FLEET_BRIDGE_CERT_PEM/_FILE and FLEET_BRIDGE_KEY_PEM/_FILE), or CREDENTIALS_BUCKET to read them from bridges/<id>/mqtt.json.');
  }
  return {
    identity,
    mqtt: {
      ...(e.FLEET_BRIDGE_MQTT_URL === undefined ? {} : { url: e.FLEET_BRIDGE_MQTT_URL }),
      port: e.FLEET_BRIDGE_MQTT_PORT,
      ...(ca === undefined ? {} : { ca }),
      ...(cert === undefined || key === undefined ? {} : { certificate: { cert, key } }),
    },
    lwm2m: { host: e.FLEET_LWM2M_HOST, port: e.FLEET_LWM2M_PORT },
    ...(e.FLEET_BRIDGE_PUBLIC_ENDPOINTS !== undefined ? { lwm2mEndpoints: e.FLEET_BRIDGE_PUBLIC_ENDPOINTS.split(',') } : {}),
    ...(e.FLEET_BRIDGE_HEALTH_PORT !== undefined ? { health: { host: e.FLEET_LWM2M_HOST, port: e.FLEET_BRIDGE_HEALTH_PORT } } : {}),
    ...(e.CREDENTIALS_BUCKET !== undefined ? { credentialsBucket: e.CREDENTIALS_BUCKET } : {}),
    ...(e.DIRECTORY_TABLE !== undefined ? { directoryTable: e.DIRECTORY_TABLE } : {}),
  };
};

/**
 * The bridge's options when the environment names everything (a fixed id, the broker, the CA and
 * the certificate): a bridge outside AWS, or a test. Otherwise main.ts resolves the rest on AWS.
 */
export const bridgeOptionsFromEnv = (env: BridgeEnvironment, readFile: (path: string) => string): BridgeOptions => {
  const s = bridgeSettingsFromEnv(env, readFile);
  if (!('bridgeId' in s.identity) || s.mqtt.url === undefined || s.mqtt.ca === undefined || s.mqtt.certificate === undefined) {
    const need = [
      ...('bridgeId' in s.identity ? [] : ['FLEET_BRIDGE_ID']),
      ...(s.mqtt.url === undefined ? ['FLEET_BRIDGE_MQTT_URL'] : []),
      ...(s.mqtt.ca === undefined ? ['FLEET_BRIDGE_CA_PEM/_FILE'] : []),
      ...(s.mqtt.certificate === undefined ? ['FLEET_BRIDGE_CERT_PEM/_FILE', 'FLEET_BRIDGE_KEY_PEM/_FILE'] : []),
    ];
    throw new BridgeConfigError(`A bridge configured without AWS needs ${need.join(', ')}.`);
  }
  return {
    bridgeId: s.identity.bridgeId,
    mqtt: { url: s.mqtt.url, ca: s.mqtt.ca, cert: s.mqtt.certificate.cert, key: s.mqtt.certificate.key },
    lwm2m: s.lwm2m,
    ...(s.lwm2mEndpoints === undefined ? {} : { lwm2mEndpoints: s.lwm2mEndpoints }),
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
  if (!parsed.success) throw new BridgeConfigError(`Invalid DTLS configuration (${problemsOf(parsed.error)}). Fix the environment variable(s) and start again.`);
  const e = parsed.data;
  if (e.LWM2M_COAPS_PORT === undefined) {
    if (e.LWM2M_PLAIN_COAP === 'false') throw new BridgeConfigError('LWM2M_PLAIN_COAP=false needs LWM2M_COAPS_PORT: without DTLS no device could reach the bridge.');
    return undefined;
  }
  if (e.CREDENTIALS_BUCKET === undefined) throw new BridgeConfigError('LWM2M_COAPS_PORT needs CREDENTIALS_BUCKET: the bucket that holds the devices\' PSKs (devices/<thing>/psk.json).');
  return { host: e.FLEET_LWM2M_HOST, port: e.LWM2M_COAPS_PORT, plainCoap: e.LWM2M_PLAIN_COAP === 'true', credentialsBucket: e.CREDENTIALS_BUCKET };
};

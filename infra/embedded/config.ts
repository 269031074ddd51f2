import { resolve } from 'node:path';
import { z } from 'zod';
import { DEFAULT_DASHBOARD_DIR } from '../../functions/dashboard/dashboardDir.ts';

const Port = z.coerce.number().int().min(0).max(65535);

/** Every setting of the embedded runtime, from environment variables with working defaults. */
const Env = z.object({
  FLEET_DATA_DIR: z.string().min(1).default('./data'),
  FLEET_HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  FLEET_HTTP_PORT: Port.default(8080),
  FLEET_MQTT_HOST: z.string().min(1).default('127.0.0.1'),
  FLEET_MQTT_PORT: Port.default(8883),
  FLEET_LWM2M_HOST: z.string().min(1).default('127.0.0.1'),
  FLEET_LWM2M_PORT: Port.default(5683),
  FLEET_LWM2M_COAPS_PORT: Port.default(5684),
  // Plain CoAP beside DTLS, for development benches only (docs/adr/0010-plain-coap-threats.md).
  FLEET_LWM2M_PLAIN_COAP: z.enum(['true', 'false']).default('false'),
  FLEET_SQLITE_SYNC: z.enum(['FULL', 'NORMAL']).default('FULL'),
  FLEET_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  FLEET_PROJECTION_BATCH: z.coerce.number().int().min(1).max(100_000).default(1000),
  FLEET_PROJECTION_DELAY_MS: z.coerce.number().int().min(0).max(1000).default(5),
  // A JSON file of webhook subscriptions (functions/subscriptions/README.md); unset or empty: none.
  FLEET_SUBSCRIPTIONS_FILE: z.string().optional(),
  // The console's built assets (`npm run build:web`); unset or empty: functions/dashboard/dist of this checkout.
  FLEET_DASHBOARD_DIR: z.string().optional(),
  // The console's role picker for callers on loopback (docs/adr/0011-console-local-sign-in.md).
  FLEET_CONSOLE_LOCAL_SIGN_IN: z.enum(['true', 'false']).default('true'),
});

export interface EmbeddedConfig {
  readonly dataDir: string;
  readonly http: { readonly host: string; readonly port: number };
  readonly mqtt: { readonly host: string; readonly port: number };
  /**
   * The LwM2M server of the embedded bridge: CoAP over DTLS on `coapsPort`, and plain CoAP on `port`
   * only when `plainCoap` (FLEET_LWM2M_PLAIN_COAP=true, development). Port 0 for an ephemeral one.
   */
  readonly lwm2m: { readonly host: string; readonly port: number; readonly coapsPort: number; readonly plainCoap: boolean };
  readonly sqlite: { readonly file: string; readonly synchronous: 'FULL' | 'NORMAL' };
  readonly logLevel: z.infer<typeof Env>['FLEET_LOG_LEVEL'];
  readonly projectionBatchSize: number;
  /** How long projections let a burst of appends gather before folding it (staleness bound, in ms). */
  readonly projectionDelayMs: number;
  /** Absolute path of the webhook subscriptions file; undefined turns webhook subscriptions off. */
  readonly subscriptionsFile?: string | undefined;
  /**
   * The web console: where its built assets are (absolute), and whether `POST /auth/local-token`
   * lets a caller on loopback pick a role (docs/adr/0011-console-local-sign-in.md).
   */
  readonly console: { readonly dashboardDir: string; readonly localSignIn: boolean };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads the configuration once at start; a bad value stops the process with a message that names it. */
export const loadConfig = (env: Readonly<Record<string, string | undefined>> = process.env): EmbeddedConfig => {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`Invalid configuration (${problems}). Fix the environment variable(s) and start again.`);
  }
  const e = parsed.data;
  const dataDir = resolve(e.FLEET_DATA_DIR);
  return {
    dataDir,
    http: { host: e.FLEET_HTTP_HOST, port: e.FLEET_HTTP_PORT },
    mqtt: { host: e.FLEET_MQTT_HOST, port: e.FLEET_MQTT_PORT },
    lwm2m: { host: e.FLEET_LWM2M_HOST, port: e.FLEET_LWM2M_PORT, coapsPort: e.FLEET_LWM2M_COAPS_PORT, plainCoap: e.FLEET_LWM2M_PLAIN_COAP === 'true' },
    sqlite: { file: resolve(dataDir, 'fleet.db'), synchronous: e.FLEET_SQLITE_SYNC },
    logLevel: e.FLEET_LOG_LEVEL,
    projectionBatchSize: e.FLEET_PROJECTION_BATCH,
    projectionDelayMs: e.FLEET_PROJECTION_DELAY_MS,
    subscriptionsFile: e.FLEET_SUBSCRIPTIONS_FILE ? resolve(e.FLEET_SUBSCRIPTIONS_FILE) : undefined,
    console: { dashboardDir: e.FLEET_DASHBOARD_DIR ? resolve(e.FLEET_DASHBOARD_DIR) : DEFAULT_DASHBOARD_DIR, localSignIn: e.FLEET_CONSOLE_LOCAL_SIGN_IN === 'true' },
  };
};

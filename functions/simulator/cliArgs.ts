import { isIP } from 'node:net';
import type { Lwm2mVersion } from '../../schemas/lwm2m/index.ts';
import { BRIDGE_THING_PREFIX } from '../../schemas/topics/topics.ts';

/** What `npm run simulate -- ...` was asked to do. Pure: no I/O, so every refusal is unit-tested. */
export interface SimulateArgs {
  readonly devices: number;
  readonly serverHost: string;
  readonly serverPort: number;
  readonly prefix: string;
  readonly first: number;
  readonly lwm2mVersion: Lwm2mVersion;
  readonly queueMode: boolean;
  readonly lifetimeSeconds: number;
  readonly publishEveryMs: number;
  readonly sampleEveryMs: number;
  readonly sendEveryMs: number;
  readonly alarmAboveCelsius: number;
  readonly startsPerSecond: number;
  /** Undefined: chosen from the server's address once it is resolved (defaultBindHost). */
  readonly bindHost: string | undefined;
  /** Stop after this long; undefined runs until Ctrl-C. */
  readonly durationMs: number | undefined;
  readonly progressEveryMs: number;
}

export type ParsedArgs = { readonly kind: 'run'; readonly args: SimulateArgs } | { readonly kind: 'help' } | { readonly kind: 'error'; readonly message: string };

export const USAGE = `usage: npm run simulate -- [options]

Simulated LwM2M devices (objects 0, 1, 3, 3303, 18830), one UDP socket each. They register with the
LwM2M server, answer its requests, and once object 18830 holds MQTT credentials they connect over
mutual TLS and publish their state and alarms. Ctrl-C de-registers them and prints a summary.

  --devices N           how many devices (default 1)
  --server URI          the LwM2M server, coap://host:port (default coap://127.0.0.1:5683)
  --prefix NAME         endpoint (thing) names are NAME0, NAME1, ... (default sim-)
  --first K             index of the first device (default 0)
  --lwm2m V             LwM2M version 1.0, 1.1 or 1.2 (default 1.1)
  --queue-mode          register in queue mode (1.0: b=UQ; 1.1+: b=U&Q)
  --lifetime D          registration lifetime (default 300s)
  --publish-every D     MQTT state period once bootstrapped (default 10s)
  --sample-every D      temperature sampling period (default 5s)
  --send-every D        LwM2M Send of the temperature, 1.1+ (default: off)
  --alarm-above C       raise the temperature alarm above C degrees Celsius (default 30)
  --rate N              devices started per second, 0 for all at once (default 50)
  --bind HOST           local address of the devices' sockets (default 127.0.0.1 for a loopback
                        server, 0.0.0.0 or :: otherwise)
  --duration D          stop after D (default: run until Ctrl-C)
  --progress-every D    progress line period (default 1s)
  -h, --help            this text

Durations are a number and a unit: 500ms, 10s, 5m, 1h (a bare number is seconds).`;

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** '10s' → 10000. Undefined when it is not a duration. */
export const parseDuration = (text: string): number | undefined => {
  const match = DURATION.exec(text.trim());
  if (match === null) return undefined;
  return Math.round(Number(match[1]) * UNIT_MS[match[2] ?? 's']!);
};

/** coap://host:port → host (without IPv6 brackets) and port (default 5683). */
export const parseServerUri = (text: string): { host: string; port: number } | string => {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `--server ${text} is not a URI; write coap://host:port`;
  }
  if (url.protocol === 'coaps:') return `--server ${text}: the simulator speaks plain CoAP only (no DTLS yet); use coap://`;
  if (url.protocol !== 'coap:') return `--server ${text}: the scheme must be coap://`;
  if (url.pathname !== '' && url.pathname !== '/') return `--server ${text}: give the server's address only, without a path`;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') return `--server ${text}: no host`;
  return { host, port: url.port === '' ? 5683 : Number(url.port) };
};

/** Where the devices' sockets bind when --bind is not given: loopback for a loopback server, every interface otherwise. */
export const defaultBindHost = (serverAddress: string, family: 4 | 6): string => {
  if (serverAddress === '::1') return '::1';
  if (/^127\./.test(serverAddress)) return '127.0.0.1';
  return family === 6 ? '::' : '0.0.0.0';
};

export const parseArgs = (argv: readonly string[]): ParsedArgs => {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  const takesValue = new Set(['--devices', '--server', '--prefix', '--first', '--lwm2m', '--lifetime', '--publish-every', '--sample-every', '--send-every', '--alarm-above', '--rate', '--bind', '--duration', '--progress-every']);
  const booleans = new Set(['--queue-mode', '--help', '-h']);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    if (booleans.has(name)) {
      flags.add(name);
      continue;
    }
    if (!takesValue.has(name)) return { kind: 'error', message: `unknown option ${arg}\n\n${USAGE}` };
    const value = eq > 0 && arg.startsWith('--') ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) return { kind: 'error', message: `${name} needs a value` };
    if (values.has(name)) return { kind: 'error', message: `${name} is given twice` };
    values.set(name, value);
  }
  if (flags.has('--help') || flags.has('-h')) return { kind: 'help' };

  const fail = (message: string): ParsedArgs => ({ kind: 'error', message });
  const integer = (name: string, fallback: number, min: number, max: number): number | string => {
    const text = values.get(name);
    if (text === undefined) return fallback;
    if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) return `${name} ${text}: give a whole number from ${min} to ${max}`;
    return Number(text);
  };
  const duration = (name: string, fallback: number | undefined, min: number): number | undefined | string => {
    const text = values.get(name);
    if (text === undefined) return fallback;
    const ms = parseDuration(text);
    if (ms === undefined || ms < min) return `${name} ${text}: give a duration of at least ${min} ms, like 500ms, 10s, 5m or 1h`;
    return ms;
  };

  const devices = integer('--devices', 1, 1, 100_000);
  if (typeof devices === 'string') return fail(devices);
  const first = integer('--first', 0, 0, 1_000_000_000);
  if (typeof first === 'string') return fail(first);
  const rate = integer('--rate', 50, 0, 100_000);
  if (typeof rate === 'string') return fail(rate);
  const server = parseServerUri(values.get('--server') ?? 'coap://127.0.0.1:5683');
  if (typeof server === 'string') return fail(server);
  const prefix = values.get('--prefix') ?? 'sim-';
  if (!/^[a-zA-Z0-9:_-]{1,100}$/.test(prefix)) return fail(`--prefix ${prefix}: thing names use letters, digits, ':', '_' and '-' (at most 100 here, the index follows)`);
  if (prefix.startsWith(BRIDGE_THING_PREFIX)) return fail(`--prefix ${prefix}: names starting with '${BRIDGE_THING_PREFIX}' are reserved for bridges`);
  const version = values.get('--lwm2m') ?? '1.1';
  if (version !== '1.0' && version !== '1.1' && version !== '1.2') return fail(`--lwm2m ${version}: give 1.0, 1.1 or 1.2`);
  const lifetime = duration('--lifetime', 300_000, 1000);
  if (typeof lifetime === 'string') return fail(lifetime);
  const publishEvery = duration('--publish-every', 10_000, 100);
  if (typeof publishEvery === 'string') return fail(publishEvery);
  const sampleEvery = duration('--sample-every', 5_000, 100);
  if (typeof sampleEvery === 'string') return fail(sampleEvery);
  const sendEvery = duration('--send-every', 0, 100);
  if (typeof sendEvery === 'string') return fail(sendEvery);
  if (sendEvery !== 0 && version === '1.0') return fail('--send-every: Send is an LwM2M 1.1 operation; use --lwm2m 1.1 or 1.2');
  const durationMs = duration('--duration', undefined, 1);
  if (typeof durationMs === 'string') return fail(durationMs);
  const progressEvery = duration('--progress-every', 1_000, 100);
  if (typeof progressEvery === 'string') return fail(progressEvery);
  const alarmText = values.get('--alarm-above') ?? '30';
  if (!/^-?\d+(\.\d+)?$/.test(alarmText)) return fail(`--alarm-above ${alarmText}: give a temperature in degrees Celsius, like 30 or 27.5`);
  const bind = values.get('--bind');
  if (bind !== undefined && isIP(bind) === 0) return fail(`--bind ${bind}: give a local IP address, like 127.0.0.1 or 0.0.0.0`);

  return {
    kind: 'run',
    args: {
      devices,
      serverHost: server.host,
      serverPort: server.port,
      prefix,
      first,
      lwm2mVersion: version,
      queueMode: flags.has('--queue-mode'),
      lifetimeSeconds: Math.round((lifetime ?? 300_000) / 1000),
      publishEveryMs: publishEvery ?? 10_000,
      sampleEveryMs: sampleEvery ?? 5_000,
      sendEveryMs: sendEvery ?? 0,
      alarmAboveCelsius: Number(alarmText),
      startsPerSecond: rate,
      bindHost: bind,
      durationMs,
      progressEveryMs: progressEvery ?? 1_000,
    },
  };
};

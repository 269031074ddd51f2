/** What `npm start -- ...` was asked for. Pure: every refusal is unit-tested. */
export type StartArgs =
  | { readonly kind: 'start' }
  | { readonly kind: 'demo'; readonly devices: number; readonly summaryAfterMs: number }
  | { readonly kind: 'help' }
  | { readonly kind: 'error'; readonly message: string };

export const DEFAULT_DEMO_DEVICES = 20;
/**
 * One process holds every simulated device: a UDP socket and a TLS connection each, so file
 * descriptors (often 1,024 by default) set the ceiling. Larger fleets: `npm run simulate`.
 */
export const MAX_DEMO_DEVICES = 400;
export const DEFAULT_SUMMARY_AFTER_MS = 60_000;

export const START_USAGE = `usage: npm start [-- --demo [--devices N] [--summary-after D]]

  (no options)        the system on this machine with embedded defaults (README.md)
  --demo              also provision a sample fleet (functions/demo/sampleManifest.csv), run it as
                      simulated LwM2M devices against the embedded server, and print what happens;
                      plain CoAP is switched on for the run, on loopback only
  --devices N         how many simulated devices, 1 to ${MAX_DEMO_DEVICES} (default ${DEFAULT_DEMO_DEVICES})
  --summary-after D   when to print the summary with URLs to look at: 30s, 2m (default 60s)
  -h, --help          this text`;

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m)?$/;
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000 };

/** Reads the arguments after `npm start --`. */
export const parseStartArgs = (argv: readonly string[]): StartArgs => {
  let demo = false;
  let devices: number | undefined;
  let summaryAfterMs: number | undefined;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    const [name, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string | undefined => {
      if (inline !== undefined) return inline;
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) return undefined;
      i += 1;
      return next;
    };
    switch (name) {
      case '-h':
      case '--help':
        return { kind: 'help' };
      case '--demo':
        if (inline !== undefined) return { kind: 'error', message: '--demo takes no value: write --demo, and --devices N for the fleet size' };
        demo = true;
        break;
      case '--devices': {
        const text = value();
        if (text === undefined) return { kind: 'error', message: `--devices needs a number, 1 to ${MAX_DEMO_DEVICES}: --devices 20` };
        if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > MAX_DEMO_DEVICES) {
          return { kind: 'error', message: `--devices ${text} is not a whole number from 1 to ${MAX_DEMO_DEVICES} (each device is a socket and a TLS connection in this process; for more, use npm run simulate)` };
        }
        devices = Number(text);
        break;
      }
      case '--summary-after': {
        const text = value();
        const match = text === undefined ? null : DURATION.exec(text);
        const ms = match === null ? undefined : Math.round(Number(match[1]) * UNIT_MS[match[2] ?? 's']!);
        if (ms === undefined || ms < 1000 || ms > 3_600_000) {
          return { kind: 'error', message: `--summary-after ${text ?? ''} is not a duration from 1s to 60m: write 30s, 90s or 2m`.replace('  ', ' ') };
        }
        summaryAfterMs = ms;
        break;
      }
      default:
        return { kind: 'error', message: `unknown option ${JSON.stringify(arg)}: npm start takes --demo, --devices N and --summary-after D (npm start -- --help)` };
    }
  }
  if (!demo) {
    if (devices !== undefined || summaryAfterMs !== undefined) return { kind: 'error', message: '--devices and --summary-after go with --demo: npm start -- --demo --devices 5' };
    return { kind: 'start' };
  }
  return { kind: 'demo', devices: devices ?? DEFAULT_DEMO_DEVICES, summaryAfterMs: summaryAfterMs ?? DEFAULT_SUMMARY_AFTER_MS };
};

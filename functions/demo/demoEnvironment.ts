import { isIP } from 'node:net';

/**
 * The settings `--demo` changes for its run. The simulated devices speak plain CoAP only (no
 * DTLS: functions/simulator/README.md), so the LwM2M server must listen for it and the bootstrap
 * must deliver over it. On plain CoAP any client may claim any endpoint name and receive that
 * device's credentials (docs/adr/0010-plain-coap-threats.md), which is why the demo allows it on
 * a loopback address only, where every client is a process of this machine.
 */
export const DEMO_ENV_OVERRIDES = {
  FLEET_LWM2M_PLAIN_COAP: 'true',
  FLEET_BOOTSTRAP_OVER_PLAIN_COAP: 'true',
} as const;

export const isLoopbackHost = (host: string): boolean => {
  if (host === 'localhost') return true;
  const version = isIP(host);
  if (version === 4) return host.startsWith('127.');
  if (version === 6) return host === '::1' || /^(0{0,4}:){7}0{0,3}1$/.test(host);
  return false;
};

export type DemoEnvironment = { readonly ok: true; readonly env: Readonly<Record<string, string | undefined>> } | { readonly ok: false; readonly message: string };

/** The environment the demo runs the system with (the log at `warn` unless FLEET_LOG_LEVEL says otherwise), or why it cannot run with this one. */
export const demoEnvironment = (env: Readonly<Record<string, string | undefined>>): DemoEnvironment => {
  const host = env['FLEET_LWM2M_HOST'] ?? '127.0.0.1';
  if (!isLoopbackHost(host)) {
    return {
      ok: false,
      message:
        `--demo switches plain CoAP on (its simulated devices have no DTLS), and plain CoAP lets anyone who reaches the port claim a device's credentials; ` +
        `FLEET_LWM2M_HOST=${host} is not a loopback address. Unset FLEET_LWM2M_HOST (or set it to 127.0.0.1) for the demo.`,
    };
  }
  // The demo narrates on stdout, where the log goes too: info-level request lines would drown it.
  return { ok: true, env: { FLEET_LOG_LEVEL: 'warn', ...env, ...DEMO_ENV_OVERRIDES } };
};

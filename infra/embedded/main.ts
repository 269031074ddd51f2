import type { IssuedToken } from '../../functions/api/auth/localIssuer.ts';
import { ROLES, type Role } from '../../functions/api/auth/roles.ts';
import { startupBanner } from '../../functions/cli/startupBanner.ts';
import { consoleBanner } from '../../functions/dashboard/consoleBanner.ts';
import { dashboardBuilt } from '../../functions/dashboard/serveDashboard.ts';
import { parseStartArgs, START_USAGE } from '../../functions/demo/demoArgs.ts';
import { demoEnvironment } from '../../functions/demo/demoEnvironment.ts';
import { startDemo, type RunningDemo } from '../../functions/demo/runDemo.ts';
import { ConfigError, loadConfig } from './config.ts';
import { bootstrapEnv, bootstrapModule } from './modules/bootstrap.ts';
import { bridgeMessagesModule } from './modules/bridgeMessages.ts';
import { commandsModule } from './modules/commands.ts';
import { deprovisioningModule } from './modules/deprovisioning.ts';
import { lwm2mBridgeModule, type RunningLwm2mBridge } from './modules/lwm2mBridge.ts';
import { provisioningModule } from './modules/provisioning.ts';
import { startEmbeddedSystem } from './system.ts';

/** `npm start`: the whole system on this machine with embedded defaults. */
const main = async () => {
  const args = parseStartArgs(process.argv.slice(2));
  if (args.kind === 'help') {
    process.stdout.write(`${START_USAGE}\n`);
    return;
  }
  if (args.kind === 'error') throw new ConfigError(`${args.message}\n\n${START_USAGE}`);
  // --demo runs simulated devices that speak plain CoAP: it turns that on for its run, on loopback only (functions/demo/demoEnvironment.ts).
  const demoEnv = args.kind === 'demo' ? demoEnvironment(process.env) : undefined;
  if (demoEnv?.ok === false) throw new ConfigError(demoEnv.message);
  const env = demoEnv?.ok === true ? demoEnv.env : process.env;
  const config = loadConfig(env);
  const bootstrap = bootstrapEnv(env);
  let lwm2m: RunningLwm2mBridge | undefined;
  const brokerUri = () => bootstrap.brokerUri ?? `mqtts://${config.mqtt.host}:${runtime.mqtt.port}`;
  const runtime = await startEmbeddedSystem(config, {
    systemModules: [
      provisioningModule(),
      // A deprovisioned device's live MQTT connections are dropped at once, not at its next connect.
      deprovisioningModule({ disconnect: (id) => runtime.mqtt.broker.disconnectCertificate(id) }),
      commandsModule(),
      // Devices are told the broker's address as they reach it: FLEET_BOOTSTRAP_BROKER_URI, else the listener's own.
      bootstrapModule({ allowPlainCoap: bootstrap.allowPlainCoap, brokerUri }),
      bridgeMessagesModule(),
      // The LwM2M server (coaps on FLEET_LWM2M_COAPS_PORT; plain CoAP only with FLEET_LWM2M_PLAIN_COAP=true) and its bridge, a client of the broker like any other.
      lwm2mBridgeModule({}, (m) => (lwm2m = m)),
    ],
  });
  // The bridge connects once the broker's port is known (FLEET_MQTT_PORT may be 0).
  await lwm2m?.connect(runtime.mqtt.port).catch(async (err: unknown) => {
    await runtime.stop();
    throw err;
  });
  // What runs where, and a token per role so the API can be tried at once (functions/cli/startupBanner.ts).
  const tokens = Object.fromEntries(await Promise.all(ROLES.map(async (role) => [role, await runtime.tokens.issueWithExpiry(role, `local-${role}`)] as const)));
  process.stdout.write(startupBanner({ endpoints: runtime.endpoints, url: runtime.url, tokens: tokens as Record<Role, IssuedToken> }));
  // The web console: its URL and how to sign in, or how to build it (functions/dashboard).
  const { dashboardDir, localSignIn } = config.console;
  process.stdout.write(consoleBanner({ url: runtime.url, built: dashboardBuilt(dashboardDir), dashboardDir, localSignIn }));

  // --demo: the sample fleet provisioned and simulated, narrated on stdout (functions/demo/README.md).
  let demo: RunningDemo | undefined;
  if (args.kind === 'demo') {
    const plainCoap = lwm2m?.plainCoap;
    if (plainCoap === undefined) {
      await runtime.stop();
      throw new Error('--demo needs the LwM2M server listening for plain CoAP, and it is not: report this as a bug');
    }
    demo = startDemo({
      devices: args.devices,
      summaryAfterMs: args.summaryAfterMs,
      dataDir: config.dataDir,
      bus: runtime.bus,
      url: runtime.url,
      adminToken: (tokens as Record<Role, IssuedToken>).admin.token,
      viewer: (tokens as Record<Role, IssuedToken>).viewer,
      lwm2mServer: plainCoap,
      brokerUri: brokerUri(),
      out: (line) => process.stdout.write(`${line}\n`),
    });
    demo.finished.catch((err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
      process.kill(process.pid, 'SIGTERM');
    });
  }

  let signals = 0;
  const shutdown = (signal: NodeJS.Signals) => {
    if (++signals > 1) {
      process.stderr.write(`${signal} again: exiting now.\n`);
      process.exit(130);
    }
    runtime.log.info({ signal }, 'shutting down');
    // The demo's devices de-register while the LwM2M server still listens.
    (demo?.stop() ?? Promise.resolve()).then(() => runtime.stop()).then(
      () => process.exit(process.exitCode ?? 0),
      (err: unknown) => {
        runtime.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
};

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof ConfigError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});

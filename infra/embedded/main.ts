import type { IssuedToken } from '../../functions/api/auth/localIssuer.ts';
import { ROLES, type Role } from '../../functions/api/auth/roles.ts';
import { startupBanner } from '../../functions/cli/startupBanner.ts';
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
  const config = loadConfig();
  const bootstrap = bootstrapEnv();
  let lwm2m: RunningLwm2mBridge | undefined;
  const runtime = await startEmbeddedSystem(config, {
    systemModules: [
      provisioningModule(),
      // A deprovisioned device's live MQTT connections are dropped at once, not at its next connect.
      deprovisioningModule({ disconnect: (id) => runtime.mqtt.broker.disconnectCertificate(id) }),
      commandsModule(),
      // Devices are told the broker's address as they reach it: FLEET_BOOTSTRAP_BROKER_URI, else the listener's own.
      bootstrapModule({ allowPlainCoap: bootstrap.allowPlainCoap, brokerUri: () => bootstrap.brokerUri ?? `mqtts://${config.mqtt.host}:${runtime.mqtt.port}` }),
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

  let signals = 0;
  const shutdown = (signal: NodeJS.Signals) => {
    if (++signals > 1) {
      process.stderr.write(`${signal} again: exiting now.\n`);
      process.exit(130);
    }
    runtime.log.info({ signal }, 'shutting down');
    runtime.stop().then(
      () => process.exit(0),
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

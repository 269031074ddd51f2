import type { ObjectArea } from '../../functions/objectStore/embeddedObjectStores.ts';
import { openEmbeddedObjectStores } from '../../functions/objectStore/embeddedObjectStores.ts';
import type { ObjectStore } from '../../functions/objectStore/objectStore.ts';
import { RevocationList, type LocalCa } from '../../functions/registry/localCa.ts';
import { createSqliteDeviceRegistry, type SqliteDeviceRegistry } from '../../functions/registry/sqliteDeviceRegistry.ts';
import type { EmbeddedConfig } from './config.ts';
import { mqttIngestionModule, type MqttIngestion } from './modules/mqttIngestion.ts';
import { loadOrCreateCa } from './pki.ts';
import { startRuntime, type EmbeddedModule, type Runtime, type RuntimeContext, type RuntimeOptions } from './runtime.ts';

/** What the system's modules share beyond the runtime context. */
export interface SystemServices {
  readonly ca: LocalCa;
  readonly registry: SqliteDeviceRegistry;
  readonly objects: Record<ObjectArea, ObjectStore>;
}

export interface EmbeddedSystem extends Runtime, SystemServices {
  readonly mqtt: MqttIngestion;
}

/** Extra modules that need the system's services (provisioning, bridge, ...), built once those exist. */
export interface SystemModule {
  readonly name: string;
  create(services: SystemServices): EmbeddedModule;
}

/**
 * The whole embedded system with its default modules: what `npm start` runs and what end-to-end
 * tests start. The device registry (SQLite + local CA) is the authority on certificates: the
 * broker accepts an ACTIVE certificate attached to the thing its CN names, and nothing else.
 */
export const startEmbeddedSystem = async (
  config: EmbeddedConfig,
  options: RuntimeOptions & { readonly systemModules?: readonly SystemModule[] } = {},
): Promise<EmbeddedSystem> => {
  const ca = await loadOrCreateCa(config.dataDir);
  const objects = await openEmbeddedObjectStores({ dataDir: config.dataDir });
  let registry: SqliteDeviceRegistry | undefined;
  let mqtt: MqttIngestion | undefined;
  const services = (): SystemServices => {
    if (!registry) throw new Error('the registry module has not started');
    return { ca, registry, objects };
  };
  const registryModule: EmbeddedModule = {
    name: 'registry',
    start: (ctx: RuntimeContext) => {
      registry = createSqliteDeviceRegistry({ db: ctx.db, ca, clock: ctx.clock });
      return Promise.resolve({ stop: () => Promise.resolve() });
    },
  };
  const lazy = (m: SystemModule): EmbeddedModule => ({ name: m.name, start: (ctx) => m.create(services()).start(ctx) });
  const runtime = await startRuntime(config, {
    ...options,
    modules: [
      registryModule,
      mqttIngestionModule(
        {
          ca,
          host: config.mqtt.host,
          port: config.mqtt.port,
          lookup: () => services().registry.fleetLookup(),
          revocations: () => new RevocationList(services().registry.revokedCertificateIds()),
        },
        (m) => (mqtt = m),
      ),
      ...(options.systemModules ?? []).map(lazy),
      ...(options.modules ?? []),
    ],
  });
  if (!mqtt) throw new Error('the MQTT module did not start');
  return { ...runtime, ...services(), mqtt };
};

import type { AnyProjection } from '../../events/projections/projection.ts';
import type { EmbeddedBroker } from '../../functions/broker/embeddedBroker.ts';
import type { ObjectArea } from '../../functions/objectStore/embeddedObjectStores.ts';
import { openEmbeddedObjectStores } from '../../functions/objectStore/embeddedObjectStores.ts';
import type { ObjectStore } from '../../functions/objectStore/objectStore.ts';
import { RevocationList, type LocalCa } from '../../functions/registry/localCa.ts';
import { createSqliteDeviceRegistry, type SqliteDeviceRegistry } from '../../functions/registry/sqliteDeviceRegistry.ts';
import { createLocalWorkflowEngine, type LocalStateMachine, type LocalTaskHandler, type LocalWorkflowEngine } from '../../functions/workflows/localWorkflowEngine.ts';
import { createSqliteWorkflowPersistence } from '../../functions/workflows/sqliteWorkflowPersistence.ts';
import type { EmbeddedConfig } from './config.ts';
import { mqttIngestionModule, type MqttIngestion } from './modules/mqttIngestion.ts';
import { loadOrCreateCa } from './pki.ts';
import { startRuntime, type EmbeddedModule, type Runtime, type RuntimeContext, type RuntimeOptions } from './runtime.ts';

/** What the system's modules share beyond the runtime context. */
export interface SystemServices {
  readonly ca: LocalCa;
  readonly registry: SqliteDeviceRegistry;
  readonly objects: Record<ObjectArea, ObjectStore>;
  /** The one workflow engine: every module's state machines, one executions table. */
  readonly workflows: LocalWorkflowEngine;
}

/** What a module adds to the workflow engine: its task handlers and state machines. */
export interface WorkflowContribution {
  readonly handlers: Readonly<Record<string, LocalTaskHandler>>;
  readonly stateMachines: readonly LocalStateMachine[];
}

export interface EmbeddedSystem extends Runtime, SystemServices {
  readonly mqtt: MqttIngestion;
}

/** Extra modules that need the system's services (provisioning, bridge, ...), built once those exist. */
export interface SystemModule {
  readonly name: string;
  /** Called before the engine is built; the handlers get the services they need here. */
  workflows?(services: Omit<SystemServices, 'workflows'>, ctx: RuntimeContext): WorkflowContribution;
  /** Projections the module reads; they run with the built-in ones from the start. */
  readonly projections?: readonly AnyProjection[];
  /** Called when the module starts, after the broker: modules that publish or take MQTT messages get it here. */
  create(services: SystemServices & { readonly broker: EmbeddedBroker }): EmbeddedModule;
}

export interface SystemOptions extends RuntimeOptions {
  readonly systemModules?: readonly SystemModule[];
  /** Multiplies workflow waits and retry pauses (tests); 1 in production. */
  readonly workflowTimeScale?: number;
}

/**
 * The whole embedded system with its default modules: what `npm start` runs and what end-to-end
 * tests start. The device registry (SQLite + local CA) is the authority on certificates: the
 * broker accepts an ACTIVE certificate attached to the thing its CN names, and nothing else.
 */
export const startEmbeddedSystem = async (
  config: EmbeddedConfig,
  options: SystemOptions = {},
): Promise<EmbeddedSystem> => {
  const ca = await loadOrCreateCa(config.dataDir);
  const objects = await openEmbeddedObjectStores({ dataDir: config.dataDir });
  const systemModules = options.systemModules ?? [];
  let registry: SqliteDeviceRegistry | undefined;
  let workflows: LocalWorkflowEngine | undefined;
  let mqtt: MqttIngestion | undefined;
  const services = (): SystemServices => {
    if (!registry || !workflows) throw new Error('the core module has not started');
    return { ca, registry, objects, workflows };
  };
  // The registry and the workflow engine, before any module that uses them.
  const coreModule: EmbeddedModule = {
    name: 'core',
    start: (ctx: RuntimeContext) => {
      const reg = createSqliteDeviceRegistry({ db: ctx.db, ca, clock: ctx.clock });
      registry = reg;
      const contributions = systemModules.flatMap((m) => (m.workflows ? [m.workflows({ ca, registry: reg, objects }, ctx)] : []));
      const handlers: Record<string, LocalTaskHandler> = {};
      for (const c of contributions) {
        for (const [name, handler] of Object.entries(c.handlers)) {
          if (name in handlers) throw new Error(`two workflow modules define a task named "${name}": task names must be unique`);
          handlers[name] = handler;
        }
      }
      const engine = createLocalWorkflowEngine({
        persistence: createSqliteWorkflowPersistence(ctx.db),
        handlers,
        clock: ctx.clock,
        ...(options.workflowTimeScale === undefined ? {} : { timeScale: options.workflowTimeScale }),
        log: { error: (details, message) => ctx.log.error(details, message) },
        stateMachines: contributions.flatMap((c) => c.stateMachines),
      });
      workflows = engine;
      for (const id of engine.interruptedByRestart) {
        ctx.log.warn({ executionId: id }, 'a workflow run was interrupted by a restart: start it again (upload the manifest again, or DELETE the device again)');
      }
      return Promise.resolve({ stop: () => engine.close() });
    },
  };
  const brokerOf = () => {
    if (!mqtt) throw new Error('the MQTT module has not started');
    return mqtt.broker;
  };
  const lazy = (m: SystemModule): EmbeddedModule => ({
    name: m.name,
    ...(m.projections ? { projections: m.projections } : {}),
    start: (ctx) => m.create({ ...services(), broker: brokerOf() }).start(ctx),
  });
  const runtime = await startRuntime(config, {
    ...options,
    modules: [
      coreModule,
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

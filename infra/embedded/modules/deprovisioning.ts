import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { findDeviceToDeprovision } from '../../../functions/deprovisioning/describeDevice.ts';
import { DEPROVISIONING_DEFINITION_FILE, DEPROVISIONING_FUNCTIONS, deprovisioningTasks } from '../../../functions/deprovisioning/deprovisioningTasks.ts';
import { deprovisioningRoutes } from '../../../functions/deprovisioning/deprovisioningRoutes.ts';
import type { DisconnectCertificate } from '../../../functions/deprovisioning/revokeCertificates.ts';
import { localFunctionArn, type LocalWorkflowEngine } from '../../../functions/workflows/localWorkflowEngine.ts';
import type { RunningModule } from '../runtime.ts';
import type { SystemModule } from '../system.ts';

export interface DeprovisioningModuleOptions {
  /**
   * Drops a revoked certificate's live MQTT connections: the embedded broker's
   * `disconnectCertificate`. The system's services do not carry the broker, so main.ts passes it.
   * Without it a revoked device stays connected until it reconnects (and is then refused).
   */
  readonly disconnect?: DisconnectCertificate;
}

export interface RunningDeprovisioning extends RunningModule {
  readonly workflows: LocalWorkflowEngine;
  /** The execution id of a run by its name. */
  executionId(executionName: string): string;
}

const projectRoot = resolve(import.meta.dirname, '../../..');

/**
 * Deprovisioning in the embedded system: the workflow file run by the system's workflow engine, started by DELETE /devices/:thingName, followed at
 * GET /deprovisioning/:executionName.
 */
export const deprovisioningModule = (options: DeprovisioningModuleOptions = {}, onStarted?: (m: RunningDeprovisioning) => void): SystemModule => ({
  name: 'deprovisioning',
  workflows: ({ registry, objects }, ctx) => {
    const disconnect: DisconnectCertificate | undefined = options.disconnect;
    return {
      handlers: deprovisioningTasks({ eventStore: ctx.events, registry, credentials: objects.credentials, ...(disconnect ? { disconnect } : {}) }),
      stateMachines: [
        {
          name: 'deprovisioning',
          definitionFile: resolve(projectRoot, DEPROVISIONING_DEFINITION_FILE),
          substitutions: Object.fromEntries(Object.entries(DEPROVISIONING_FUNCTIONS).map(([sub, fn]) => [sub, localFunctionArn(fn)])),
        },
      ],
    };
  },
  create: ({ registry, objects, workflows }) => ({
    name: 'deprovisioning',
    start(ctx) {
      const deps = { eventStore: ctx.events, registry, credentials: objects.credentials };
      const executionId = (name: string) => `arn:aws:states:local:000000000000:execution:deprovisioning:${name}`;
      const start = async (thingName: string, reason: string | undefined) => {
        // Checked here too, so an unknown name is a 404 rather than a run that fails.
        if (!(await findDeviceToDeprovision(deps, thingName))) return undefined;
        const name = `d-${randomUUID()}`;
        await workflows.startExecution('deprovisioning', { thingName, ...(reason === undefined ? {} : { reason }) }, { name });
        return name;
      };
      const describe = async (name: string) => {
        const execution = await workflows.describeExecution(executionId(name)).catch(() => undefined);
        // The engine runs every workflow: only this state machine's runs are ours to show.
        return execution?.stateMachine === 'deprovisioning' ? execution : undefined;
      };
      // Routes are registered before the server listens (the runtime starts modules first).
      void ctx.http.register(deprovisioningRoutes({ start, describe }));

      const running: RunningDeprovisioning = {
        workflows,
        executionId,
        // The engine belongs to the system and closes with it.
        stop: () => Promise.resolve(),
      };
      onStarted?.(running);
      return Promise.resolve(running);
    },
  }),
});

import { resolve } from 'node:path';
import { streamIdFor } from '../../../events/envelope.ts';
import { batchProgress } from '../../../functions/provisioning/batchProgress.ts';
import { PROVISIONING_DEFINITION_FILE, PROVISIONING_FUNCTIONS, provisioningTasks } from '../../../functions/provisioning/provisioningTasks.ts';
import { provisioningRoutes } from '../../../functions/provisioning/provisioningRoutes.ts';
import { localFunctionArn, type LocalWorkflowEngine } from '../../../functions/workflows/localWorkflowEngine.ts';
import type { RunningModule } from '../runtime.ts';
import type { SystemModule } from '../system.ts';

export interface RunningProvisioning extends RunningModule {
  readonly workflows: LocalWorkflowEngine;
}

const projectRoot = resolve(import.meta.dirname, '../../..');

/**
 * Rows of a chunk in one wave, embedded. Twice the AWS default (8, sized against IoT's API quotas):
 * the local registry has no quota, and a bigger wave shares each registry commit and event append
 * among more devices (measured with bench/suites/provision.ts: 5-10 % less CPU per device than waves of 8).
 */
export const EMBEDDED_ROW_CONCURRENCY = 16;
const MANIFEST_KEY = /^manifests\/(b-[A-Za-z0-9_-]{1,60})\.(csv|json|ndjson)$/;

/**
 * Provisioning in the embedded system: the workflow file run by the system's workflow engine,
 * started by a manifest landing in the uploads area — through the HTTP upload or by writing the
 * file there directly — and the batch status and report routes.
 */
export const provisioningModule = (onStarted?: (m: RunningProvisioning) => void): SystemModule => ({
  name: 'provisioning',
  workflows: ({ registry, objects }, ctx) => ({
    handlers: provisioningTasks({
      eventStore: ctx.events,
      registry,
      uploads: objects.uploads,
      credentials: objects.credentials,
      reports: objects.reports,
      rowConcurrency: EMBEDDED_ROW_CONCURRENCY,
    }),
    stateMachines: [
      {
        name: 'provisioning',
        definitionFile: resolve(projectRoot, PROVISIONING_DEFINITION_FILE),
        substitutions: Object.fromEntries(Object.entries(PROVISIONING_FUNCTIONS).map(([sub, fn]) => [sub, localFunctionArn(fn)])),
      },
    ],
  }),
  create: ({ objects, workflows }) => ({
    name: 'provisioning',
    start(ctx) {
      const executionOf = (batchId: string) => `arn:aws:states:local:000000000000:execution:provisioning:${batchId}`;
      const stopTrigger = objects.uploads.onPut('manifests/', async (detail) => {
        const match = MANIFEST_KEY.exec(detail.object.key);
        if (!match) {
          ctx.log.warn({ key: detail.object.key }, 'an upload under manifests/ does not look like manifests/b-<id>.<csv|json|ndjson>; it was not started');
          return;
        }
        const [, batchId, format] = match;
        await workflows.startExecution('provisioning', { batchId, manifestKey: detail.object.key, format }, { name: batchId! });
      });

      const progress = async (batchId: string) => {
        const id = executionOf(batchId);
        const execution = await workflows.describeExecution(id).catch(() => undefined);
        if (!execution) return undefined;
        const [history, events] = await Promise.all([workflows.getExecutionHistory(id), ctx.events.readStream(streamIdFor.batch(batchId))]);
        return batchProgress(batchId, execution, history, events);
      };
      // Routes are registered before the server listens (the runtime starts modules first).
      void ctx.http.register(provisioningRoutes({ uploads: objects.uploads, reports: objects.reports, progress }));

      // The engine belongs to the system and closes with it; this module only stops its trigger.
      const running: RunningProvisioning = { workflows, stop: () => Promise.resolve(stopTrigger()) };
      onStarted?.(running);
      return Promise.resolve(running);
    },
  }),
});

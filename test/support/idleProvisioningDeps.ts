import type { SqliteDatabase } from '../../functions/eventStore/sqliteDatabase.ts';
import type { AwsApiDeps } from '../../functions/lambda/awsApi.ts';
import { openEmbeddedObjectStores } from '../../functions/objectStore/embeddedObjectStores.ts';
import { createCa } from '../../functions/registry/localCa.ts';
import { createSqliteDeviceRegistry } from '../../functions/registry/sqliteDeviceRegistry.ts';
import { createLocalWorkflowEngine, type LocalWorkflowEngine } from '../../functions/workflows/localWorkflowEngine.ts';
import { createSqliteWorkflowPersistence } from '../../functions/workflows/sqliteWorkflowPersistence.ts';

export type IdleProvisioningDeps = Pick<AwsApiDeps, 'registry' | 'uploads' | 'reports' | 'stateMachines'> & {
  /** Close it in afterAll. */
  readonly workflows: LocalWorkflowEngine;
};

/**
 * The provisioning side of buildAwsApi's deps, for tests about other routes (the read side, device
 * control): a SQLite registry with its own CA, folder object stores under `dataDir`, and a local
 * workflow engine with no state machine registered, so the ARNs name nothing that could run.
 * Tests that do run a workflow (test/cdk/apiLambda.int.test.ts) build their own.
 */
export const idleProvisioningDeps = async (db: SqliteDatabase, dataDir: string): Promise<IdleProvisioningDeps> => {
  const stores = await openEmbeddedObjectStores({ dataDir, durable: false });
  return {
    registry: createSqliteDeviceRegistry({ db, ca: await createCa({ commonName: 'idle provisioning test CA' }) }),
    uploads: stores.uploads,
    reports: stores.reports,
    workflows: createLocalWorkflowEngine({ persistence: createSqliteWorkflowPersistence(db), handlers: {} }),
    stateMachines: {
      provisioning: 'arn:aws:states:local:000000000000:stateMachine:provisioning',
      deprovisioning: 'arn:aws:states:local:000000000000:stateMachine:deprovisioning',
    },
  };
};

import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { LAMBDA_ENV } from '../../../functions/lambda/env.ts';
import { PROJECTION_ROW_KEY, PROJECTION_TABLES, type ProjectionTableName } from '../../../functions/projections/projectionTableDesign.ts';
import { HandlerFunction } from './handlerFunction.ts';
import { StreamConsumer } from './streamConsumer.ts';

export interface ProjectionsProps {
  readonly eventStoreTable: dynamodb.Table;
}

/** The environment variable that names each table for the projector (functions/lambda/projectStoredEvents.ts). */
export const PROJECTION_TABLE_ENV: Record<ProjectionTableName, string> = {
  deviceState: LAMBDA_ENV.deviceStateTable,
  alarms: LAMBDA_ENV.alarmsTable,
  directory: LAMBDA_ENV.directoryTable,
  rejections: LAMBDA_ENV.rejectionsTable,
  deviceSessions: LAMBDA_ENV.deviceSessionsTable,
  commandAudit: LAMBDA_ENV.commandAuditTable,
};

/** What the projector calls on its tables (functions/projections/dynamoProjectionTables.ts). */
const PROJECTOR_ACTIONS = ['dynamodb:BatchGetItem', 'dynamodb:PutItem'];

/**
 * What the API's read adapters call, per table and per index, and nothing else
 * (functions/directory/dynamoDeviceDirectory.ts, functions/deviceViews/dynamoDeviceReadModel.ts):
 * a device by name and the fleet-wide search (Scan) on the directory, its tenant index; one
 * device's state; a device's alarms, and one alarm (an acknowledgement judges it); rejections by
 * stage or by device; which bridge holds a device (a command's route); one command's audit row and
 * the audit by device, by operator or by time (functions/commands/dynamoCommandAudit.ts).
 */
export const API_READS = {
  directory: { table: ['dynamodb:GetItem', 'dynamodb:Scan'], indexes: { byTenant: ['dynamodb:Query'] } },
  deviceState: { table: ['dynamodb:GetItem'], indexes: {} },
  alarms: { table: ['dynamodb:GetItem'], indexes: { byThing: ['dynamodb:Query'] } },
  rejections: { table: [], indexes: { byStage: ['dynamodb:Query'], byThing: ['dynamodb:Query'] } },
  deviceSessions: { table: ['dynamodb:GetItem'], indexes: {} },
  commandAudit: { table: ['dynamodb:GetItem'], indexes: { byThing: ['dynamodb:Query'], byOperator: ['dynamodb:Query'], byTime: ['dynamodb:Query'] } },
} as const satisfies Record<ProjectionTableName, { table: readonly string[]; indexes: Record<string, readonly string[]> }>;

/** What the expiry sweep reads (functions/commands/dynamoCommandAudit.ts `due`): the open commands by expiry, nothing else. */
export const EXPIRY_READS = { table: 'commandAudit', index: 'openByExpiry', actions: ['dynamodb:Query'] } as const satisfies { table: ProjectionTableName; index: string; actions: readonly string[] };

/**
 * The read side on AWS: one table per projection (device state, alarms, directory, rejections,
 * device sessions, command audit; keys and
 * indexes from functions/projections/projectionTableDesign.ts) and the projector Lambda that
 * folds the event store's stream into them with the same pure projections the embedded engine
 * runs (events/projections). Rows can be backfilled from the store (ProjectionRebuild), but a
 * backfill of a large store takes time and reads, so the tables are retained and have point-in-time
 * recovery like the store.
 */
export class Projections extends Construct {
  readonly tables: Record<ProjectionTableName, dynamodb.Table>;
  readonly projector: HandlerFunction;
  readonly consumer: StreamConsumer;

  constructor(scope: Construct, id: string, props: ProjectionsProps) {
    super(scope, id);
    const entries = Object.entries(PROJECTION_TABLES) as [ProjectionTableName, (typeof PROJECTION_TABLES)[ProjectionTableName]][];
    this.tables = Object.fromEntries(
      entries.map(([name, design]) => {
        const table = new dynamodb.Table(this, `${name.charAt(0).toUpperCase()}${name.slice(1)}`, {
          partitionKey: { name: PROJECTION_ROW_KEY, type: dynamodb.AttributeType.STRING },
          billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
          pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
          encryption: dynamodb.TableEncryption.AWS_MANAGED,
          removalPolicy: RemovalPolicy.RETAIN,
        });
        for (const index of design.indexes) {
          table.addGlobalSecondaryIndex({
            indexName: index.indexName,
            partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
            sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING },
            projectionType: dynamodb.ProjectionType.ALL,
          });
        }
        return [name, table];
      }),
    ) as Record<ProjectionTableName, dynamodb.Table>;

    this.projector = new HandlerFunction(this, 'ProjectStoredEvents', {
      handler: 'projectStoredEvents',
      environment: Object.fromEntries(entries.map(([name]) => [PROJECTION_TABLE_ENV[name], this.tables[name].tableName])),
      timeout: Duration.seconds(60),
      memorySize: 512,
    });
    this.projector.role.addToPolicy(new iam.PolicyStatement({ actions: PROJECTOR_ACTIONS, resources: Object.values(this.tables).map((t) => t.tableArn) }));
    this.consumer = new StreamConsumer(this, 'Stream', { table: props.eventStoreTable, handler: this.projector });
  }

  /** Every table's name under the variable its readers and the projector read it from. */
  get environment(): Record<string, string> {
    return Object.fromEntries((Object.keys(this.tables) as ProjectionTableName[]).map((name) => [PROJECTION_TABLE_ENV[name], this.tables[name].tableName]));
  }

  /** The expiry sweep's one read: EXPIRY_READS. */
  grantExpiryReads(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: [...EXPIRY_READS.actions], resources: [`${this.tables[EXPIRY_READS.table].tableArn}/index/${EXPIRY_READS.index}`] }),
    );
  }

  /** Read-only access for the API's directory and device views: on each table and index, only API_READS. */
  grantApiReads(grantee: iam.IGrantable): void {
    for (const [name, reads] of Object.entries(API_READS) as [ProjectionTableName, (typeof API_READS)[ProjectionTableName]][]) {
      const table = this.tables[name];
      if (reads.table.length > 0) grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...reads.table], resources: [table.tableArn] }));
      for (const [index, actions] of Object.entries(reads.indexes) as [string, readonly string[]][]) {
        grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...actions], resources: [`${table.tableArn}/index/${index}`] }));
      }
    }
  }
}

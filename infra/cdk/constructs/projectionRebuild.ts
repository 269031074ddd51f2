import { CfnOutput, Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { LAMBDA_ENV } from '../../../functions/lambda/env.ts';
import type { ProjectionTableName } from '../../../functions/projections/projectionTableDesign.ts';
import type { EventStore } from './eventStore.ts';
import { HandlerFunction } from './handlerFunction.ts';
import type { Projections } from './projections.ts';

export interface ProjectionRebuildProps {
  readonly eventStore: EventStore;
  readonly projections: Projections;
}

/** What the backfill calls on its one table: the stream projector's row reads and conditional puts. */
export const REBUILD_TABLE_ACTIONS = ['dynamodb:BatchGetItem', 'dynamodb:PutItem'] as const;

/** The stack output naming each projection's rebuild function (the request's error names it too). */
export const rebuildOutputId = (name: ProjectionTableName) => `Rebuild${name.charAt(0).toUpperCase()}${name.slice(1)}Function`;

/**
 * The operator's backfill of the projection tables (functions/lambda/rebuildProjection.ts): one
 * function per projection, because a role is per function and each may write only its own table;
 * all read the event store (readAll). Invoked by hand (`aws lambda invoke`, infra/cdk/README.md),
 * synchronously: the operator sees the answer or the error, so there is no retry or destination.
 */
export class ProjectionRebuild extends Construct {
  readonly functions: Record<ProjectionTableName, HandlerFunction>;

  constructor(scope: Construct, id: string, props: ProjectionRebuildProps) {
    super(scope, id);
    const names = Object.keys(props.projections.tables) as ProjectionTableName[];
    this.functions = Object.fromEntries(
      names.map((name) => {
        const table = props.projections.tables[name];
        const fn = new HandlerFunction(this, `${name.charAt(0).toUpperCase()}${name.slice(1)}`, {
          handler: 'rebuildProjection',
          environment: {
            [LAMBDA_ENV.eventStoreTable]: props.eventStore.table.tableName,
            [LAMBDA_ENV.rebuildProjection]: name,
            [LAMBDA_ENV.rebuildTable]: table.tableName,
          },
          // Lambda's limit; the handler stops starting pages a minute before it (TIME_RESERVE_MS).
          timeout: Duration.minutes(15),
          memorySize: 1024,
        });
        props.eventStore.grantStoreAccess(fn.role, 'read');
        fn.role.addToPolicy(new iam.PolicyStatement({ actions: [...REBUILD_TABLE_ACTIONS], resources: [table.tableArn] }));
        new CfnOutput(this, rebuildOutputId(name), { key: rebuildOutputId(name), value: fn.fn.functionName, description: `Backfills the ${name} projection table from the event store` });
        return [name, fn];
      }),
    ) as Record<ProjectionTableName, HandlerFunction>;
  }
}

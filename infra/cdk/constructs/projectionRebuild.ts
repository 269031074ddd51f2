import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
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

const fnId = (name: ProjectionTableName) => `${name.charAt(0).toUpperCase()}${name.slice(1)}`;

/** What starts a rebuild function: the API, and each function itself, to go on. */
export const REBUILD_SELF_ACTIONS = ['lambda:InvokeFunction'] as const;

/** Lambda's retries of a failed asynchronous invocation (the fold is idempotent, so a retry is safe). */
export const REBUILD_ASYNC_RETRIES = 2;

/**
 * The backfill of the projection tables (functions/lambda/rebuildProjection.ts): one function per
 * projection, because a role is per function and each may write only its own table; all read the
 * event store (readAll). Invoked by an operator (`aws lambda invoke`, synchronously: the answer or
 * the error comes back) or by the API's POST /projections/:name/rebuild (asynchronously, with
 * `continue`: each invocation invokes itself with the rest of the store until it is done, and logs
 * one summary line). Lambda retries a failed asynchronous invocation twice; after that the
 * summary line of the failure names the cursor to resume from, so there is no destination.
 */
export class ProjectionRebuild extends Construct {
  readonly functions: Record<ProjectionTableName, HandlerFunction>;

  constructor(scope: Construct, id: string, props: ProjectionRebuildProps) {
    super(scope, id);
    const names = Object.keys(props.projections.tables) as ProjectionTableName[];
    this.functions = Object.fromEntries(
      names.map((name) => {
        const table = props.projections.tables[name];
        const fn = new HandlerFunction(this, fnId(name), {
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
        // Invoking itself: its own unqualified ARN only. In a policy of its own, because the function
        // waits for its role's default policy, which therefore cannot name the function's ARN.
        new iam.Policy(this, `${fnId(name)}SelfInvoke`, {
          roles: [fn.role],
          statements: [new iam.PolicyStatement({ actions: [...REBUILD_SELF_ACTIONS], resources: [fn.fn.functionArn] })],
        });
        // A self-invoking chain is a loop by Lambda's reckoning, stopped after ~16 invocations by
        // default; this one ends when the store is read to its end, and each link folds a page at least.
        (fn.fn.node.defaultChild as lambda.CfnFunction).recursiveLoop = lambda.RecursiveLoop.ALLOW;
        fn.fn.configureAsyncInvoke({ retryAttempts: REBUILD_ASYNC_RETRIES, maxEventAge: Duration.hours(6) });
        new CfnOutput(this, rebuildOutputId(name), { key: rebuildOutputId(name), value: fn.fn.functionName, description: `Backfills the ${name} projection table from the event store` });
        return [name, fn];
      }),
    ) as Record<ProjectionTableName, HandlerFunction>;
  }

  /**
   * What the API Lambda reads from LAMBDA_ENV.rebuildFunctions (functions/lambda/rebuildFunctions.ts):
   * `{ "<table key>": { "functionName", "logGroup" } }` for every table.
   */
  functionsJson(): string {
    const entries = Object.entries(this.functions) as [ProjectionTableName, HandlerFunction][];
    return Stack.of(this).toJsonString(Object.fromEntries(entries.map(([name, fn]) => [name, { functionName: fn.fn.functionName, logGroup: fn.logGroup.logGroupName }])));
  }

  /** Lets a role start the rebuild functions (their unqualified ARNs) and nothing else on Lambda. */
  grantStart(role: iam.IRole): void {
    const arns = Object.values(this.functions).map((fn) => fn.fn.functionArn);
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...REBUILD_SELF_ACTIONS], resources: arns }));
  }
}

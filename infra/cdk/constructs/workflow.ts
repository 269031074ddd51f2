import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { findPlaceholders, readDefinitionFile } from '../../../functions/workflows/aslDefinition.ts';
import { REPO_ROOT } from '../handlers.ts';
import { grantObjects, type ObjectArea } from '../objectAccess.ts';
import { grantIotEndpointLookup, grantIotPublish } from '../iotDataAccess.ts';
import { grantRegistry } from '../registryAccess.ts';
import { OBJECT_PREFIXES, type WorkflowSpec } from '../workflows.ts';
import type { EventStore } from './eventStore.ts';
import { HandlerFunction } from './handlerFunction.ts';

export interface WorkflowProps {
  readonly spec: WorkflowSpec;
  readonly eventStore: EventStore;
  readonly areas: { readonly uploads: ObjectArea; readonly credentials: ObjectArea; readonly reports: ObjectArea };
  /** Variables every task Lambda gets (table and bucket names...): the entry file builds all the workflow's adapters. */
  readonly environment: Record<string, string>;
}

const pascal = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);

/** The substitution names a definition file uses, without `${` `}`. */
export const placeholdersOf = (definitionFile: string): string[] =>
  [...new Set(findPlaceholders(readDefinitionFile(`${REPO_ROOT}${definitionFile}`)).map((p) => p.placeholder.slice(2, -1)))].sort();

/**
 * One workflow: the ASL file deployed as it is (`DefinitionBody.fromFile`, the file the embedded
 * engine runs) with each `${...FunctionArn}` substituted by the ARN of its task's Lambda. Each
 * task is its own Lambda with its own role granting only the calls that task makes; the state
 * machine's role may invoke those Lambdas and nothing else. Executions log every state
 * transition without execution data (inputs and outputs never reach the logs) and are traced.
 */
export class Workflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  readonly tasks: ReadonlyMap<string, HandlerFunction>;

  constructor(scope: Construct, id: string, props: WorkflowProps) {
    super(scope, id);
    const { spec } = props;
    // The file and the map must name the same substitutions: a gap would deploy a literal `${...}`.
    const inFile = placeholdersOf(spec.definitionFile);
    const inMap = Object.keys(spec.functions).sort();
    if (inFile.join() !== inMap.join()) {
      throw new Error(
        `${spec.definitionFile} uses substitutions [${inFile.join(', ')}] but the ${spec.name} function map has [${inMap.join(', ')}]: ` +
          'add the missing names to the map in functions/ (and a task export), or remove them from the file.',
      );
    }

    const tasks = new Map<string, HandlerFunction>();
    for (const functionName of new Set(Object.values(spec.functions))) {
      const access = spec.tasks[functionName];
      if (!access) throw new Error(`The ${spec.name} workflow has no access entry for task ${functionName}: add it in infra/cdk/workflows.ts.`);
      const task = new HandlerFunction(this, pascal(functionName), {
        handler: spec.handler,
        exportName: functionName,
        environment: props.environment,
        timeout: access.timeout,
        ...(access.memorySize === undefined ? {} : { memorySize: access.memorySize }),
      });
      if (access.eventStore) props.eventStore.grantStoreAccess(task.role, access.eventStore);
      for (const area of ['uploads', 'credentials', 'reports'] as const) {
        const uses = access[area];
        const keys = area === 'credentials' ? access.credentialKeys : undefined;
        if (uses && uses.length > 0) grantObjects(task.role, props.areas[area], uses, OBJECT_PREFIXES[area], keys);
      }
      if (access.registry && access.registry.length > 0) grantRegistry(task.role, access.registry);
      if (access.iotPublish && access.iotPublish.length > 0) grantIotPublish(task.role, access.iotPublish);
      if (access.iotEndpoint) grantIotEndpointLookup(task.role);
      tasks.set(functionName, task);
    }
    this.tasks = tasks;

    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.SIX_MONTHS, removalPolicy: RemovalPolicy.RETAIN });
    const stack = Stack.of(this);
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } }),
      description: `${spec.name} state machine: invokes its task Lambdas`,
    });
    // The unqualified ARNs the definition names, not `arn:*` (versions and aliases are not used).
    this.role.addToPolicy(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [...tasks.values()].map((t) => t.fn.functionArn) }));

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromFile(`${REPO_ROOT}${spec.definitionFile}`),
      definitionSubstitutions: Object.fromEntries(Object.entries(spec.functions).map(([sub, fn]) => [sub, tasks.get(fn)!.fn.functionArn])),
      stateMachineType: sfn.StateMachineType[spec.type],
      role: this.role,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Step Functions log delivery (logs:*LogDelivery*, PutResourcePolicy, DescribeResourcePolicies, DescribeLogGroups) and X-Ray ' +
        '(PutTraceSegments, PutTelemetryRecords, GetSampling*) are only granted on "*" (Step Functions developer guide, "Logging using CloudWatch Logs").',
    });
  }
}

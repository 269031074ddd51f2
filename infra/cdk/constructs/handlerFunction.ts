import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, OBSERVABILITY_ENV } from '../../../functions/lambda/observabilityEnv.ts';
import { HANDLERS, REPO_ROOT, handlerEntryPath, type HandlerName } from '../handlers.ts';

export interface HandlerFunctionProps {
  readonly handler: HandlerName;
  /** The export of the entry file Lambda calls; entry files of a workflow export one per task. */
  readonly exportName?: string;
  readonly environment: Record<string, string>;
  readonly timeout?: Duration;
  readonly memorySize?: number;
  /** Powertools' log level; INFO unless a function is being debugged. */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
}

// Bundles pull in node builtins through require() (cbor-x, middy); an ESM bundle needs a real require.
const ESM_REQUIRE_BANNER = "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

/**
 * One Lambda function from the handler registry: Node 22 on arm64, bundled by the local esbuild
 * at synth time (no Docker, no network), its own log group with a retention, and a role that can
 * write only to that log group; callers grant the data access it needs. An asynchronously invoked
 * handler gets an encrypted on-failure queue, so an event that exhausts its retries is kept.
 */
export class HandlerFunction extends Construct {
  readonly fn: lambda.Function;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  readonly failures?: sqs.Queue;

  constructor(scope: Construct, id: string, props: HandlerFunctionProps) {
    super(scope, id);
    const spec = HANDLERS[props.handler];
    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.THREE_MONTHS, removalPolicy: RemovalPolicy.RETAIN });
    // Our own role instead of the default one: AWSLambdaBasicExecutionRole grants logs:* on every log group.
    this.role = new iam.Role(this, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description: `${props.exportName ?? props.handler} Lambda` });
    this.logGroup.grantWrite(this.role);

    this.fn = new NodejsFunction(this, 'Function', {
      entry: handlerEntryPath(props.handler),
      handler: props.exportName ?? 'handler',
      description: props.exportName ? `${spec.description}: ${props.exportName}` : spec.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(30),
      role: this.role,
      logGroup: this.logGroup,
      projectRoot: REPO_ROOT,
      depsLockFilePath: `${REPO_ROOT}package-lock.json`,
      environment: {
        ...props.environment,
        NODE_OPTIONS: '--enable-source-maps',
        // Logs and EMF metrics (functions/lambda/observability.ts): the service is the handler's
        // registry name, so every export of a task bundle shares one service and its function name tells them apart.
        [OBSERVABILITY_ENV.serviceName]: props.handler,
        [OBSERVABILITY_ENV.metricsNamespace]: METRICS_NAMESPACE,
        [OBSERVABILITY_ENV.logLevel]: props.logLevel ?? 'INFO',
      },
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        target: 'node22',
        minify: true,
        sourceMap: true,
        banner: ESM_REQUIRE_BANNER,
        // The Node 22 runtime ships AWS SDK v3.
        externalModules: ['@aws-sdk/*'],
      },
    });

    Validations.of(this.fn).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Node 22 is pinned on purpose: it is the newest runtime the project tests its code for (local development is on Node 20.19+, ' +
        'ARCHITECTURE.md); moving to Node 24 is a deliberate upgrade with its own test run, not a side effect of a CDK release.',
    });

    if (spec.invocation === 'async') {
      this.failures = new sqs.Queue(this, 'Failures', {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
      });
      Validations.of(this.failures).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason: 'This queue is the dead-letter destination itself (on-failure destination of an async Lambda): nothing consumes it but operators.',
      });
      this.fn.configureAsyncInvoke({
        onFailure: new destinations.SqsDestination(this.failures),
        retryAttempts: 2,
        maxEventAge: Duration.hours(6),
      });
    }
  }
}

import { ArnFormat, Duration, Lazy, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { PERMISSIONS } from '../../../functions/api/auth/permissions.ts';
import { ROLE_PURPOSE, ROLES } from '../../../functions/api/auth/roles.ts';
import { cognitoIssuer } from '../../../functions/api/auth/tokenProfiles.ts';
import { LAMBDA_ENV } from '../../../functions/lambda/env.ts';
import { grantIotEndpointLookup, grantIotPublish } from '../iotDataAccess.ts';
import { acknowledgeWildcardResources } from '../nagAcknowledgements.ts';
import { grantObjects, type ObjectArea } from '../objectAccess.ts';
import { grantRegistry } from '../registryAccess.ts';
import { OBJECT_PREFIXES } from '../workflows.ts';
import type { EventStore } from './eventStore.ts';
import { HandlerFunction } from './handlerFunction.ts';
import type { ProjectionRebuild } from './projectionRebuild.ts';
import type { Projections } from './projections.ts';

export interface FleetApiProps {
  readonly eventStore: EventStore;
  readonly uploads: ObjectArea;
  readonly reports: ObjectArea;
  readonly provisioning: sfn.StateMachine;
  readonly deprovisioning: sfn.StateMachine;
  /** Variables the API Lambda's adapters read (table and bucket names, account...). */
  readonly environment: Record<string, string>;
  /** The projection tables the directory and device views read. */
  readonly projections: Projections;
  /** The tables' rebuild functions, which POST /projections/:name/rebuild starts. */
  readonly rebuild: ProjectionRebuild;
}

/** Routes anyone may call (functions/api/auth/permissions.ts marks them public): no authorizer at the gateway either. */
export const PUBLIC_ROUTES = [
  { method: apigwv2.HttpMethod.GET, path: '/health' },
  { method: apigwv2.HttpMethod.GET, path: '/openapi.json' },
] as const;

/** The methods the permission table names: what a browser app's preflight may ask for. */
export const API_METHODS = [...new Set(PERMISSIONS.map((p) => p.method))].sort();

/** A browser app on another origin (the operator console) that calls the API with its own app client's tokens. */
export interface BrowserApp {
  readonly client: cognito.UserPoolClient;
  /** `https://host`, no path: what the browser sends as Origin. */
  readonly origin: string;
}

/** Where the API publishes commands (functions/commands/commandPublisher.ts): `cmd/lwm2m/<thing>/req/<commandId>`. */
export const COMMAND_REQUEST_TOPICS = ['cmd/lwm2m/*/req/*'] as const;

/** Short-lived tokens: a removed group membership stops working within the hour. */
export const ACCESS_TOKEN_VALIDITY = Duration.hours(1);

/**
 * The operator API on AWS: an HTTP API in front of one Lambda that runs the embedded API's fastify
 * app (functions/lambda/api.ts), and a Cognito user pool whose groups are the three roles.
 *
 * - Every route but the public ones has API Gateway's JWT authorizer (issuer = the pool, audience
 *   = the app client), so unauthenticated traffic never reaches a Lambda; the app then applies the
 *   permission table with the Cognito profile (groups → roles), as the embedded server does.
 * - Users are created by an admin (no self sign-up), sign in with SRP, and must use TOTP MFA.
 * - Access is logged per request (JSON, one year), and the stage is throttled.
 */
export class FleetApi extends Construct {
  readonly userPool: cognito.UserPool;
  readonly client: cognito.UserPoolClient;
  readonly groups: cognito.CfnUserPoolGroup[];
  readonly api: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  readonly handler: HandlerFunction;
  readonly accessLogs: logs.LogGroup;
  /** The app clients whose tokens the gateway and the app accept; read at synth, so clients added later count. */
  private readonly clientIds: string[] = [];
  private readonly integration: HttpLambdaIntegration;

  constructor(scope: Construct, id: string, props: FleetApiProps) {
    super(scope, id);
    const stack = Stack.of(this);

    this.userPool = new cognito.UserPool(this, 'Users', {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      passwordPolicy: { minLength: 14, requireDigits: true, requireLowercase: true, requireUppercase: true, requireSymbols: true, tempPasswordValidity: Duration.days(3) },
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      featurePlan: cognito.FeaturePlan.PLUS,
      standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
      deletionProtection: true,
      // The pool holds the operators' accounts: deleting the stack must not delete them.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.groups = ROLES.map(
      (role) =>
        new cognito.CfnUserPoolGroup(this, `Group${role.charAt(0).toUpperCase()}${role.slice(1)}`, {
          userPoolId: this.userPool.userPoolId,
          groupName: role,
          description: `${role}: ${ROLE_PURPOSE[role]}`,
        }),
    );
    this.client = this.userPool.addClient('ApiClient', {
      authFlows: { userSrp: true },
      generateSecret: false,
      preventUserExistenceErrors: true,
      accessTokenValidity: ACCESS_TOKEN_VALIDITY,
      idTokenValidity: ACCESS_TOKEN_VALIDITY,
      refreshTokenValidity: Duration.days(1),
      enableTokenRevocation: true,
    });
    this.clientIds.push(this.client.userPoolClientId);
    const clientIds = { produce: () => this.clientIds };

    this.handler = new HandlerFunction(this, 'Api', {
      handler: 'api',
      environment: {
        ...props.environment,
        ...props.projections.environment,
        [LAMBDA_ENV.userPoolId]: this.userPool.userPoolId,
        [LAMBDA_ENV.userPoolClientIds]: Lazy.string({ produce: () => this.clientIds.join(',') }),
        [LAMBDA_ENV.provisioningStateMachineArn]: props.provisioning.stateMachineArn,
        [LAMBDA_ENV.deprovisioningStateMachineArn]: props.deprovisioning.stateMachineArn,
        [LAMBDA_ENV.rebuildFunctions]: props.rebuild.functionsJson(),
      },
      timeout: Duration.seconds(29),
      memorySize: 512,
    });
    const role = this.handler.role;
    // What the registered routes call: batch and device streams, the thing and its certificates
    // (is there something to deprovision?), manifest uploads and their listing, reports, and the two
    // workflows (reads of any run of either; starts of deprovisioning only: an upload starts provisioning).
    // Commands and alarm acknowledgements append to the store (their own streams, device streams).
    props.eventStore.grantStoreAccess(role, 'readWrite');
    // The directory and device views: reads on the projection tables, per table and index.
    props.projections.grantApiReads(role);
    grantRegistry(role, ['describeThing', 'certificateStatus']);
    // Commands go out through the IoT data plane, on the command request topics only.
    grantIotPublish(role, COMMAND_REQUEST_TOPICS);
    grantIotEndpointLookup(role);
    // Uploads write manifests; the batch list and a batch's upload facts list manifests/ and HEAD
    // each one for its metadata (HEAD is s3:GetObject: S3 has no narrower action for it).
    grantObjects(role, props.uploads, ['read', 'write'], OBJECT_PREFIXES.uploads);
    grantObjects(role, props.reports, ['read'], OBJECT_PREFIXES.reports);
    role.addToPolicy(new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [props.deprovisioning.stateMachineArn] }));
    const executions = [props.provisioning, props.deprovisioning].map((m) =>
      stack.formatArn({ service: 'states', resource: 'execution', arnFormat: ArnFormat.COLON_RESOURCE_NAME, resourceName: `${m.stateMachineName}:*` }),
    );
    role.addToPolicy(new iam.PolicyStatement({ actions: ['states:DescribeExecution', 'states:GetExecutionHistory'], resources: executions }));
    acknowledgeWildcardResources(role, executions, 'Execution names are batch ids and d-<uuid>: the API reads any execution of these two state machines, and no other.');
    // A projection rebuild on AWS starts that table's backfill function asynchronously.
    props.rebuild.grantStart(role);

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.RETAIN });
    const integration = new HttpLambdaIntegration('App', this.handler.fn, { payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0 });
    this.integration = integration;
    this.api = new apigwv2.HttpApi(this, 'HttpApi', {
      description: 'LwM2M fleet operator API',
      createDefaultStage: false,
      defaultIntegration: integration,
      defaultAuthorizer: new HttpJwtAuthorizer('Cognito', cognitoIssuer(stack.region, this.userPool.userPoolId), {
        jwtAudience: Lazy.list(clientIds),
      }),
    });
    for (const route of PUBLIC_ROUTES) {
      for (const added of this.api.addRoutes({ path: route.path, methods: [route.method], integration, authorizer: new apigwv2.HttpNoneAuthorizer() })) {
        Validations.of(added).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason: 'Public by design (health checks, the OpenAPI document); functions/api/auth/permissions.ts marks the route public too.',
        });
      }
    }
    this.stage = new apigwv2.HttpStage(this, 'Stage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: 50, burstLimit: 100 },
      accessLogSettings: { destination: new apigwv2.LogGroupLogDestination(this.accessLogs), format: AccessLogFormat.jsonWithStandardFields() },
    });
  }

  /**
   * Lets a browser app on another origin call the API: its app client's tokens pass the gateway's
   * authorizer and the app's own verifier, and CORS admits its origin (and only it) with the
   * methods of the permission table. The $default route carries the JWT authorizer and would
   * refuse preflights (they never carry a token), so `OPTIONS /{proxy+}` goes to the API Lambda
   * without one (API Gateway's documented recipe for a $default route with an authorizer); the
   * gateway puts the CORS headers on the answer and ignores any the Lambda sets.
   */
  allowBrowserApp(app: BrowserApp): void {
    this.clientIds.push(app.client.userPoolClientId);
    (this.api.node.defaultChild as apigwv2.CfnApi).corsConfiguration = {
      allowOrigins: [app.origin],
      allowMethods: API_METHODS,
      allowHeaders: ['authorization', 'content-type'],
      maxAge: Duration.hours(1).toSeconds(),
    };
    for (const added of this.api.addRoutes({ path: '/{proxy+}', methods: [apigwv2.HttpMethod.OPTIONS], integration: this.integration, authorizer: new apigwv2.HttpNoneAuthorizer() })) {
      Validations.of(added).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason: 'CORS preflights never carry credentials (Fetch standard), so the OPTIONS route cannot have an authorizer; the CORS headers come from the gateway, which admits the console origin only.',
      });
    }
  }
}

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES } from '../../functions/api/auth/roles.ts';
import { LAMBDA_ENV } from '../../functions/lambda/env.ts';
import { bridgePolicy, bridgePolicyName } from '../../functions/registry/devicePolicy.ts';
import { ACCESS_TOKEN_VALIDITY, PUBLIC_ROUTES } from '../../infra/cdk/constructs/fleetApi.ts';
import { BRIDGE_DOCKERFILE, bridgeIdPool, HEALTH_PORT, LWM2M_PORTS } from '../../infra/cdk/constructs/bridgeService.ts';
import { PROJECTION_TABLE_ENV } from '../../infra/cdk/constructs/projections.ts';
import type { ProjectionTableName } from '../../functions/projections/projectionTableDesign.ts';
import { allowedActions, synthesizeFleet, type SynthesizedFleet } from './synthesizedFleet.ts';
import { asList, resolvePseudo, TEST_ENV } from './templateValues.ts';

let fleet: SynthesizedFleet;
beforeAll(() => {
  fleet = synthesizeFleet();
});
afterAll(() => fleet.remove());

describe('operator API', () => {
  it('has a user pool whose groups are exactly the three roles, admin-created users, TOTP MFA and retained accounts', () => {
    const { userPool } = fleet.stack.api;
    const pool = fleet.resources[fleet.logicalId(userPool)]!;
    expect(pool.DeletionPolicy).toBe('Retain');
    expect(pool.Properties).toMatchObject({
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      MfaConfiguration: 'ON',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      DeletionProtection: 'ACTIVE',
      Policies: { PasswordPolicy: { MinimumLength: 14, RequireSymbols: true } },
    });
    const groups = fleet.ofType('AWS::Cognito::UserPoolGroup').map(([, g]) => g.Properties!);
    expect(groups.map((g) => g.GroupName).sort()).toEqual([...ROLES].sort());
    for (const g of groups) expect(g.UserPoolId).toEqual({ Ref: fleet.logicalId(userPool) });
    const client = fleet.resources[fleet.logicalId(fleet.stack.api.client)]!.Properties!;
    expect(client).toMatchObject({ GenerateSecret: false, ExplicitAuthFlows: expect.arrayContaining(['ALLOW_USER_SRP_AUTH']) as unknown, AccessTokenValidity: ACCESS_TOKEN_VALIDITY.toMinutes() });
    expect(asList(client.ExplicitAuthFlows as string[])).not.toContain('ALLOW_USER_PASSWORD_AUTH');
  });

  it('puts a JWT authorizer for the pool and its app client on every route except the public ones', () => {
    const authorizers = fleet.ofType('AWS::ApiGatewayV2::Authorizer');
    expect(authorizers).toHaveLength(1);
    const [authorizerId, authorizer] = authorizers[0]!;
    expect(authorizer.Properties).toMatchObject({
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: { Audience: [{ Ref: fleet.logicalId(fleet.stack.api.client) }] },
    });
    expect(JSON.stringify(resolvePseudo(authorizer.Properties!.JwtConfiguration))).toContain(`https://cognito-idp.${TEST_ENV.region}.amazonaws.com/`);
    const routes = fleet.ofType('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties!);
    const publicKeys = PUBLIC_ROUTES.map((r) => `${r.method} ${r.path}`);
    expect(routes.map((r) => r.RouteKey).sort()).toEqual(['$default', ...publicKeys].sort());
    for (const r of routes) {
      if (publicKeys.includes(r.RouteKey as string)) expect(r.AuthorizationType).toBe('NONE');
      else expect(r).toMatchObject({ AuthorizationType: 'JWT', AuthorizerId: { Ref: authorizerId } });
    }
  });

  it('logs every request, throttles the stage, and hands requests to the API Lambda (payload 2.0)', () => {
    const stage = fleet.resources[fleet.logicalId(fleet.stack.api.stage)]!.Properties!;
    expect(stage).toMatchObject({ StageName: '$default', AutoDeploy: true, DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 } });
    expect((stage.AccessLogSettings as { DestinationArn: unknown }).DestinationArn).toEqual({ 'Fn::GetAtt': [fleet.logicalId(fleet.stack.api.accessLogs), 'Arn'] });
    const integrations = fleet.ofType('AWS::ApiGatewayV2::Integration').map(([, i]) => i.Properties!);
    expect(integrations).toHaveLength(1);
    expect(integrations[0]).toMatchObject({ IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0', IntegrationUri: { 'Fn::GetAtt': [fleet.logicalId(fleet.stack.api.handler.fn), 'Arn'] } });
  });

  it('gives the API Lambda the pool, its client and both state machines, and only the calls its routes make', () => {
    const env = (fleet.resources[fleet.logicalId(fleet.stack.api.handler.fn)]!.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env[LAMBDA_ENV.userPoolId]).toEqual({ Ref: fleet.logicalId(fleet.stack.api.userPool) });
    expect(env[LAMBDA_ENV.userPoolClientIds]).toEqual({ Ref: fleet.logicalId(fleet.stack.api.client) });
    expect(env[LAMBDA_ENV.provisioningStateMachineArn]).toEqual({ Ref: fleet.logicalId(fleet.stack.provisioning.stateMachine) });
    expect(env[LAMBDA_ENV.deprovisioningStateMachineArn]).toEqual({ Ref: fleet.logicalId(fleet.stack.deprovisioning.stateMachine) });
    const statements = fleet.statementsOf(fleet.stack.api.handler.role);
    expect(allowedActions(statements)).toEqual(
      [
        // Commands and acknowledgements append to the event store.
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:Scan',
        'dynamodb:UpdateItem',
        'iot:DescribeCertificate',
        'iot:DescribeEndpoint',
        'iot:Publish',
        'iot:DescribeThing',
        'iot:ListPrincipalThings',
        'iot:ListThingGroupsForThing',
        'iot:ListThingPrincipals',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        's3:AbortMultipartUpload',
        's3:GetObject',
        's3:ListBucket',
        's3:PutObject',
        'states:DescribeExecution',
        'states:GetExecutionHistory',
        'states:StartExecution',
      ].sort(),
    );
    const start = statements.find((s) => asList(s.Action).includes('states:StartExecution'))!;
    expect(start.Resource).toEqual({ Ref: fleet.logicalId(fleet.stack.deprovisioning.stateMachine) });
    const put = statements.find((s) => asList(s.Action).includes('s3:PutObject'))!;
    expect(put.Resource).toEqual({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [fleet.logicalId(fleet.stack.storage.uploads), 'Arn'] }, '/manifests/*']] });
  });
});

describe('the API Lambda on the projection tables', () => {
  it('is told every table’s name and may only read: exactly the calls its directory and device views make, on each table and index', () => {
    const { tables } = fleet.stack.projections;
    const env = (fleet.resources[fleet.logicalId(fleet.stack.api.handler.fn)]!.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
    for (const [name, table] of Object.entries(tables) as [ProjectionTableName, (typeof tables)[ProjectionTableName]][]) {
      expect(env[PROJECTION_TABLE_ENV[name]]).toEqual({ Ref: fleet.logicalId(table) });
    }
    const ids = Object.values(tables).map((t) => fleet.logicalId(t));
    const granted = fleet
      .statementsOf(fleet.stack.api.handler.role)
      .filter((s) => ids.some((id) => JSON.stringify(s.Resource).includes(id)))
      .flatMap((s) => {
        expect(s.Effect).toBe('Allow');
        return asList(s.Action).flatMap((action) => asList(s.Resource as unknown[]).map((resource) => `${action} ${JSON.stringify(resource)}`));
      })
      .sort();
    const table = (t: keyof typeof tables) => ({ 'Fn::GetAtt': [fleet.logicalId(tables[t]), 'Arn'] });
    const index = (t: keyof typeof tables, name: string) => ({ 'Fn::Join': ['', [table(t), `/index/${name}`]] });
    expect(granted).toEqual(
      [
        `dynamodb:GetItem ${JSON.stringify(table('directory'))}`,
        `dynamodb:Scan ${JSON.stringify(table('directory'))}`,
        `dynamodb:Query ${JSON.stringify(index('directory', 'byTenant'))}`,
        `dynamodb:GetItem ${JSON.stringify(table('deviceState'))}`,
        `dynamodb:Query ${JSON.stringify(index('alarms', 'byThing'))}`,
        `dynamodb:Query ${JSON.stringify(index('rejections', 'byStage'))}`,
        `dynamodb:Query ${JSON.stringify(index('rejections', 'byThing'))}`,
        `dynamodb:GetItem ${JSON.stringify(table('alarms'))}`,
        `dynamodb:GetItem ${JSON.stringify(table('deviceSessions'))}`,
        `dynamodb:GetItem ${JSON.stringify(table('commandAudit'))}`,
        `dynamodb:Query ${JSON.stringify(index('commandAudit', 'byThing'))}`,
        `dynamodb:Query ${JSON.stringify(index('commandAudit', 'byOperator'))}`,
        `dynamodb:Query ${JSON.stringify(index('commandAudit', 'byTime'))}`,
      ].sort(),
    );
  });
});

describe('LwM2M bridge service', () => {
  it('listens on UDP 5683 and 5684 behind an internet-facing NLB, forwarding to the service with HTTP health checks', () => {
    const nlb = fleet.resources[fleet.logicalId(fleet.stack.bridge.loadBalancer)]!.Properties!;
    expect(nlb).toMatchObject({ Type: 'network', Scheme: 'internet-facing' });
    const listeners = fleet.ofType('AWS::ElasticLoadBalancingV2::Listener').map(([, l]) => l.Properties!);
    expect(listeners.map((l) => [l.Protocol, l.Port]).sort()).toEqual([
      ['UDP', LWM2M_PORTS.coap],
      ['UDP', LWM2M_PORTS.coaps],
    ]);
    const groups = fleet.ofType('AWS::ElasticLoadBalancingV2::TargetGroup').map(([, g]) => g.Properties!);
    expect(groups.map((g) => [g.Protocol, g.Port, g.TargetType]).sort()).toEqual([
      ['UDP', LWM2M_PORTS.coap, 'ip'],
      ['UDP', LWM2M_PORTS.coaps, 'ip'],
    ]);
    for (const g of groups) expect(g).toMatchObject({ HealthCheckProtocol: 'HTTP', HealthCheckPort: String(HEALTH_PORT), HealthCheckPath: '/health' });
    const service = fleet.resources[fleet.logicalId(fleet.stack.bridge.service)]!.Properties!;
    expect(asList(service.LoadBalancers as { ContainerPort: number }[]).map((l) => l.ContainerPort).sort()).toEqual([LWM2M_PORTS.coap, LWM2M_PORTS.coaps]);
    expect(service).toMatchObject({ LaunchType: 'FARGATE', NetworkConfiguration: { AwsvpcConfiguration: { AssignPublicIp: 'DISABLED' } } });
  });

  it('opens only the LwM2M ports to the world, and the tasks only to the load balancer', () => {
    const groups = fleet.ofType('AWS::EC2::SecurityGroup').map(([, g]) => g.Properties!);
    const open = groups.flatMap((g) => asList(g.SecurityGroupIngress as { CidrIp?: string; IpProtocol: string; FromPort: number }[])).filter((r) => r.CidrIp === '0.0.0.0/0');
    expect(open.map((r) => [r.IpProtocol, r.FromPort]).sort()).toEqual([
      ['udp', LWM2M_PORTS.coap],
      ['udp', LWM2M_PORTS.coaps],
    ]);
    const taskIngress = fleet.ofType('AWS::EC2::SecurityGroupIngress').map(([, r]) => r.Properties!);
    expect(taskIngress.every((r) => r.SourceSecurityGroupId !== undefined && r.CidrIp === undefined)).toBe(true);
    expect(taskIngress.map((r) => [r.IpProtocol, r.FromPort]).sort()).toEqual([
      ['tcp', HEALTH_PORT],
      ['udp', LWM2M_PORTS.coap],
      ['udp', LWM2M_PORTS.coaps],
    ]);
  });

  it('scales the service on CPU between its minimum and the size of the bridge identity pool', () => {
    const target = fleet.ofType('AWS::ApplicationAutoScaling::ScalableTarget').map(([, t]) => t.Properties!);
    expect(target).toEqual([expect.objectContaining({ MinCapacity: 2, MaxCapacity: 6, ScalableDimension: 'ecs:service:DesiredCount' })]);
    const policy = fleet.ofType('AWS::ApplicationAutoScaling::ScalingPolicy').map(([, p]) => p.Properties!);
    expect(policy).toEqual([
      expect.objectContaining({
        PolicyType: 'TargetTrackingScaling',
        TargetTrackingScalingPolicyConfiguration: expect.objectContaining({ TargetValue: 60, PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' } }) as unknown,
      }),
    ]);
    expect(fleet.stack.bridge.bridgePolicies).toHaveLength(6);
  });

  it('deploys one IoT policy per bridge identity, exactly bridgePolicy() of functions/registry/devicePolicy.ts, retained', () => {
    const policies = fleet.ofType('AWS::IoT::Policy').filter(([, p]) => String(p.Properties!.PolicyName).startsWith('lwm2m-bridge-'));
    expect(policies.map(([, p]) => p.Properties!.PolicyName).sort()).toEqual(bridgeIdPool(6).map(bridgePolicyName).sort());
    for (const [, p] of policies) {
      const id = String(p.Properties!.PolicyName).slice('lwm2m-bridge-'.length);
      expect(p.DeletionPolicy).toBe('Retain');
      expect(resolvePseudo(p.Properties!.PolicyDocument)).toEqual(bridgePolicy(id, TEST_ENV));
    }
  });

  it('runs the container built from the bridge Dockerfile (arm64), reading secrets from the credentials bucket, not the environment', () => {
    const task = fleet.resources[fleet.logicalId(fleet.stack.bridge.taskDefinition)]!.Properties!;
    expect(task).toMatchObject({ RequiresCompatibilities: ['FARGATE'], RuntimePlatform: { CpuArchitecture: 'ARM64' } });
    const [container] = asList(task.ContainerDefinitions as { Environment: { Name: string }[]; ReadonlyRootFilesystem: boolean; PortMappings: unknown[] }[]);
    expect(container!.ReadonlyRootFilesystem).toBe(true);
    expect(container!.Environment.map((e) => e.Name)).not.toContain(LAMBDA_ENV.credentialsKeyArn);
    // Staged, not built: the assets manifest names the Dockerfile and the staged context.
    const manifest = JSON.parse(readFileSync(join(fleet.outdir, `${fleet.stack.stackName}.assets.json`), 'utf8')) as {
      dockerImages: Record<string, { source: { directory: string; dockerFile: string; platform: string } }>;
    };
    const images = Object.values(manifest.dockerImages);
    expect(images.map((i) => [i.source.dockerFile, i.source.platform])).toEqual([[BRIDGE_DOCKERFILE, 'linux/arm64']]);
    const context = readdirSync(join(fleet.outdir, images[0]!.source.directory)).sort();
    expect(context).toEqual(expect.arrayContaining(['events', 'functions', 'package-lock.json', 'package.json', 'schemas']));
    for (const leftOut of ['node_modules', '.git', 'cdk.out', 'workflows']) expect(context).not.toContain(leftOut);
    // Of the tests, only the stand-in package npm ci needs goes into the image's build context.
    const contextDir = join(fleet.outdir, images[0]!.source.directory);
    expect(readdirSync(join(contextDir, 'test'))).toEqual(['support']);
    expect(readdirSync(join(contextDir, 'test', 'support'))).toEqual(['no-aead-crypto']);
    const taskRole = fleet.stack.bridge.taskDefinition.taskRole as never;
    const actions = allowedActions(fleet.statementsOf(taskRole));
    expect(actions).toEqual(['iot:DescribeEndpoint', 'kms:Decrypt', 's3:GetObject', 's3:ListBucket']);
  });
});

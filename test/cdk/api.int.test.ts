import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES } from '../../functions/api/auth/roles.ts';
import { LAMBDA_ENV } from '../../functions/lambda/env.ts';
import { ACCESS_TOKEN_VALIDITY, PUBLIC_ROUTES } from '../../infra/cdk/constructs/fleetApi.ts';
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
        // POST /projections/:name/rebuild starts a table's backfill function.
        'lambda:InvokeFunction',
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

  it('lets the API Lambda start exactly the projection tables’ rebuild functions, and tells it each one’s name and log group', () => {
    const { functions } = fleet.stack.projectionRebuild;
    const names = Object.keys(functions) as ProjectionTableName[];
    // Every Lambda grant of the role, one line per action and resource: unqualified ARNs, nothing else.
    const grants = fleet
      .statementsOf(fleet.stack.api.handler.role)
      .filter((s) => asList(s.Action).some((a) => a.startsWith('lambda:')))
      .flatMap((s) => {
        expect(s.Effect).toBe('Allow');
        expect((s as { Condition?: unknown }).Condition).toBeUndefined();
        return asList(s.Action).flatMap((action) => asList(s.Resource as unknown[]).map((resource) => `${action} ${JSON.stringify(resource)}`));
      })
      .sort();
    expect(grants).toEqual(names.map((n) => `lambda:InvokeFunction ${JSON.stringify({ 'Fn::GetAtt': [fleet.logicalId(functions[n].fn), 'Arn'] })}`).sort());

    // The variable is a JSON map built with references; put a marker for each and read it as the Lambda would.
    const env = (fleet.resources[fleet.logicalId(fleet.stack.api.handler.fn)]!.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
    const joined = resolvePseudo(env[LAMBDA_ENV.rebuildFunctions]) as { 'Fn::Join': [string, unknown[]] };
    const text = joined['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : `<${JSON.stringify(part).replace(/"/g, "'")}>`)).join(joined['Fn::Join'][0]);
    const ref = (id: string) => `<{'Ref':'${id}'}>`;
    expect(JSON.parse(text)).toEqual(
      Object.fromEntries(names.map((n) => [n, { functionName: ref(fleet.logicalId(functions[n].fn)), logGroup: ref(fleet.logicalId(functions[n].logGroup)) }])),
    );
  });

  it('lets the API Lambda list and HEAD manifests/ (the batch list) and read the runs of its two state machines, on nothing else', () => {
    // Every S3 and Step Functions grant of the role, one line per action, resource and condition.
    const grants = fleet
      .statementsOf(fleet.stack.api.handler.role)
      .filter((s) => asList(s.Action).some((a) => a.startsWith('s3:') || a.startsWith('states:')))
      .flatMap((s) => {
        expect(s.Effect).toBe('Allow');
        const condition = (s as { Condition?: unknown }).Condition;
        return asList(s.Action).flatMap((action) =>
          asList(s.Resource as unknown[]).map((resource) => `${action} ${JSON.stringify(resolvePseudo(resource))}${condition ? ` if ${JSON.stringify(condition)}` : ''}`),
        );
      })
      .sort();
    const bucket = (b: typeof fleet.stack.storage.uploads) => ({ 'Fn::GetAtt': [fleet.logicalId(b), 'Arn'] });
    const objects = (b: typeof fleet.stack.storage.uploads, prefix: string) => ({ 'Fn::Join': ['', [bucket(b), `/${prefix}*`]] });
    const { uploads, reports } = fleet.stack.storage;
    const runsOf = (machine: typeof fleet.stack.provisioning.stateMachine) => ({
      'Fn::Join': ['', [`arn:${TEST_ENV.partition}:states:${TEST_ENV.region}:${TEST_ENV.accountId}:execution:`, { 'Fn::GetAtt': [fleet.logicalId(machine), 'Name'] }, ':*']],
    });
    const { provisioning, deprovisioning } = fleet.stack;
    expect(grants).toEqual(
      [
        // Upload (put, and a failed streamed put cleans up its parts); HEAD each listed manifest for its metadata.
        `s3:AbortMultipartUpload ${JSON.stringify(objects(uploads, 'manifests/'))}`,
        `s3:PutObject ${JSON.stringify(objects(uploads, 'manifests/'))}`,
        `s3:GetObject ${JSON.stringify(objects(uploads, 'manifests/'))}`,
        // The batch list and one batch's manifest: ListObjectsV2 under manifests/ only.
        `s3:ListBucket ${JSON.stringify(bucket(uploads))} if ${JSON.stringify({ StringLike: { 's3:prefix': ['manifests/*'] } })}`,
        // Reports.
        `s3:GetObject ${JSON.stringify(objects(reports, 'batches/'))}`,
        `s3:ListBucket ${JSON.stringify(bucket(reports))} if ${JSON.stringify({ StringLike: { 's3:prefix': ['batches/*'] } })}`,
        // Progress (one batch and every batch listed) and deprovisioning runs; only deprovisioning is started here.
        `states:DescribeExecution ${JSON.stringify(runsOf(provisioning.stateMachine))}`,
        `states:GetExecutionHistory ${JSON.stringify(runsOf(provisioning.stateMachine))}`,
        `states:DescribeExecution ${JSON.stringify(runsOf(deprovisioning.stateMachine))}`,
        `states:GetExecutionHistory ${JSON.stringify(runsOf(deprovisioning.stateMachine))}`,
        `states:StartExecution ${JSON.stringify({ Ref: fleet.logicalId(deprovisioning.stateMachine) })}`,
      ].sort(),
    );
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

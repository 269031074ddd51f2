import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTableInput } from '../../functions/eventStore/dynamoTableDesign.ts';
import { LAMBDA_ENV } from '../../functions/lambda/env.ts';
import { devicePolicy } from '../../functions/registry/devicePolicy.ts';
import { ingestRulePattern } from '../../schemas/bus/ingest.ts';
import { buildApp } from '../../infra/cdk/app.ts';
import { IOT_STAR_ACTIONS } from '../../infra/cdk/registryAccess.ts';
import { DEVICE_DATA_RULES, deviceDataSql } from '../../infra/cdk/constructs/deviceIngress.ts';
import type { FleetStack } from '../../infra/cdk/stacks/fleetStack.ts';
import { TEST_ENV, asList, resolvePseudo, type Statement } from './templateValues.ts';

// Synthesizes the real app once: the Lambdas are bundled by the local esbuild (about a second),
// and the cdk-nag plugin runs as it does in `npm run synth`, so a finding fails here too.
let outdir: string;
let app: App;
let stack: FleetStack;
let template: Template;
let json: { Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string }> };

const resources = (type: string) => Object.entries(json.Resources).filter(([, r]) => r.Type === type);
const logicalId = (construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as never);

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'fleet-cdk-'));
  ({ app, stack } = buildApp({ outdir }));
  template = Template.fromStack(stack);
  json = template.toJSON() as typeof json;
});

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('cdk-nag', () => {
  it('lets the app synthesize with the AwsSolutions plugin registered, as `npm run synth` does', () => {
    expect(() => app.synth()).not.toThrow();
  });

  it('reports no unacknowledged finding on the app (errors or warnings)', () => {
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('does find problems when there are some, so the check above is not vacuous', () => {
    const bare = new Stack(new App(), 'Bare');
    new sqs.Queue(bare, 'Plain', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    const rules = new AwsSolutionsChecks().validateScope(bare).violations.map((v) => v.ruleName);
    expect(rules).toEqual(expect.arrayContaining(['AwsSolutions-SQS3', 'AwsSolutions-SQS4']));
  });
});

describe('event store table', () => {
  it('has the keys, index, stream and billing of dynamoTableDesign', () => {
    const want = createTableInput('ignored');
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: want.KeySchema,
      AttributeDefinitions: Match.arrayWith(want.AttributeDefinitions!.map((a) => Match.objectEquals({ ...a }))),
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
      GlobalSecondaryIndexes: want.GlobalSecondaryIndexes,
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
      SSESpecification: { SSEEnabled: true },
    });
    // The event store, one table per projection and the bridge's id leases; only the store has a stream.
    const tables = resources('AWS::DynamoDB::Table');
    expect(tables).toHaveLength(1 + Object.keys(stack.projections.tables).length + 1);
    expect(tables.map(([id]) => id)).toContain(logicalId(stack.bridge.leases));
    expect(tables.filter(([, t]) => t.Properties!.StreamSpecification !== undefined).map(([id]) => id)).toEqual([logicalId(stack.eventStore.table)]);
    const table = json.Resources[logicalId(stack.eventStore.table)]!;
    expect(table.Properties!.AttributeDefinitions).toHaveLength(want.AttributeDefinitions!.length);
    expect(table.DeletionPolicy).toBe('Retain');
  });
});

describe('event bus', () => {
  it('routes exactly ingestRulePattern to the append handler, with retries and a dead-letter queue', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: ingestRulePattern,
      EventBusName: { Ref: logicalId(stack.eventBus.bus) },
      Targets: [
        {
          Arn: { 'Fn::GetAtt': [logicalId(stack.append.fn), 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(stack.eventBus.ingestDeadLetters), 'Arn'] } },
          RetryPolicy: { MaximumRetryAttempts: 20, MaximumEventAgeInSeconds: 6 * 3600 },
        },
      ],
    });
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
  });

  it('archives the bus for a year', () => {
    template.hasResourceProperties('AWS::Events::Archive', { RetentionDays: 365, SourceArn: { 'Fn::GetAtt': [logicalId(stack.eventBus.bus), 'Arn'] } });
  });
});

describe('lambdas', () => {
  it('run Node 22 on arm64 with the table or bus name in their environment', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Environment: { Variables: Match.objectLike({ [LAMBDA_ENV.eventStoreTable]: { Ref: logicalId(stack.eventStore.table) } }) },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Environment: { Variables: Match.objectLike({ [LAMBDA_ENV.eventBusName]: { Ref: logicalId(stack.eventBus.bus) } }) },
    });
  });

  it('keep logs for three months and send failed async invocations of the decode step to a queue', () => {
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: Match.anyValue() });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId(stack.decode.fn) },
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [logicalId(stack.decode.failures!), 'Arn'] } } },
    });
  });
});

describe('device ingress', () => {
  it('deploys exactly the device policy document of functions/registry/devicePolicy.ts', () => {
    const policies = resources('AWS::IoT::Policy').filter(([, p]) => p.Properties!.PolicyName === 'lwm2m-device');
    expect(policies).toHaveLength(1);
    const policy = policies[0]![1];
    expect(policy.Properties!.PolicyName).toBe('lwm2m-device');
    expect(policy.DeletionPolicy).toBe('Retain');
    expect(resolvePseudo(policy.Properties!.PolicyDocument)).toEqual(devicePolicy(TEST_ENV));
  });

  it('gives every topic rule of the stack an error action, and selects base64 payloads from the device data topics', () => {
    const all = resources('AWS::IoT::TopicRule');
    // Device data here; the bridge and command-answer rules are bridgeTraffic.int.test.ts's.
    expect(all.length).toBeGreaterThan(DEVICE_DATA_RULES.length);
    // One error action for all of them: the checks of it below hold for every rule.
    const errorActions = new Set(all.map(([, rule]) => JSON.stringify((rule.Properties!.TopicRulePayload as { ErrorAction?: unknown }).ErrorAction)));
    expect(errorActions.size).toBe(1);
    const deviceRules = stack.ingress.rules.map((r) => stack.getLogicalId(r));
    const rules = all.filter(([id]) => deviceRules.includes(id));
    expect(rules).toHaveLength(DEVICE_DATA_RULES.length);
    for (const [, rule] of rules) {
      const payload = rule.Properties!.TopicRulePayload as Record<string, unknown>;
      const errorAction = payload.ErrorAction as { CloudwatchLogs: { LogGroupName: unknown; RoleArn: { 'Fn::GetAtt': [string, string] } } };
      expect(errorAction.CloudwatchLogs.LogGroupName).toEqual({ Ref: logicalId(stack.ingress.ruleErrors) });
      // The role IoT assumes to write there is a role of this stack that IoT may assume.
      const role = json.Resources[errorAction.CloudwatchLogs.RoleArn['Fn::GetAtt'][0]]!;
      expect(role.Type).toBe('AWS::IAM::Role');
      expect(JSON.stringify(role.Properties!.AssumeRolePolicyDocument)).toContain('iot.amazonaws.com');
      expect(payload.Actions).toEqual([{ Lambda: { FunctionArn: { 'Fn::GetAtt': [logicalId(stack.decode.fn), 'Arn'] } } }]);
    }
    expect(rules.map(([, r]) => (r.Properties!.TopicRulePayload as { Sql: string }).Sql).sort()).toEqual([
      "SELECT encode(*, 'base64') AS payloadBase64, topic() AS topic, topic(3) AS thingName, timestamp() AS receivedAt FROM 'dt/lwm2m/+/alarms'",
      deviceDataSql('dt/lwm2m/+/state'),
    ]);
  });

  it('lets IoT invoke the decode step only from each rule of this account', () => {
    for (const ruleId of stack.ingress.rules.map((r) => stack.getLogicalId(r))) {
      template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        Principal: 'iot.amazonaws.com',
        FunctionName: { 'Fn::GetAtt': [logicalId(stack.decode.fn), 'Arn'] },
        SourceArn: { 'Fn::GetAtt': [ruleId, 'Arn'] },
        SourceAccount: { Ref: 'AWS::AccountId' },
      });
    }
  });
});

describe('IAM', () => {
  // Statements from every kind of policy in the template except KMS key policies: a key policy
  // names its key as "*" and AWS's default grants the account kms:* so IAM can delegate.
  const statements = (): { where: string; s: Statement }[] => {
    const out: { where: string; s: Statement }[] = [];
    for (const [id, r] of Object.entries(json.Resources)) {
      const docs: unknown[] = [];
      if (['AWS::IAM::Policy', 'AWS::S3::BucketPolicy', 'AWS::SQS::QueuePolicy', 'AWS::IoT::Policy'].includes(r.Type)) docs.push(r.Properties!.PolicyDocument);
      if (r.Type === 'AWS::IAM::Role') docs.push(...asList(r.Properties!.Policies as { PolicyDocument: unknown }[]).map((p) => p.PolicyDocument));
      for (const d of docs) for (const s of asList((d as { Statement: Statement | Statement[] }).Statement)) out.push({ where: id, s });
    }
    return out;
  };
  /**
   * Actions AWS only grants on "*": IoT calls without a resource type, Step Functions' log delivery,
   * X-Ray, ListStreams for the stream consumers, and the bridge container's ECR login and IoT endpoint. Each one added must be listed here.
   */
  const STAR_RESOURCE_ACTIONS = new Set<string>([
    ...IOT_STAR_ACTIONS,
    'logs:CreateLogDelivery',
    'logs:GetLogDelivery',
    'logs:UpdateLogDelivery',
    'logs:DeleteLogDelivery',
    'logs:ListLogDeliveries',
    'logs:PutResourcePolicy',
    'logs:DescribeResourcePolicies',
    'logs:DescribeLogGroups',
    'xray:PutTraceSegments',
    'xray:PutTelemetryRecords',
    'xray:GetSamplingRules',
    'xray:GetSamplingTargets',
    'dynamodb:ListStreams',
    'ecr:GetAuthorizationToken',
    'iot:DescribeEndpoint',
  ]);

  it('allows no wildcard action on a data service (a Deny of everything over plain HTTP is fine)', () => {
    const wild = statements().filter(({ s }) => s.Effect === 'Allow').flatMap(({ where, s }) => asList(s.Action).filter((a) => /^(dynamodb|s3|events|iot|sqs|kms|logs|lambda):\*$|^\*$/.test(a)).map((a) => `${where}: ${a}`));
    expect(statements().length).toBeGreaterThan(5);
    expect(wild).toEqual([]);
  });

  it('allows nothing on Resource "*" except actions AWS only grants that way', () => {
    const star = statements().filter(({ s }) => s.Effect === 'Allow' && asList(s.Resource).includes('*') && asList(s.Action).some((a) => !STAR_RESOURCE_ACTIONS.has(a)));
    expect(star.map(({ where }) => where)).toEqual([]);
  });

  it('lets the append handler touch only the event store table and its day index', () => {
    const appendPolicy = stack.getLogicalId(stack.append.role.node.findChild('DefaultPolicy').node.defaultChild as never);
    const dynamo = statements().filter(({ where, s }) => where === appendPolicy && asList(s.Action).some((a) => a.startsWith('dynamodb:')));
    expect(resolvePseudo(dynamo.map(({ s }) => s.Resource))).toEqual([
      { 'Fn::GetAtt': [logicalId(stack.eventStore.table), 'Arn'] },
      { 'Fn::Join': ['', [`arn:aws:dynamodb:eu-west-1:123456789012:table/`, { Ref: logicalId(stack.eventStore.table) }, '/index/byDay']] },
    ]);
  });

  it('grants no DynamoDB action on the event store outside its table, day index and stream', () => {
    const table = logicalId(stack.eventStore.table);
    const onStore = statements().filter(({ s }) => asList(s.Action).some((a) => a.startsWith('dynamodb:')) && JSON.stringify(s.Resource).includes(table));
    expect(onStore.length).toBeGreaterThan(2);
    for (const { s } of onStore) {
      for (const r of asList(s.Resource)) {
        const allowed = [{ 'Fn::GetAtt': [table, 'Arn'] }, { 'Fn::GetAtt': [table, 'StreamArn'] }].map((a) => JSON.stringify(a));
        expect(allowed.includes(JSON.stringify(r)) || JSON.stringify(r).endsWith('/index/byDay"]]}')).toBe(true);
      }
    }
  });

  it('lets only the decode step, the bridge-message handler (relayed device data) and the outbox put events, and only on the fleet bus', () => {
    const puts = statements().filter(({ s }) => asList(s.Action).includes('events:PutEvents'));
    const policyOf = (role: { node: { findChild(id: string): { node: { defaultChild?: unknown } } } }) => stack.getLogicalId(role.node.findChild('DefaultPolicy').node.defaultChild as never);
    expect(puts.map(({ where }) => where).sort()).toEqual([policyOf(stack.decode.role), policyOf(stack.bridgeTraffic.bridgeMessages.role), policyOf(stack.outbox.publisher.role)].sort());
    for (const { s } of puts) expect(s.Resource).toEqual({ 'Fn::GetAtt': [logicalId(stack.eventBus.bus), 'Arn'] });
  });
});

describe('storage', () => {
  it('encrypts the credentials bucket with its rotated customer key, blocks public access and refuses puts without SSE-KMS', () => {
    const keyId = logicalId(stack.storage.credentialsKey);
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] } }, BucketKeyEnabled: true },
        ],
      },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      VersioningConfiguration: { Status: 'Enabled' },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logicalId(stack.storage.credentials) },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:PutObject', Condition: { StringNotEquals: { 's3:x-amz-server-side-encryption': 'aws:kms' } } }),
        ]),
      },
    });
  });

  it('blocks public access, refuses plain HTTP and aborts stale multipart uploads on every bucket', () => {
    const buckets = resources('AWS::S3::Bucket');
    expect(buckets).toHaveLength(4);
    for (const [id, b] of buckets) {
      expect(b.Properties!.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
      expect((b.Properties!.LifecycleConfiguration as { Rules: unknown[] }).Rules).toContainEqual(
        expect.objectContaining({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' }),
      );
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: id },
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
      });
    }
  });

  it('sends upload events to EventBridge without a custom resource, and expires reports after a year', () => {
    template.hasResourceProperties('AWS::S3::Bucket', { NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } } });
    expect(resources('Custom::S3BucketNotifications')).toHaveLength(0);
    const reports = json.Resources[logicalId(stack.storage.reports)]!;
    expect((reports.Properties!.LifecycleConfiguration as { Rules: unknown[] }).Rules).toContainEqual(expect.objectContaining({ ExpirationInDays: 365 }));
  });
});

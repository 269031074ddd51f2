import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matchesPattern } from '../../functions/bus/patternMatcher.ts';
import { startProvisioningOnUpload } from '../../functions/lambda/manifestUploaded.ts';
import type { ProvisioningInput } from '../../functions/provisioning/batchInput.ts';
import { applySubstitutions } from '../../functions/workflows/aslDefinition.ts';
import { IOT_STAR_ACTIONS } from '../../infra/cdk/registryAccess.ts';
import { REPO_ROOT } from '../../infra/cdk/handlers.ts';
import type { Workflow } from '../../infra/cdk/constructs/workflow.ts';
import { BOOTSTRAP_DELIVERY_TOPICS, BOOTSTRAP_WORKFLOW, DEPROVISIONING_WORKFLOW, PROVISIONING_WORKFLOW, type WorkflowSpec } from '../../infra/cdk/workflows.ts';
import { topics } from '../../schemas/topics/topics.ts';
import { allowedActions, synthesizeFleet, type SynthesizedFleet } from './synthesizedFleet.ts';
import { asList } from './templateValues.ts';

let fleet: SynthesizedFleet;
beforeAll(() => {
  fleet = synthesizeFleet();
});
afterAll(() => fleet.remove());

const workflows = (): [WorkflowSpec, Workflow][] => [
  [PROVISIONING_WORKFLOW, fleet.stack.provisioning],
  [DEPROVISIONING_WORKFLOW, fleet.stack.deprovisioning],
  [BOOTSTRAP_WORKFLOW, fleet.stack.bootstrap],
];

describe.each([PROVISIONING_WORKFLOW.name, DEPROVISIONING_WORKFLOW.name, BOOTSTRAP_WORKFLOW.name])('the %s state machine', (name) => {
  const pick = () => workflows().find(([spec]) => spec.name === name)!;

  it('deploys the workflow file itself; substituted, it equals the file with each task Lambda ARN put in', () => {
    const [spec, workflow] = pick();
    const machine = fleet.resources[fleet.logicalId(workflow.stateMachine)]!.Properties!;
    const location = machine.DefinitionS3Location as { Key: string };
    const deployed = readFileSync(join(fleet.outdir, `asset.${location.Key}`), 'utf8');
    expect(deployed).toBe(readFileSync(join(REPO_ROOT, spec.definitionFile), 'utf8'));

    // What Step Functions does at deploy time, with each Fn::GetAtt standing for the ARN it names.
    const arnOf = (logicalId: string) => `arn:aws:lambda:eu-west-1:123456789012:function:${logicalId}`;
    const substitutions = Object.fromEntries(
      Object.entries(machine.DefinitionSubstitutions as Record<string, { 'Fn::GetAtt': [string, string] }>).map(([k, v]) => [k, arnOf(v['Fn::GetAtt'][0])]),
    );
    const expected = applySubstitutions(
      JSON.parse(readFileSync(join(REPO_ROOT, spec.definitionFile), 'utf8')),
      Object.fromEntries(Object.entries(spec.functions).map(([sub, fn]) => [sub, arnOf(fleet.logicalId(workflow.tasks.get(fn)!.fn))])),
      spec.definitionFile,
    );
    expect(applySubstitutions(JSON.parse(deployed), substitutions, 'deployed definition')).toEqual(expected);
  });

  it('points each substitution at the Lambda that runs that task (its handler is the export of that name)', () => {
    const [spec, workflow] = pick();
    const machine = fleet.resources[fleet.logicalId(workflow.stateMachine)]!.Properties!;
    const subs = machine.DefinitionSubstitutions as Record<string, { 'Fn::GetAtt': [string, string] }>;
    expect(Object.keys(subs).sort()).toEqual(Object.keys(spec.functions).sort());
    for (const [sub, fn] of Object.entries(spec.functions)) {
      const lambda = fleet.resources[subs[sub]!['Fn::GetAtt'][0]]!;
      expect(lambda.Type).toBe('AWS::Lambda::Function');
      expect(lambda.Properties!.Handler).toBe(`index.${fn}`);
    }
  });

  it('is a Standard state machine that logs every transition without execution data, and is traced', () => {
    const [spec, workflow] = pick();
    const machine = fleet.resources[fleet.logicalId(workflow.stateMachine)]!.Properties!;
    expect(spec.type).toBe('STANDARD');
    expect(machine.StateMachineType).toBe('STANDARD');
    expect(machine.LoggingConfiguration).toEqual({
      Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [fleet.logicalId(workflow.logGroup), 'Arn'] } } }],
      IncludeExecutionData: false,
      Level: 'ALL',
    });
    expect(machine.TracingConfiguration).toEqual({ Enabled: true });
  });

  it('may invoke its own task Lambdas (unqualified ARNs) and nothing else', () => {
    const [, workflow] = pick();
    const statements = fleet.statementsOf(workflow.role);
    const invoke = statements.filter((s) => asList(s.Action).includes('lambda:InvokeFunction'));
    expect(invoke).toHaveLength(1);
    const taskArns = [...workflow.tasks.values()].map((t) => ({ 'Fn::GetAtt': [fleet.logicalId(t.fn), 'Arn'] }));
    expect(asList(invoke[0]!.Resource as unknown[])).toEqual(taskArns);
    // Everything else is log delivery and tracing, which AWS only grants on "*".
    const others = allowedActions(statements.filter((s) => s !== invoke[0]));
    expect(others.every((a) => a.startsWith('logs:') || a.startsWith('xray:'))).toBe(true);
    const trust = fleet.resources[fleet.logicalId(workflow.role)]!.Properties!.AssumeRolePolicyDocument;
    expect(JSON.stringify(trust)).toContain('states.amazonaws.com');
  });
});

describe('task Lambdas: each role allows only the calls of its task', () => {
  const actionsOf = (workflow: Workflow, fn: string) => allowedActions(fleet.statementsOf(workflow.tasks.get(fn)!.role));

  it('gives IoT certificate creation only to ProvisionChunk, and IoT deletion only to DetachAndDelete', () => {
    const all = workflows().flatMap(([, w]) => [...w.tasks.keys()].map((fn) => ({ fn, actions: actionsOf(w, fn) })));
    expect(all.filter((t) => t.actions.includes('iot:CreateKeysAndCertificate')).map((t) => t.fn)).toEqual(['provisionChunk']);
    expect(all.filter((t) => t.actions.includes('iot:DeleteThing')).map((t) => t.fn)).toEqual(['detachAndDelete']);
    expect(all.filter((t) => t.actions.includes('s3:DeleteObject')).map((t) => t.fn)).toEqual(['deleteCredentials']);
  });

  it('keeps RecordBatchFailure to writing reports, and RevokeCertificates to certificates', () => {
    const p = fleet.stack.provisioning;
    expect(actionsOf(p, 'recordBatchFailure')).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents', 's3:AbortMultipartUpload', 's3:PutObject']);
    expect(actionsOf(fleet.stack.deprovisioning, 'revokeCertificates')).toEqual([
      'iot:DescribeCertificate',
      'iot:ListPrincipalThings',
      'iot:UpdateCertificate',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
    ]);
  });

  it('scopes object access to the area prefix and grants the credentials key only to tasks that touch credentials', () => {
    const p = fleet.stack.provisioning;
    const validate = fleet.statementsOf(p.tasks.get('validateManifest')!.role);
    const get = validate.find((s) => asList(s.Action).includes('s3:GetObject'))!;
    expect(get.Resource).toEqual({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [fleet.logicalId(fleet.stack.storage.uploads), 'Arn'] }, '/manifests/*']] });
    for (const [, w] of workflows()) {
      for (const [fn, task] of w.tasks) {
        const kms = fleet.statementsOf(task.role).filter((s) => asList(s.Action).some((a) => a.startsWith('kms:')));
        const touchesCredentials = fleet.statementsOf(task.role).some((s) => JSON.stringify(s.Resource).includes(fleet.logicalId(fleet.stack.storage.credentials)));
        expect({ fn, kms: kms.length > 0 }).toEqual({ fn, kms: touchesCredentials });
        for (const s of kms) expect(s.Resource).toEqual({ 'Fn::GetAtt': [fleet.logicalId(fleet.stack.storage.credentialsKey), 'Arn'] });
      }
    }
  });

  it('uses Resource "*" only for the IoT actions IAM offers no resource type for', () => {
    for (const [spec, w] of workflows()) {
      for (const [fn, task] of w.tasks) {
        // DescribeEndpoint only for a task that declares it looks the endpoint up.
        const allowed = [...IOT_STAR_ACTIONS, ...((spec.tasks as Record<string, { iotEndpoint?: boolean }>)[fn]?.iotEndpoint ? ['iot:DescribeEndpoint'] : [])];
        const star = fleet.statementsOf(task.role).filter((s) => asList(s.Resource).includes('*'));
        for (const s of star) expect({ fn, actions: asList(s.Action).filter((a) => !allowed.includes(a)) }).toEqual({ fn, actions: [] });
      }
    }
  });

  it('gives each task Lambda at least the time its state allows it (TimeoutSeconds), so the definition decides', () => {
    for (const [spec, w] of workflows()) {
      const definition = JSON.parse(readFileSync(join(REPO_ROOT, spec.definitionFile), 'utf8')) as unknown;
      const states: { Resource?: string; TimeoutSeconds?: number }[] = [];
      const collect = (v: unknown): void => {
        if (Array.isArray(v)) v.forEach(collect);
        else if (v !== null && typeof v === 'object') {
          const o = v as Record<string, unknown>;
          if (o.Type === 'Task') states.push(o);
          Object.values(o).forEach(collect);
        }
      };
      collect(definition);
      expect(states.length).toBeGreaterThan(0);
      for (const state of states) {
        const fn = (spec.functions as Record<string, string>)[state.Resource!.slice(2, -1)]!;
        const lambda = fleet.resources[fleet.logicalId(w.tasks.get(fn)!.fn)]!.Properties!;
        expect({ fn, enough: (lambda.Timeout as number) >= (state.TimeoutSeconds ?? 60) }).toEqual({ fn, enough: true });
      }
    }
  });
});

describe('bootstrap tasks: only DeliverCredentials touches a private key, and only to hand it to a bridge', () => {
  const b = () => fleet.stack.bootstrap;
  const statementsOf = (fn: string) => fleet.statementsOf(b().tasks.get(fn)!.role);
  const credentialsArn = () => ({ 'Fn::GetAtt': [fleet.logicalId(fleet.stack.storage.credentials), 'Arn'] });

  it('lets DeliverCredentials read and decrypt each device’s MQTT credentials and nothing else of the credentials area', () => {
    const s = statementsOf('deliverBootstrapCredentials');
    const s3 = s.filter((x) => asList(x.Action).some((a) => a.startsWith('s3:')));
    expect(s3).toEqual([
      expect.objectContaining({ Action: 's3:GetObject', Resource: { 'Fn::Join': ['', [credentialsArn(), '/devices/*/mqtt.json']] } }),
      // Names only, under devices/: without it a missing object reads as 403 instead of "not provisioned".
      expect.objectContaining({ Action: 's3:ListBucket', Resource: credentialsArn(), Condition: { StringLike: { 's3:prefix': ['devices/*'] } } }),
    ]);
    const kms = s.filter((x) => asList(x.Action).some((a) => a.startsWith('kms:')));
    expect(kms).toEqual([expect.objectContaining({ Action: 'kms:Decrypt', Resource: { 'Fn::GetAtt': [fleet.logicalId(fleet.stack.storage.credentialsKey), 'Arn'] } })]);
    // It reads the device's stream position; it appends nothing.
    expect(allowedActions(s).filter((a) => a.startsWith('dynamodb:'))).toEqual(['dynamodb:GetItem', 'dynamodb:Query']);
  });

  it('lets DeliverCredentials publish only to bridges’ bootstrap topics, and no other role in the stack publish but the API (commands)', () => {
    const publish = statementsOf('deliverBootstrapCredentials').filter((x) => asList(x.Action).includes('iot:Publish'));
    expect(publish).toEqual([
      expect.objectContaining({
        Action: 'iot:Publish',
        Resource: {
          'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iot:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:topic/${BOOTSTRAP_DELIVERY_TOPICS}`]],
        },
      }),
    ]);
    // IAM's `*` matches any characters: the pattern covers the topics the task builds and no other kind.
    const iamMatch = (topic: string) => new RegExp(`^${BOOTSTRAP_DELIVERY_TOPICS.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`).test(topic);
    expect(iamMatch(topics.bootstrapResponse('aws-1', 'meter-1'))).toBe(true);
    expect(iamMatch(topics.bootstrapResponse('aws-6', 'lund:w-0042'))).toBe(true);
    for (const other of [topics.commandRequest('meter-1', 'c-1'), topics.bridgeEvent('aws-1', 'register', 'meter-1'), topics.deviceState('meter-1'), topics.bridgeStatus('aws-1')]) {
      expect({ other, matches: iamMatch(other) }).toEqual({ other, matches: false });
    }
    const everyPublisher = Object.entries(fleet.resources)
      .filter(([, r]) => r.Type === 'AWS::IAM::Policy')
      .filter(([, r]) => asList((r.Properties!.PolicyDocument as { Statement: { Action: string | string[] }[] }).Statement).some((x) => asList(x.Action).includes('iot:Publish')))
      .map(([id]) => id);
    // The API publishes commands on cmd/lwm2m/*/req/* (test/cdk/commandsOnAws.int.test.ts checks that grant).
    const policyOf = (role: { node: { findChild(id: string): { node: { defaultChild?: unknown } } } }) => fleet.stack.getLogicalId(role.node.findChild('DefaultPolicy').node.defaultChild as never);
    expect(everyPublisher.sort()).toEqual([policyOf(b().tasks.get('deliverBootstrapCredentials')!.role), policyOf(fleet.stack.api.handler.role)].sort());
  });

  it('keeps the other tasks off the credentials, the data plane and (but for recording) off writes', () => {
    const expected: Record<string, string[]> = {
      checkBootstrapDevice: ['dynamodb:GetItem', 'dynamodb:Query', 'iot:DescribeCertificate', 'iot:ListPrincipalThings', 'logs:CreateLogStream', 'logs:PutLogEvents'],
      checkBootstrapResult: ['dynamodb:GetItem', 'dynamodb:Query', 'logs:CreateLogStream', 'logs:PutLogEvents'],
    };
    for (const [fn, actions] of Object.entries(expected)) expect({ fn, actions: allowedActions(statementsOf(fn)) }).toEqual({ fn, actions });
    for (const fn of ['recordBootstrapRejected', 'recordDeviceBootstrapped', 'recordBootstrapFailed']) {
      const actions = allowedActions(statementsOf(fn));
      expect({ fn, others: actions.filter((a) => !a.startsWith('dynamodb:') && !a.startsWith('logs:')) }).toEqual({ fn, others: [] });
      expect(actions).toContain('dynamodb:PutItem');
    }
  });
});

describe('the manifest upload trigger', () => {
  const BUCKET = 'fleet-uploads-test';
  const s3Event = (key: string, bucket = BUCKET) => ({
    version: '0',
    id: 'c2c1a3d5-1111-2222-3333-444455556666',
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: '123456789012',
    time: '2026-05-01T10:00:00Z',
    region: 'eu-west-1',
    resources: [`arn:aws:s3:::${bucket}`],
    detail: { version: '0', bucket: { name: bucket }, object: { key, size: 120, etag: 'd41d8cd98f00b204e9800998ecf8427e' }, reason: 'PutObject' },
  });
  const rule = () => fleet.resources[fleet.logicalId(fleet.stack.provisioningTrigger.rule)]!.Properties!;
  /** The rule's pattern with the bucket's Ref as the name the test events carry. */
  const pattern = () => JSON.parse(JSON.stringify(rule().EventPattern).split(JSON.stringify({ Ref: fleet.logicalId(fleet.stack.storage.uploads) })).join(JSON.stringify(BUCKET))) as unknown;

  it('matches manifests the upload API writes, in the uploads bucket only (checked with the bus pattern matcher)', () => {
    expect(rule().EventBusName).toBeUndefined(); // S3 sends to the default bus
    for (const key of ['manifests/b-5f0c.csv', 'manifests/b-5f0c.json', 'manifests/b-5f0c.ndjson']) expect(matchesPattern(pattern(), s3Event(key))).toBe(true);
    for (const key of ['manifests/lund.csv', 'batches/b-1/report.csv', 'manifests/b-1.txt']) expect(matchesPattern(pattern(), s3Event(key))).toBe(false);
    expect(matchesPattern(pattern(), s3Event('manifests/b-5f0c.csv', 'another-bucket'))).toBe(false);
  });

  it('hands the starter the object key, which becomes the embedded module’s workflow input and an execution named after the batch', async () => {
    const target = asList(rule().Targets as Record<string, unknown>[])[0]!;
    expect(target.Arn).toEqual({ 'Fn::GetAtt': [fleet.logicalId(fleet.stack.provisioningTrigger.starter.fn), 'Arn'] });
    expect(target.DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': [fleet.logicalId(fleet.stack.provisioningTrigger.deadLetters), 'Arn'] } });
    const transformer = target.InputTransformer as { InputPathsMap: Record<string, string>; InputTemplate: string };
    // EventBridge's input transformer: each <name> becomes the JSON of the value at its path.
    const event = s3Event('manifests/b-5f0c.ndjson');
    const at = (path: string) => path.slice(2).split('.').reduce<unknown>((v, k) => (v as Record<string, unknown>)[k], event);
    const input = JSON.parse(
      Object.entries(transformer.InputPathsMap).reduce((t, [name, path]) => t.split(`<${name}>`).join(JSON.stringify(at(path))), transformer.InputTemplate),
    ) as unknown;

    const started: { input: ProvisioningInput; name: string }[] = [];
    const handler = startProvisioningOnUpload({ start: (i, name) => (started.push({ input: i, name }), Promise.resolve('started' as const)) });
    await expect(handler(input as never, {} as Context)).resolves.toEqual({ started: true, batchId: 'b-5f0c' });
    expect(started).toEqual([{ input: { batchId: 'b-5f0c', manifestKey: 'manifests/b-5f0c.ndjson', format: 'ndjson' }, name: 'b-5f0c' }]);
  });

  it('lets the starter start only the provisioning state machine', () => {
    const statements = fleet.statementsOf(fleet.stack.provisioningTrigger.starter.role);
    const start = statements.filter((s) => asList(s.Action).some((a) => a.startsWith('states:')));
    expect(start).toEqual([expect.objectContaining({ Action: 'states:StartExecution', Resource: { Ref: fleet.logicalId(fleet.stack.provisioning.stateMachine) } })]);
  });
});

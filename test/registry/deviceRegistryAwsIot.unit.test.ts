import { generateKeyPairSync } from 'node:crypto';
import {
  CreateKeysAndCertificateCommand,
  ResourceAlreadyExistsException,
  ServiceUnavailableException,
  ThrottlingException as SdkThrottlingException,
  UnauthorizedException,
  VersionConflictException,
  VersionsLimitExceededException,
} from '@aws-sdk/client-iot';
import { describe, expect, it } from 'vitest';
import { createAwsIotDeviceRegistry, type IotSender } from '../../functions/registry/awsIotDeviceRegistry.ts';
import { devicePolicy, DEVICE_POLICY_NAME } from '../../functions/registry/devicePolicy.ts';
import { DeleteConflictException, RegistryError, ResourceNotFoundException, ThrottlingException } from '../../functions/registry/deviceRegistry.ts';
import { SUITE_THING_TYPE, testDeviceRegistry } from '../suites/deviceRegistry.suite.ts';
import { FakeIot, type SentCommand } from './fakeIot.ts';

const ARN = { region: 'eu-west-1', accountId: '123456789012' } as const;
const CERT_ARN = /^arn:aws:iot:eu-west-1:123456789012:cert\/[0-9a-f]{64}$/;
const meta = { $metadata: { httpStatusCode: 400, requestId: 'req-123' } };

const suiteFakes: FakeIot[] = [];
testDeviceRegistry('AWS IoT (in-memory IoT at the send boundary)', {
  create: () => {
    // Pages of two, so every listing the suite reads spans several pages.
    const fake = new FakeIot({ thingTypes: [SUITE_THING_TYPE], defaultPageSize: 2 });
    suiteFakes.push(fake);
    return Promise.resolve(createAwsIotDeviceRegistry({ client: fake, arn: ARN }));
  },
});

const setup = (options: ConstructorParameters<typeof FakeIot>[0] = {}) => {
  const fake = new FakeIot({ thingTypes: [SUITE_THING_TYPE], ...options });
  return { fake, registry: createAwsIotDeviceRegistry({ client: fake, arn: ARN }) };
};

/*
 * Request syntax of each action, from the AWS IoT API Reference ("Request Syntax", "URI Request
 * Parameters", "Request Body"): where each member travels and which are required. A URI or header
 * member must be a non-empty string, since the SDK puts it in the path, query or header as text.
 */
type Where = 'uri' | 'query' | 'header' | 'body';
const documented: Record<string, { required: Record<string, Where>; optional: Record<string, Where> }> = {
  CreateThing: { required: { thingName: 'uri' }, optional: { thingTypeName: 'body', attributePayload: 'body', billingGroupName: 'body' } },
  UpdateThing: {
    required: { thingName: 'uri' },
    optional: { thingTypeName: 'body', attributePayload: 'body', expectedVersion: 'body', removeThingType: 'body' },
  },
  DescribeThing: { required: { thingName: 'uri' }, optional: {} },
  DeleteThing: { required: { thingName: 'uri' }, optional: { expectedVersion: 'query' } },
  CreateKeysAndCertificate: { required: {}, optional: { setAsActive: 'query' } },
  CreatePolicy: { required: { policyName: 'uri', policyDocument: 'body' }, optional: { tags: 'body' } },
  GetPolicy: { required: { policyName: 'uri' }, optional: {} },
  CreatePolicyVersion: { required: { policyName: 'uri', policyDocument: 'body' }, optional: { setAsDefault: 'query' } },
  ListPolicyVersions: { required: { policyName: 'uri' }, optional: {} },
  DeletePolicyVersion: { required: { policyName: 'uri', policyVersionId: 'uri' }, optional: {} },
  AttachPolicy: { required: { policyName: 'uri', target: 'body' }, optional: {} },
  DetachPolicy: { required: { policyName: 'uri', target: 'body' }, optional: {} },
  AttachThingPrincipal: { required: { thingName: 'uri', principal: 'header' }, optional: { thingPrincipalType: 'query' } },
  DetachThingPrincipal: { required: { thingName: 'uri', principal: 'header' }, optional: {} },
  ListThingPrincipals: { required: { thingName: 'uri' }, optional: { nextToken: 'query', maxResults: 'query' } },
  CreateThingGroup: { required: { thingGroupName: 'uri' }, optional: { parentGroupName: 'body', thingGroupProperties: 'body', tags: 'body' } },
  DescribeThingGroup: { required: { thingGroupName: 'uri' }, optional: {} },
  AddThingToThingGroup: {
    required: {},
    optional: { thingGroupName: 'body', thingGroupArn: 'body', thingName: 'body', thingArn: 'body', overrideDynamicGroups: 'body' },
  },
  RemoveThingFromThingGroup: { required: {}, optional: { thingGroupName: 'body', thingGroupArn: 'body', thingName: 'body', thingArn: 'body' } },
  ListThingGroupsForThing: { required: { thingName: 'uri' }, optional: { nextToken: 'query', maxResults: 'query' } },
  UpdateCertificate: { required: { certificateId: 'uri', newStatus: 'query' }, optional: {} },
  DescribeCertificate: { required: { certificateId: 'uri' }, optional: {} },
  DeleteCertificate: { required: { certificateId: 'uri' }, optional: { forceDelete: 'query' } },
  ListPrincipalThings: { required: { principal: 'header' }, optional: { nextToken: 'query', maxResults: 'query' } },
};

const NAME = /^[a-zA-Z0-9:_-]{1,128}$/;
const valueRules: Record<string, (value: unknown) => boolean> = {
  thingName: (v) => typeof v === 'string' && NAME.test(v),
  thingTypeName: (v) => typeof v === 'string' && NAME.test(v),
  thingGroupName: (v) => typeof v === 'string' && NAME.test(v),
  policyName: (v) => typeof v === 'string' && /^[\w+=,.@-]{1,128}$/.test(v),
  certificateId: (v) => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v),
  target: (v) => typeof v === 'string' && CERT_ARN.test(v),
  principal: (v) => typeof v === 'string' && CERT_ARN.test(v),
  newStatus: (v) => v === 'ACTIVE' || v === 'INACTIVE' || v === 'REVOKED',
  thingPrincipalType: (v) => v === 'EXCLUSIVE_THING' || v === 'NON_EXCLUSIVE_THING',
  maxResults: (v) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 250,
  nextToken: (v) => typeof v === 'string' && v.length > 0,
  expectedVersion: (v) => Number.isInteger(v),
  setAsActive: (v) => typeof v === 'boolean',
  setAsDefault: (v) => typeof v === 'boolean',
  removeThingType: (v) => v === true,
  policyVersionId: (v) => typeof v === 'string' && /^\d+$/.test(v),
  policyDocument: (v) => typeof v === 'string' && (() => JSON.parse(v) as unknown)() !== null,
  attributePayload: (v) => {
    const { attributes, merge, ...rest } = v as { attributes?: Record<string, unknown>; merge?: unknown };
    return (
      Object.keys(rest).length === 0 &&
      (merge === undefined || typeof merge === 'boolean') &&
      typeof attributes === 'object' &&
      Object.entries(attributes).every(([k, value]) => /^[a-zA-Z0-9_.,@/:#-]{1,128}$/.test(k) && typeof value === 'string' && /^[a-zA-Z0-9_.,@/:#=[\]-]{0,800}$/.test(value))
    );
  },
};

/** Every problem with one request, judged against the reference; empty when it conforms. */
const problemsOf = ({ name, input }: SentCommand): string[] => {
  const action = name.replace(/Command$/, '');
  const spec = documented[action];
  if (!spec) return [`${action} is not an action this adapter is documented to use`];
  const problems: string[] = [];
  const where = { ...spec.required, ...spec.optional };
  for (const [member, value] of Object.entries(input)) {
    if (value === undefined) continue;
    const location = where[member];
    if (!location) problems.push(`${action}: ${member} is not a member of its request`);
    else if (location !== 'body' && typeof value === 'string' && value === '') problems.push(`${action}: ${member} (${location}) is empty`);
    const rule = valueRules[member];
    if (location && rule && !rule(value)) problems.push(`${action}: ${member} = ${JSON.stringify(value)} breaks the reference's constraints`);
  }
  for (const member of Object.keys(spec.required)) if (input[member] === undefined) problems.push(`${action}: required ${member} is missing`);
  if (action === 'CreateThing' && (input.attributePayload as { merge?: unknown } | undefined)?.merge !== undefined) {
    problems.push('CreateThing: merge "is only valid when calling UpdateThing or UpdateThingGroup"');
  }
  if ((action === 'AddThingToThingGroup' || action === 'RemoveThingFromThingGroup') && (input.thingGroupName === undefined || input.thingName === undefined)) {
    problems.push(`${action}: needs a thing group and a thing (by name here)`);
  }
  return problems;
};

const inputs = (fake: FakeIot, command: string) => fake.commands(`${command}Command`).map((c) => c.input);
const names = (fake: FakeIot) => fake.sent.map((c) => c.name.replace(/Command$/, ''));

describe('AWS IoT adapter: requests as the API reference documents them', () => {
  it('every request the conformance suite sent is well formed (runs after the suite)', () => {
    const sent = suiteFakes.flatMap((f) => f.sent);
    expect(sent.length).toBeGreaterThan(200);
    expect(sent.flatMap(problemsOf)).toEqual([]);
    // The suite reached every action the adapter uses.
    const used = new Set(sent.map((c) => c.name.replace(/Command$/, '')));
    expect([...Object.keys(documented)].filter((a) => !used.has(a))).toEqual([]);
  });

  it('the checker itself catches a misplaced or missing member', () => {
    expect(problemsOf({ name: 'AttachPolicyCommand', input: { policyName: 'p', principal: 'x' } })).toEqual([
      'AttachPolicy: principal is not a member of its request',
      'AttachPolicy: required target is missing',
    ]);
    expect(problemsOf({ name: 'CreateThingCommand', input: { thingName: 't', attributePayload: { attributes: {}, merge: true } } })).toEqual([
      'CreateThing: merge "is only valid when calling UpdateThing or UpdateThingGroup"',
    ]);
  });

  it('ensureThing: CreateThing with at most three attributes and no merge, the rest by UpdateThing merge: true', async () => {
    const { fake, registry } = setup();
    const attributes = { a1: 'v1', a2: 'v2', a3: 'v3', a4: 'v4', a5: 'v5' };
    await registry.ensureThing({ thingName: 'SN-1', attributes, thingType: SUITE_THING_TYPE });
    expect(fake.sent.map((c) => [c.name, c.input])).toEqual([
      ['DescribeThingCommand', { thingName: 'SN-1' }],
      ['CreateThingCommand', { thingName: 'SN-1', thingTypeName: SUITE_THING_TYPE, attributePayload: { attributes: { a1: 'v1', a2: 'v2', a3: 'v3' } } }],
      ['UpdateThingCommand', { thingName: 'SN-1', attributePayload: { attributes: { a4: 'v4', a5: 'v5' }, merge: true } }],
    ]);
    fake.sent.length = 0;
    await registry.ensureThing({ thingName: 'SN-1', attributes: { a1: 'v1', a2: 'changed', a6: 'new' }, thingType: SUITE_THING_TYPE });
    expect(inputs(fake, 'UpdateThing')).toEqual([
      { thingName: 'SN-1', attributePayload: { attributes: { a2: 'changed', a3: '', a4: '', a5: '', a6: 'new' }, merge: true }, expectedVersion: 2 },
    ]);
    expect(fake.things.get('SN-1')?.attributes).toEqual({ a1: 'v1', a2: 'changed', a6: 'new' });
    fake.sent.length = 0;
    await registry.ensureThing({ thingName: 'SN-1', attributes: { a1: 'v1' } });
    expect(inputs(fake, 'UpdateThing')).toEqual([
      { thingName: 'SN-1', removeThingType: true, attributePayload: { attributes: { a2: '', a6: '' }, merge: true }, expectedVersion: 3 },
    ]);
    await registry.ensureThing({ thingName: 'SN-2', attributes: {} });
    expect(inputs(fake, 'CreateThing')).toEqual([{ thingName: 'SN-2' }]);
  });

  it('provisioning and deprovisioning send the certificate ARN as target and principal, exclusively, and REVOKED', async () => {
    const { fake, registry } = setup();
    await registry.ensureThing({ thingName: 'SN-1', attributes: {} });
    await registry.ensurePolicy(DEVICE_POLICY_NAME, devicePolicy(ARN));
    const { certificateId, certificateArn } = await registry.createKeysAndCertificate({ thingName: 'SN-1' });
    await registry.attachPolicy(DEVICE_POLICY_NAME, certificateId);
    await registry.attachThingPrincipal('SN-1', certificateId);
    await registry.ensureThingGroup('lights');
    await registry.addThingToGroup('SN-1', 'lights');
    await registry.deactivateCertificate(certificateId);
    await registry.detachPolicy(DEVICE_POLICY_NAME, certificateId);
    await registry.detachThingPrincipal('SN-1', certificateId);
    await registry.deleteCertificate(certificateId);
    await registry.removeThingFromGroups('SN-1');
    await registry.deleteThing('SN-1');
    const arn = `arn:aws:iot:eu-west-1:123456789012:cert/${certificateId}`;
    expect(certificateArn).toBe(arn);
    expect(inputs(fake, 'CreatePolicy')).toEqual([{ policyName: DEVICE_POLICY_NAME, policyDocument: JSON.stringify(devicePolicy(ARN)) }]);
    expect(inputs(fake, 'CreateKeysAndCertificate')).toEqual([{ setAsActive: true }]);
    expect(inputs(fake, 'AttachPolicy')).toEqual([{ policyName: DEVICE_POLICY_NAME, target: arn }]);
    expect(inputs(fake, 'AttachThingPrincipal')).toEqual([{ thingName: 'SN-1', principal: arn, thingPrincipalType: 'EXCLUSIVE_THING' }]);
    expect(inputs(fake, 'DescribeThingGroup')).toEqual([{ thingGroupName: 'lights' }]);
    expect(inputs(fake, 'CreateThingGroup')).toEqual([{ thingGroupName: 'lights' }]);
    expect(inputs(fake, 'AddThingToThingGroup')).toEqual([{ thingGroupName: 'lights', thingName: 'SN-1' }]);
    expect(inputs(fake, 'UpdateCertificate')).toEqual([{ certificateId, newStatus: 'REVOKED' }]);
    expect(inputs(fake, 'DetachPolicy')).toEqual([{ policyName: DEVICE_POLICY_NAME, target: arn }]);
    expect(inputs(fake, 'DetachThingPrincipal')).toEqual([{ thingName: 'SN-1', principal: arn }]);
    expect(inputs(fake, 'DeleteCertificate')).toEqual([{ certificateId }]);
    expect(inputs(fake, 'ListThingGroupsForThing')).toEqual([{ thingName: 'SN-1' }]);
    expect(inputs(fake, 'RemoveThingFromThingGroup')).toEqual([{ thingGroupName: 'lights', thingName: 'SN-1' }]);
    expect(inputs(fake, 'DeleteThing')).toEqual([{ thingName: 'SN-1' }]);
    expect(fake.sent.flatMap(problemsOf)).toEqual([]);
  });

  it('pages every listing with maxResults and nextToken', async () => {
    const fake = new FakeIot({ defaultPageSize: 100 });
    const registry = createAwsIotDeviceRegistry({ client: fake, arn: ARN, pageSize: 3 });
    await registry.ensureThing({ thingName: 'SN-1', attributes: {} });
    for (let i = 0; i < 7; i++) {
      await registry.ensureThingGroup(`g${i}`);
      await registry.addThingToGroup('SN-1', `g${i}`);
    }
    fake.sent.length = 0;
    expect((await registry.describeThing('SN-1'))?.groups).toEqual(['g0', 'g1', 'g2', 'g3', 'g4', 'g5', 'g6']);
    const pages = inputs(fake, 'ListThingGroupsForThing');
    expect(pages).toHaveLength(3);
    expect(pages[0]).toEqual({ thingName: 'SN-1', maxResults: 3 });
    expect(pages[1]).toMatchObject({ thingName: 'SN-1', maxResults: 3, nextToken: expect.any(String) as unknown });
    expect(() => createAwsIotDeviceRegistry({ client: fake, arn: ARN, pageSize: 0 })).toThrow(/pageSize 0 is not valid/);
  });
});

describe('AWS IoT adapter: documented behaviours', () => {
  it('ensurePolicy: an equal document in other spacing or key order is unchanged; a sixth version deletes the oldest non-default', async () => {
    const { fake, registry } = setup();
    await registry.ensurePolicy('p', devicePolicy(ARN));
    const stored = fake.policies.get('p')!.versions[0]!;
    const reordered = JSON.parse(stored.document) as Record<string, unknown>;
    stored.document = JSON.stringify({ Statement: reordered.Statement, Version: reordered.Version }, null, 2);
    fake.sent.length = 0;
    expect(await registry.ensurePolicy('p', devicePolicy(ARN))).toEqual({ outcome: 'unchanged' });
    expect(names(fake)).toEqual(['GetPolicy']);
    const variant = (i: number) => ({ ...devicePolicy(ARN), Statement: devicePolicy(ARN).Statement.slice(0, 1 + (i % 3)) });
    for (let i = 0; i < 4; i++) await registry.ensurePolicy('p', variant(i));
    expect(fake.policies.get('p')!.versions.map((v) => v.versionId)).toEqual(['1', '2', '3', '4', '5']);
    // Make version 3 the oldest by date, so "oldest" is read from createDate, not the id.
    fake.policies.get('p')!.versions[2]!.createDate = new Date('2020-01-01T00:00:00Z');
    fake.sent.length = 0;
    expect(await registry.ensurePolicy('p', devicePolicy(ARN))).toEqual({ outcome: 'updated' });
    expect(names(fake)).toEqual(['GetPolicy', 'ListPolicyVersions', 'DeletePolicyVersion', 'CreatePolicyVersion']);
    expect(inputs(fake, 'DeletePolicyVersion')).toEqual([{ policyName: 'p', policyVersionId: '3' }]);
    expect(inputs(fake, 'CreatePolicyVersion')).toEqual([{ policyName: 'p', policyDocument: JSON.stringify(devicePolicy(ARN)), setAsDefault: true }]);
    expect(fake.policies.get('p')).toMatchObject({ defaultVersionId: '6' });
  });

  it('ensurePolicy: a version added by someone else between count and create makes room once more', async () => {
    const { fake, registry } = setup();
    await registry.ensurePolicy('p', devicePolicy(ARN));
    fake.failNext('CreatePolicyVersionCommand', () => new VersionsLimitExceededException({ message: 'The policy p already has 5 versions', ...meta }));
    fake.sent.length = 0;
    expect(await registry.ensurePolicy('p', { ...devicePolicy(ARN), Statement: devicePolicy(ARN).Statement.slice(0, 1) })).toEqual({ outcome: 'updated' });
    expect(names(fake)).toEqual(['GetPolicy', 'ListPolicyVersions', 'CreatePolicyVersion', 'ListPolicyVersions', 'CreatePolicyVersion']);
    expect(fake.policies.get('p')).toMatchObject({ defaultVersionId: '2' });
  });

  it('ensureThing: a thing created by someone else meanwhile is updated to what was asked', async () => {
    const { fake, registry } = setup();
    fake.failNext('CreateThingCommand', () => {
      fake.createThing({ thingName: 'SN-1', attributePayload: { attributes: { other: 'x' } } });
      return new ResourceAlreadyExistsException({ message: 'Thing SN-1 already exists in account with different attributes', ...meta });
    });
    expect(await registry.ensureThing({ thingName: 'SN-1', attributes: { model: 'ZX' } })).toEqual({ outcome: 'updated' });
    expect(fake.things.get('SN-1')?.attributes).toEqual({ model: 'ZX' });
  });

  it('ensureThing: a version conflict re-reads the thing and diffs again', async () => {
    const { fake, registry } = setup();
    await registry.ensureThing({ thingName: 'SN-1', attributes: { a: '1' } });
    fake.failNext('UpdateThingCommand', () => {
      fake.updateThing({ thingName: 'SN-1', attributePayload: { attributes: { b: '2' }, merge: true } });
      return new VersionConflictException({ message: 'The version for thing SN-1 does not match the expected version.', ...meta });
    });
    expect(await registry.ensureThing({ thingName: 'SN-1', attributes: { c: '3' } })).toEqual({ outcome: 'updated' });
    expect(fake.things.get('SN-1')?.attributes).toEqual({ c: '3' });
    expect(inputs(fake, 'UpdateThing').at(-1)).toEqual({ thingName: 'SN-1', attributePayload: { attributes: { a: '', b: '', c: '3' }, merge: true }, expectedVersion: 2 });
  });

  it('ensureThing: a thing type the account lacks is ResourceNotFoundException saying infra must create it', async () => {
    const { registry } = setup({ thingTypes: [] });
    const error = await registry.ensureThing({ thingName: 'SN-1', attributes: {}, thingType: 'unknown-type' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect((error as Error).message).toMatch(/thing type unknown-type does not exist.*CreateThingType/);
  });

  it('deletes right after DetachThingPrincipal wait for it to propagate: DeleteConflictException, retryable', async () => {
    const { fake, registry } = setup({ detachPropagation: 2 });
    await registry.ensureThing({ thingName: 'SN-1', attributes: {} });
    const { certificateId } = await registry.createKeysAndCertificate({ thingName: 'SN-1' });
    await registry.attachThingPrincipal('SN-1', certificateId);
    await registry.deactivateCertificate(certificateId);
    await registry.detachThingPrincipal('SN-1', certificateId);
    const certificateError = (await registry.deleteCertificate(certificateId).catch((e: unknown) => e)) as RegistryError;
    expect(certificateError).toBeInstanceOf(DeleteConflictException);
    expect(certificateError.retryable).toBe(true);
    const thingError = (await registry.deleteThing('SN-1').catch((e: unknown) => e)) as RegistryError;
    expect(thingError).toBeInstanceOf(DeleteConflictException);
    expect(thingError).toMatchObject({ retryable: true, requestId: 'fake-request' });
    expect(thingError.message).toMatch(/still attached to one or more principals.*retry with backoff while it propagates/);
    // Propagated: the same calls now succeed.
    await registry.deleteCertificate(certificateId);
    await registry.deleteThing('SN-1');
    expect(fake.things.size + fake.certificates.size).toBe(0);
  });

  it('describeThing lists certificates only, and certificateStatus counts AWS-internal states as INACTIVE', async () => {
    const { fake, registry } = setup();
    await registry.ensureThing({ thingName: 'SN-1', attributes: {} });
    const { certificateId } = await registry.createKeysAndCertificate({ thingName: 'SN-1' });
    await registry.attachThingPrincipal('SN-1', certificateId);
    fake.attachments.push({ thingName: 'SN-1', principal: 'eu-west-1:1a2b3c4d-cognito-identity', type: 'NON_EXCLUSIVE_THING' });
    expect((await registry.describeThing('SN-1'))?.principals).toEqual([certificateId]);
    fake.certificates.get(certificateId)!.status = 'PENDING_TRANSFER';
    expect(await registry.certificateStatus(certificateId)).toEqual({ status: 'INACTIVE', thingNames: ['SN-1'] });
    expect(inputs(fake, 'ListPrincipalThings')).toEqual([{ principal: `arn:aws:iot:eu-west-1:123456789012:cert/${certificateId}` }]);
  });
});

describe('AWS IoT adapter: errors keep their AWS names', () => {
  it('ThrottlingException stays ThrottlingException (retryable, request id kept); service faults keep their names', async () => {
    const { fake, registry } = setup();
    fake.failNext('DescribeThingCommand', () => new SdkThrottlingException({ message: 'Rate exceeded', ...meta }));
    const throttled = (await registry.describeThing('SN-1').catch((e: unknown) => e)) as RegistryError;
    expect(throttled).toBeInstanceOf(ThrottlingException);
    expect(throttled).toMatchObject({ name: 'ThrottlingException', retryable: true, requestId: 'req-123' });
    expect(throttled.message).toBe('AWS IoT DescribeThing for thing SN-1 failed with ThrottlingException: Rate exceeded; retry with backoff');

    fake.failNext('CreateThingGroupCommand', () => new ServiceUnavailableException({ message: 'Service unavailable', $metadata: {} }));
    const unavailable = (await registry.ensureThingGroup('g').catch((e: unknown) => e)) as RegistryError;
    expect(unavailable).toMatchObject({ name: 'ServiceUnavailableException', retryable: true });
    expect(unavailable).toBeInstanceOf(RegistryError);

    fake.failNext('GetPolicyCommand', () => new UnauthorizedException({ message: 'not allowed', $metadata: {} }));
    const unauthorized = (await registry.ensurePolicy('p', devicePolicy(ARN)).catch((e: unknown) => e)) as RegistryError;
    expect(unauthorized).toMatchObject({ name: 'UnauthorizedException', retryable: false });
    expect(unauthorized.message).toMatch(/grant it in the role's IAM policy/);

    fake.failNext('DescribeCertificateCommand', () => Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }));
    const timeout = (await registry.certificateStatus('a'.repeat(64)).catch((e: unknown) => e)) as RegistryError;
    expect(timeout).toMatchObject({ name: 'TimeoutError', retryable: true });
    // The SDK error is not chained: its raw response could hold anything.
    expect((timeout as { cause?: unknown }).cause).toBeUndefined();
  });

  it('a failed CreateKeysAndCertificate never puts key material in the error', async () => {
    const { fake, registry } = setup();
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }) as string;
    const body = JSON.stringify({ certificatePem: '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----', keyPair: { PrivateKey: keyPem } });
    // The SDK's deserialization errors quote the body they could not parse.
    fake.failNext('CreateKeysAndCertificateCommand', () =>
      Object.assign(new SyntaxError(`Deserialization error: unexpected token in ${body.slice(0, -3)}`), { $response: { body }, $metadata: {} }),
    );
    const error = (await registry.createKeysAndCertificate({ thingName: 'SN-1' }).catch((e: unknown) => e)) as RegistryError;
    expect(error).toBeInstanceOf(RegistryError);
    const seen = JSON.stringify({ message: error.message, stack: error.stack, own: { ...error } });
    expect(seen).not.toMatch(/-----BEGIN|PRIVATE KEY/);
    for (const line of keyPem.split('\n').filter((l) => l.length > 40)) expect(seen).not.toContain(line.slice(0, 40));
    expect(error.message).toMatch(/\[rsa private key redacted\]/);
  });

  it('an answer without the private key is refused, and the orphan certificate is deactivated and deleted', async () => {
    const fake = new FakeIot();
    const client = {
      send: (command: { input: object }) =>
        command instanceof CreateKeysAndCertificateCommand
          ? (fake.send(command) as Promise<object>).then((response) => ({ ...response, keyPair: { PublicKey: 'x' } }))
          : (fake.send as (c: object) => Promise<unknown>)(command),
    } as unknown as IotSender;
    const registry = createAwsIotDeviceRegistry({ client, arn: ARN });
    const error = (await registry.createKeysAndCertificate({ thingName: 'SN-1' }).catch((e: unknown) => e)) as RegistryError;
    expect(error).toMatchObject({ name: 'InternalFailureException', retryable: true });
    expect(error.message).toMatch(/without a valid keyPair\.PrivateKey; certificate [0-9a-f]{64} was deactivated and deleted: call createKeysAndCertificate again/);
    expect(error.message).not.toMatch(/-----BEGIN/);
    expect(names(fake)).toEqual(['CreateKeysAndCertificate', 'UpdateCertificate', 'DeleteCertificate']);
    expect(inputs(fake, 'UpdateCertificate')[0]).toMatchObject({ newStatus: 'INACTIVE' });
    expect(fake.certificates.size).toBe(0);
  });
});

import 'reflect-metadata';
import { createHash, randomBytes, randomUUID, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import {
  AddThingToThingGroupCommand,
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CertificateStateException,
  CreateKeysAndCertificateCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateThingCommand,
  CreateThingGroupCommand,
  DeleteCertificateCommand,
  DeleteConflictException,
  DeletePolicyVersionCommand,
  DeleteThingCommand,
  DescribeCertificateCommand,
  DescribeThingCommand,
  DescribeThingGroupCommand,
  DetachPolicyCommand,
  DetachThingPrincipalCommand,
  GetPolicyCommand,
  InvalidRequestException,
  LimitExceededException,
  ListPolicyVersionsCommand,
  ListPrincipalThingsCommand,
  ListThingGroupsForThingCommand,
  ListThingPrincipalsCommand,
  MalformedPolicyException,
  RemoveThingFromThingGroupCommand,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  UpdateCertificateCommand,
  UpdateThingCommand,
  VersionConflictException,
  VersionsLimitExceededException,
  type AttributePayload,
  type CertificateStatus,
} from '@aws-sdk/client-iot';
import type { IotSender } from '../../functions/registry/awsIotDeviceRegistry.ts';

/*
 * An in-memory AWS IoT registry at the SDK's `send` boundary, implementing only the commands the
 * adapter uses, with the behaviour the IoT API reference documents for them:
 * - CreateThing succeeds again for the same name and configuration and throws
 *   ResourceAlreadyExistsException for a different one; its attributePayload holds "up to three"
 *   pairs, and `merge` is "only valid when calling UpdateThing or UpdateThingGroup".
 * - UpdateThing merges (merge: true; an empty value removes the attribute) or overwrites; a thing
 *   without a type holds 3 attributes, with one 50; expectedVersion mismatches throw
 *   VersionConflictException.
 * - DeleteThing succeeds for a thing that does not exist and refuses one with principals
 *   (InvalidRequestException "Cannot delete. Thing ... is still attached to one or more principals",
 *   the message AWS sends); group memberships go with the thing.
 * - DetachThingPrincipal is asynchronous: with `detachPropagation: n` a detached principal stays in
 *   effect for the next n commands.
 * - Policies keep at most 5 versions (VersionsLimitExceededException); the default version cannot be
 *   deleted; a certificate holds at most 10 policies (LimitExceededException); a thing is in at most
 *   10 groups (InvalidRequestException: AddThingToThingGroup documents no other error for it).
 * - UpdateCertificate is idempotent; REVOKED is final (CertificateStateException). DeleteCertificate
 *   refuses an ACTIVE certificate (CertificateStateException) and one attached to a thing, or to a
 *   policy unless forceDelete (DeleteConflictException).
 * - List* page with maxResults and an opaque nextToken.
 * Two choices where the reference is silent: DetachPolicy and RemoveThingFromThingGroup on something
 * not attached succeed, as the idempotent UpdateCertificate does.
 *
 * CreateKeysAndCertificate returns a real RSA 2048 key and X.509 certificate (CN "AWS IoT
 * Certificate", as AWS issues them). Key generation costs ~120 ms, so keys come from a pool of three
 * made once per process; each certificate is new (new serial, so a new id).
 */

export interface SentCommand {
  readonly name: string;
  readonly input: Record<string, unknown>;
}

export interface FakeIotOptions {
  readonly accountId?: string;
  readonly region?: string;
  /** Thing types that exist (infra makes them in AWS). */
  readonly thingTypes?: readonly string[];
  /** Page size of List* calls without maxResults. */
  readonly defaultPageSize?: number;
  /** Commands for which a detached principal still counts as attached. */
  readonly detachPropagation?: number;
}

interface Thing {
  thingName: string;
  thingId: string;
  thingArn: string;
  thingTypeName: string | undefined;
  attributes: Record<string, string>;
  version: number;
}

interface PolicyVersion {
  versionId: string;
  document: string;
  createDate: Date;
}

interface Policy {
  arn: string;
  versions: PolicyVersion[];
  defaultVersionId: string;
  nextVersion: number;
  creationDate: Date;
  lastModifiedDate: Date;
}

interface Certificate {
  id: string;
  arn: string;
  pem: string;
  status: CertificateStatus;
  creationDate: Date;
  lastModifiedDate: Date;
  notBefore: Date;
  notAfter: Date;
  policies: Set<string>;
}

interface Attachment {
  thingName: string;
  principal: string;
  type: 'EXCLUSIVE_THING' | 'NON_EXCLUSIVE_THING';
  /** Set once detached: the attachment lingers for this many more commands. */
  lingersFor?: number;
}

interface Group {
  name: string;
  arn: string;
  id: string;
  creationDate: Date;
}

const meta = { $metadata: { httpStatusCode: 400, requestId: 'fake-request' } };
const notFound = (message: string) => new ResourceNotFoundException({ message, ...meta });
const invalid = (message: string) => new InvalidRequestException({ message, ...meta });

const RSA = { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' } as const;
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
let keyPool: Promise<webcrypto.CryptoKeyPair[]> | undefined;
const keys = () => (keyPool ??= Promise.all([0, 1, 2].map(() => webcrypto.subtle.generateKey(RSA, true, ['sign', 'verify']))));
const pem = async (format: 'spki' | 'pkcs8', key: webcrypto.CryptoKey, tag: string) =>
  x509.PemConverter.encode(await webcrypto.subtle.exportKey(format, key), tag);

type Input<C> = C extends { input: infer I } ? I : never;

export class FakeIot implements IotSender {
  readonly sent: SentCommand[] = [];
  readonly things = new Map<string, Thing>();
  readonly policies = new Map<string, Policy>();
  readonly certificates = new Map<string, Certificate>();
  readonly groups = new Map<string, Group>();
  readonly memberships = new Map<string, Set<string>>();
  attachments: Attachment[] = [];
  readonly #thingTypes: Set<string>;
  readonly #pageSize: number;
  readonly #detachPropagation: number;
  readonly #arn: string;
  readonly #failures: { command: string; error: () => Error; times: number }[] = [];
  #issued = 0;

  constructor(options: FakeIotOptions = {}) {
    this.#thingTypes = new Set(options.thingTypes ?? []);
    this.#pageSize = options.defaultPageSize ?? 25;
    this.#detachPropagation = options.detachPropagation ?? 0;
    this.#arn = `arn:aws:iot:${options.region ?? 'eu-west-1'}:${options.accountId ?? '123456789012'}:`;
  }

  /** The next `times` sends of `command` (its class name) throw what `error` makes, before doing anything. */
  failNext(command: string, error: () => Error, times = 1): void {
    this.#failures.push({ command, error, times });
  }

  /** Commands sent, optionally of one kind. */
  commands(name?: string): SentCommand[] {
    return name === undefined ? this.sent : this.sent.filter((c) => c.name === name);
  }

  /** IoTClient's `send` for the commands the adapter uses. */
  readonly send = ((command: { input: object }) => this.#send(command)) as unknown as IotSender['send'];

  async #send(command: { input: object }): Promise<unknown> {
    const name = command.constructor.name;
    // A copy, so later changes to the caller's objects cannot rewrite what was sent.
    this.sent.push({ name, input: structuredClone(command.input) as Record<string, unknown> });
    this.#tick();
    const failure = this.#failures.find((f) => f.command === name && f.times > 0);
    if (failure) {
      failure.times -= 1;
      throw failure.error();
    }
    const input = command.input as never;
    const out = await this.#dispatch(command, input);
    return { ...(out as object), $metadata: { httpStatusCode: 200, requestId: randomUUID() } };
  }

  #dispatch(command: object, input: never): unknown {
    if (command instanceof CreateThingCommand) return this.createThing(input);
    if (command instanceof UpdateThingCommand) return this.updateThing(input);
    if (command instanceof DescribeThingCommand) return this.describeThing(input);
    if (command instanceof DeleteThingCommand) return this.deleteThing(input);
    if (command instanceof CreateKeysAndCertificateCommand) return this.createKeysAndCertificate(input);
    if (command instanceof CreatePolicyCommand) return this.createPolicy(input);
    if (command instanceof GetPolicyCommand) return this.getPolicy(input);
    if (command instanceof CreatePolicyVersionCommand) return this.createPolicyVersion(input);
    if (command instanceof ListPolicyVersionsCommand) return this.listPolicyVersions(input);
    if (command instanceof DeletePolicyVersionCommand) return this.deletePolicyVersion(input);
    if (command instanceof AttachPolicyCommand) return this.attachPolicy(input);
    if (command instanceof DetachPolicyCommand) return this.detachPolicy(input);
    if (command instanceof AttachThingPrincipalCommand) return this.attachThingPrincipal(input);
    if (command instanceof DetachThingPrincipalCommand) return this.detachThingPrincipal(input);
    if (command instanceof ListThingPrincipalsCommand) return this.listThingPrincipals(input);
    if (command instanceof CreateThingGroupCommand) return this.createThingGroup(input);
    if (command instanceof DescribeThingGroupCommand) return this.describeThingGroup(input);
    if (command instanceof AddThingToThingGroupCommand) return this.addThingToThingGroup(input);
    if (command instanceof RemoveThingFromThingGroupCommand) return this.removeThingFromThingGroup(input);
    if (command instanceof ListThingGroupsForThingCommand) return this.listThingGroupsForThing(input);
    if (command instanceof UpdateCertificateCommand) return this.updateCertificate(input);
    if (command instanceof DescribeCertificateCommand) return this.describeCertificate(input);
    if (command instanceof DeleteCertificateCommand) return this.deleteCertificate(input);
    if (command instanceof ListPrincipalThingsCommand) return this.listPrincipalThings(input);
    throw new Error(`FakeIot does not implement ${command.constructor.name}`);
  }

  #tick(): void {
    for (const a of this.attachments) if (a.lingersFor !== undefined) a.lingersFor -= 1;
    this.attachments = this.attachments.filter((a) => a.lingersFor === undefined || a.lingersFor >= 0);
  }

  #thing(thingName: string | undefined): Thing {
    const thing = thingName === undefined ? undefined : this.things.get(thingName);
    if (!thing) throw notFound(`Thing ${thingName} cannot be found.`);
    return thing;
  }

  #certificateByArn(principal: string | undefined): Certificate {
    const id = principal?.startsWith(`${this.#arn}cert/`) ? principal.slice(`${this.#arn}cert/`.length) : undefined;
    const certificate = id === undefined ? undefined : this.certificates.get(id);
    if (!certificate) throw notFound(`The certificate given in the principal does not exist: ${principal}`);
    return certificate;
  }

  #page<T>(items: readonly T[], maxResults: number | undefined, nextToken: string | undefined) {
    const size = maxResults ?? this.#pageSize;
    if (!Number.isInteger(size) || size < 1 || size > 250) throw invalid(`maxResults ${size} must be between 1 and 250.`);
    const start = nextToken === undefined ? 0 : Number(Buffer.from(nextToken, 'base64url').toString());
    const end = start + size;
    return { items: items.slice(start, end), nextToken: end < items.length ? Buffer.from(String(end)).toString('base64url') : undefined };
  }

  #checkAttributeCount(thingName: string, count: number, typed: boolean): void {
    if (count > (typed ? 50 : 3)) {
      throw invalid(`Thing ${thingName} would have ${count} attributes; a thing ${typed ? 'with a thing type holds at most 50' : 'without a thing type holds at most 3'}.`);
    }
  }

  #checkThingType(name: string | undefined): void {
    if (name !== undefined && !this.#thingTypes.has(name)) throw notFound(`Thing type ${name} is not found.`);
  }

  createThing({ thingName, thingTypeName, attributePayload }: Input<CreateThingCommand>) {
    if (!thingName) throw invalid('thingName is required.');
    if (attributePayload?.merge !== undefined) throw invalid('merge is only valid when calling UpdateThing or UpdateThingGroup.');
    const attributes = { ...(attributePayload?.attributes ?? {}) };
    if (Object.keys(attributes).length > 3) throw invalid('The attribute payload of CreateThing consists of up to three name/value pairs.');
    this.#checkThingType(thingTypeName);
    this.#checkAttributeCount(thingName, Object.keys(attributes).length, thingTypeName !== undefined);
    const existing = this.things.get(thingName);
    if (existing) {
      const same =
        existing.thingTypeName === thingTypeName &&
        JSON.stringify(Object.entries(existing.attributes).sort()) === JSON.stringify(Object.entries(attributes).sort());
      if (!same) {
        throw new ResourceAlreadyExistsException({
          message: `Thing ${thingName} already exists in account with different attributes`,
          resourceId: existing.thingId,
          resourceArn: existing.thingArn,
          ...meta,
        });
      }
    } else {
      this.things.set(thingName, { thingName, thingId: randomUUID(), thingArn: `${this.#arn}thing/${thingName}`, thingTypeName, attributes, version: 1 });
    }
    const thing = this.#thing(thingName);
    return { thingName, thingArn: thing.thingArn, thingId: thing.thingId };
  }

  updateThing({ thingName, thingTypeName, attributePayload, expectedVersion, removeThingType }: Input<UpdateThingCommand>) {
    const thing = this.#thing(thingName);
    if (expectedVersion !== undefined && expectedVersion !== thing.version) {
      throw new VersionConflictException({ message: `The version for thing ${thingName} does not match the expected version.`, ...meta });
    }
    if (thingTypeName !== undefined && removeThingType) throw invalid('Cannot set a thing type and remove it in one request.');
    this.#checkThingType(thingTypeName);
    const attributes = this.#applyPayload(thing.attributes, attributePayload);
    const type = removeThingType ? undefined : (thingTypeName ?? thing.thingTypeName);
    this.#checkAttributeCount(thing.thingName, Object.keys(attributes).length, type !== undefined);
    Object.assign(thing, { attributes, thingTypeName: type, version: thing.version + 1 });
    return {};
  }

  #applyPayload(current: Record<string, string>, payload: AttributePayload | undefined): Record<string, string> {
    if (!payload?.attributes) return current;
    const result: Record<string, string> = payload.merge ? { ...current } : {};
    for (const [name, value] of Object.entries(payload.attributes)) {
      if (value === '') delete result[name];
      else result[name] = value;
    }
    return result;
  }

  describeThing({ thingName }: Input<DescribeThingCommand>) {
    const thing = this.#thing(thingName);
    return {
      defaultClientId: thing.thingName,
      thingName: thing.thingName,
      thingId: thing.thingId,
      thingArn: thing.thingArn,
      ...(thing.thingTypeName === undefined ? {} : { thingTypeName: thing.thingTypeName }),
      attributes: { ...thing.attributes },
      version: thing.version,
    };
  }

  deleteThing({ thingName, expectedVersion }: Input<DeleteThingCommand>) {
    const thing = thingName === undefined ? undefined : this.things.get(thingName);
    if (!thing) return {};
    if (expectedVersion !== undefined && expectedVersion !== thing.version) {
      throw new VersionConflictException({ message: `The version for thing ${thingName} does not match the expected version.`, ...meta });
    }
    if (this.attachments.some((a) => a.thingName === thing.thingName)) {
      throw invalid(`Cannot delete. Thing ${thing.thingName} is still attached to one or more principals`);
    }
    this.things.delete(thing.thingName);
    this.memberships.delete(thing.thingName);
    return {};
  }

  async createKeysAndCertificate({ setAsActive }: Input<CreateKeysAndCertificateCommand>) {
    const pool = await keys();
    const pair = pool[this.#issued++ % pool.length]!;
    const issuer = pool[(this.#issued + 1) % pool.length]!;
    const notBefore = new Date();
    const notAfter = new Date('2049-12-31T23:59:59Z');
    const certificate = await x509.X509CertificateGenerator.create({
      serialNumber: randomBytes(16).toString('hex').replace(/^[89a-f]/, '1'),
      subject: 'CN=AWS IoT Certificate',
      issuer: 'OU=Amazon Web Services O=Amazon.com Inc. L=Seattle ST=Washington C=US',
      notBefore,
      notAfter,
      publicKey: pair.publicKey,
      signingKey: issuer.privateKey,
      signingAlgorithm: RSA,
    });
    const certificatePem = certificate.toString('pem');
    const certificateId = createHash('sha256').update(new Uint8Array(certificate.rawData)).digest('hex');
    const arn = `${this.#arn}cert/${certificateId}`;
    const now = new Date();
    this.certificates.set(certificateId, {
      id: certificateId,
      arn,
      pem: certificatePem,
      status: setAsActive ? 'ACTIVE' : 'INACTIVE',
      creationDate: now,
      lastModifiedDate: now,
      notBefore,
      notAfter,
      policies: new Set(),
    });
    return {
      certificateArn: arn,
      certificateId,
      certificatePem,
      keyPair: { PublicKey: await pem('spki', pair.publicKey, 'PUBLIC KEY'), PrivateKey: await pem('pkcs8', pair.privateKey, 'PRIVATE KEY') },
    };
  }

  #policy(policyName: string | undefined): Policy {
    const policy = policyName === undefined ? undefined : this.policies.get(policyName);
    if (!policy) throw notFound(`Policy not found: ${policyName}`);
    return policy;
  }

  #checkDocument(document: string | undefined): string {
    try {
      JSON.parse(document ?? '');
      return document!;
    } catch {
      throw new MalformedPolicyException({ message: 'The policy document is not valid JSON.', ...meta });
    }
  }

  createPolicy({ policyName, policyDocument }: Input<CreatePolicyCommand>) {
    if (!policyName) throw invalid('policyName is required.');
    const document = this.#checkDocument(policyDocument);
    if (this.policies.has(policyName)) {
      throw new ResourceAlreadyExistsException({ message: `Policy ${policyName} already exists.`, resourceId: policyName, ...meta });
    }
    const now = new Date();
    const arn = `${this.#arn}policy/${policyName}`;
    this.policies.set(policyName, { arn, versions: [{ versionId: '1', document, createDate: now }], defaultVersionId: '1', nextVersion: 2, creationDate: now, lastModifiedDate: now });
    return { policyName, policyArn: arn, policyDocument: document, policyVersionId: '1' };
  }

  getPolicy({ policyName }: Input<GetPolicyCommand>) {
    const policy = this.#policy(policyName);
    const current = policy.versions.find((v) => v.versionId === policy.defaultVersionId)!;
    return {
      policyName,
      policyArn: policy.arn,
      policyDocument: current.document,
      defaultVersionId: policy.defaultVersionId,
      creationDate: policy.creationDate,
      lastModifiedDate: policy.lastModifiedDate,
      generationId: `g-${policy.nextVersion}`,
    };
  }

  createPolicyVersion({ policyName, policyDocument, setAsDefault }: Input<CreatePolicyVersionCommand>) {
    const policy = this.#policy(policyName);
    const document = this.#checkDocument(policyDocument);
    if (policy.versions.length >= 5) {
      throw new VersionsLimitExceededException({ message: `The policy ${policyName} already has the maximum number of versions (5).`, ...meta });
    }
    const versionId = String(policy.nextVersion++);
    // Distinct, ordered creation times even within one millisecond, as AWS's are.
    const createDate = new Date(Math.max(Date.now(), (policy.versions.at(-1)?.createDate.getTime() ?? 0) + 1));
    policy.versions.push({ versionId, document, createDate });
    if (setAsDefault) policy.defaultVersionId = versionId;
    policy.lastModifiedDate = createDate;
    return { policyArn: policy.arn, policyDocument: document, policyVersionId: versionId, isDefaultVersion: setAsDefault === true };
  }

  listPolicyVersions({ policyName }: Input<ListPolicyVersionsCommand>) {
    const policy = this.#policy(policyName);
    return { policyVersions: policy.versions.map((v) => ({ versionId: v.versionId, isDefaultVersion: v.versionId === policy.defaultVersionId, createDate: v.createDate })) };
  }

  deletePolicyVersion({ policyName, policyVersionId }: Input<DeletePolicyVersionCommand>) {
    const policy = this.#policy(policyName);
    if (!policy.versions.some((v) => v.versionId === policyVersionId)) throw notFound(`Policy version ${policyVersionId} of ${policyName} not found.`);
    if (policy.defaultVersionId === policyVersionId) {
      throw new DeleteConflictException({ message: 'Cannot delete the default version of a policy; use DeletePolicy.', ...meta });
    }
    policy.versions = policy.versions.filter((v) => v.versionId !== policyVersionId);
    return {};
  }

  attachPolicy({ policyName, target }: Input<AttachPolicyCommand>) {
    this.#policy(policyName);
    const certificate = this.#certificateByArn(target);
    if (certificate.policies.has(policyName!)) return {};
    if (certificate.policies.size >= 10) throw new LimitExceededException({ message: `Target ${target} already has 10 policies attached.`, ...meta });
    certificate.policies.add(policyName!);
    return {};
  }

  detachPolicy({ policyName, target }: Input<DetachPolicyCommand>) {
    const id = target?.startsWith(`${this.#arn}cert/`) ? target.slice(`${this.#arn}cert/`.length) : undefined;
    if (id === undefined) throw invalid(`Target ${target} is not a certificate ARN of this account.`);
    this.certificates.get(id)?.policies.delete(policyName!);
    return {};
  }

  attachThingPrincipal({ thingName, principal, thingPrincipalType = 'NON_EXCLUSIVE_THING' }: Input<AttachThingPrincipalCommand>) {
    const thing = this.#thing(thingName);
    const certificate = this.#certificateByArn(principal);
    const current = this.attachments.filter((a) => a.principal === certificate.arn && a.lingersFor === undefined);
    if (current.some((a) => a.thingName === thing.thingName)) return {};
    if (current.length > 0 && (thingPrincipalType === 'EXCLUSIVE_THING' || current.some((a) => a.type === 'EXCLUSIVE_THING'))) {
      throw invalid(`Principal ${principal} is already attached to thing ${current[0]!.thingName} and cannot be attached exclusively.`);
    }
    this.attachments.push({ thingName: thing.thingName, principal: certificate.arn, type: thingPrincipalType });
    return {};
  }

  detachThingPrincipal({ thingName, principal }: Input<DetachThingPrincipalCommand>) {
    const thing = this.#thing(thingName);
    for (const a of this.attachments) {
      if (a.thingName === thing.thingName && a.principal === principal && a.lingersFor === undefined) a.lingersFor = this.#detachPropagation;
    }
    this.attachments = this.attachments.filter((a) => a.lingersFor === undefined || a.lingersFor > 0);
    return {};
  }

  listThingPrincipals({ thingName, maxResults, nextToken }: Input<ListThingPrincipalsCommand>) {
    const thing = this.#thing(thingName);
    const { items, nextToken: next } = this.#page(
      this.attachments.filter((a) => a.thingName === thing.thingName).map((a) => a.principal),
      maxResults,
      nextToken,
    );
    return { principals: items, ...(next ? { nextToken: next } : {}) };
  }

  listPrincipalThings({ principal, maxResults, nextToken }: Input<ListPrincipalThingsCommand>) {
    const certificate = this.#certificateByArn(principal);
    const { items, nextToken: next } = this.#page(
      this.attachments.filter((a) => a.principal === certificate.arn).map((a) => a.thingName),
      maxResults,
      nextToken,
    );
    return { things: items, ...(next ? { nextToken: next } : {}) };
  }

  #group(name: string | undefined): Group {
    const group = name === undefined ? undefined : this.groups.get(name);
    if (!group) throw notFound(`Thing group ${name} cannot be found.`);
    return group;
  }

  createThingGroup({ thingGroupName, thingGroupProperties, parentGroupName }: Input<CreateThingGroupCommand>) {
    if (!thingGroupName) throw invalid('thingGroupName is required.');
    if (thingGroupProperties !== undefined || parentGroupName !== undefined) throw new Error('FakeIot: group properties and parents are not modelled');
    const group = this.groups.get(thingGroupName) ?? { name: thingGroupName, arn: `${this.#arn}thinggroup/${thingGroupName}`, id: randomUUID(), creationDate: new Date() };
    this.groups.set(thingGroupName, group);
    return { thingGroupName, thingGroupArn: group.arn, thingGroupId: group.id };
  }

  describeThingGroup({ thingGroupName }: Input<DescribeThingGroupCommand>) {
    const group = this.#group(thingGroupName);
    return {
      thingGroupName: group.name,
      thingGroupId: group.id,
      thingGroupArn: group.arn,
      version: 1,
      thingGroupProperties: {},
      thingGroupMetadata: { creationDate: group.creationDate, rootToParentThingGroups: [] },
    };
  }

  addThingToThingGroup({ thingGroupName, thingName, thingGroupArn, thingArn }: Input<AddThingToThingGroupCommand>) {
    if (thingGroupArn !== undefined || thingArn !== undefined) throw new Error('FakeIot: only names are modelled');
    const group = this.#group(thingGroupName);
    const thing = this.#thing(thingName);
    const groups = this.memberships.get(thing.thingName) ?? new Set<string>();
    if (groups.has(group.name)) return {};
    if (groups.size >= 10) throw invalid(`Thing ${thing.thingName} is already in 10 thing groups, the maximum.`);
    groups.add(group.name);
    this.memberships.set(thing.thingName, groups);
    return {};
  }

  removeThingFromThingGroup({ thingGroupName, thingName }: Input<RemoveThingFromThingGroupCommand>) {
    const group = this.#group(thingGroupName);
    const thing = this.#thing(thingName);
    this.memberships.get(thing.thingName)?.delete(group.name);
    return {};
  }

  listThingGroupsForThing({ thingName, maxResults, nextToken }: Input<ListThingGroupsForThingCommand>) {
    const thing = this.#thing(thingName);
    const names = [...(this.memberships.get(thing.thingName) ?? [])];
    const { items, nextToken: next } = this.#page(names, maxResults, nextToken);
    return { thingGroups: items.map((name) => ({ groupName: name, groupArn: this.groups.get(name)!.arn })), ...(next ? { nextToken: next } : {}) };
  }

  #certificate(certificateId: string | undefined): Certificate {
    const certificate = certificateId === undefined ? undefined : this.certificates.get(certificateId);
    if (!certificate) throw notFound(`The certificate ${certificateId} does not exist.`);
    return certificate;
  }

  updateCertificate({ certificateId, newStatus }: Input<UpdateCertificateCommand>) {
    const certificate = this.#certificate(certificateId);
    if (newStatus === 'PENDING_TRANSFER' || newStatus === 'PENDING_ACTIVATION' || newStatus === 'REGISTER_INACTIVE') {
      throw invalid(`Status ${newStatus} is used internally by AWS IoT and cannot be set.`);
    }
    if (certificate.status === newStatus) return {};
    if (certificate.status === 'REVOKED') {
      throw new CertificateStateException({ message: `Certificate ${certificateId} is revoked; its status cannot be changed.`, ...meta });
    }
    certificate.status = newStatus!;
    certificate.lastModifiedDate = new Date();
    return {};
  }

  describeCertificate({ certificateId }: Input<DescribeCertificateCommand>) {
    const c = this.#certificate(certificateId);
    return {
      certificateDescription: {
        certificateArn: c.arn,
        certificateId: c.id,
        status: c.status,
        certificatePem: c.pem,
        ownedBy: this.#arn.split(':')[4],
        creationDate: c.creationDate,
        lastModifiedDate: c.lastModifiedDate,
        customerVersion: 1,
        generationId: `g-${c.id.slice(0, 8)}`,
        validity: { notBefore: c.notBefore, notAfter: c.notAfter },
        certificateMode: 'DEFAULT' as const,
      },
    };
  }

  deleteCertificate({ certificateId, forceDelete }: Input<DeleteCertificateCommand>) {
    const certificate = this.#certificate(certificateId);
    if (certificate.status === 'ACTIVE') {
      throw new CertificateStateException({ message: `Certificate must be deactivated (not ACTIVE) before deletion. Id: ${certificateId}`, ...meta });
    }
    if (this.attachments.some((a) => a.principal === certificate.arn)) {
      throw new DeleteConflictException({ message: `Certificate ${certificateId} is attached to one or more things.`, ...meta });
    }
    if (certificate.policies.size > 0 && !forceDelete) {
      throw new DeleteConflictException({ message: `Certificate ${certificateId} has policies attached.`, ...meta });
    }
    this.certificates.delete(certificate.id);
    return {};
  }
}

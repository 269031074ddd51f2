import {
  AddThingToThingGroupCommand,
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateKeysAndCertificateCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateThingCommand,
  CreateThingGroupCommand,
  DeleteCertificateCommand,
  DeletePolicyVersionCommand,
  DeleteThingCommand,
  DescribeCertificateCommand,
  DescribeThingCommand,
  DescribeThingGroupCommand,
  DetachPolicyCommand,
  DetachThingPrincipalCommand,
  GetPolicyCommand,
  ListPolicyVersionsCommand,
  ListPrincipalThingsCommand,
  ListThingGroupsForThingCommand,
  ListThingPrincipalsCommand,
  RemoveThingFromThingGroupCommand,
  UpdateCertificateCommand,
  UpdateThingCommand,
  type AddThingToThingGroupCommandOutput,
  type AttachPolicyCommandOutput,
  type AttachThingPrincipalCommandOutput,
  type CreateKeysAndCertificateCommandOutput,
  type CreatePolicyCommandOutput,
  type CreatePolicyVersionCommandOutput,
  type CreateThingCommandOutput,
  type CreateThingGroupCommandOutput,
  type DeleteCertificateCommandOutput,
  type DeletePolicyVersionCommandOutput,
  type DeleteThingCommandOutput,
  type DescribeCertificateCommandOutput,
  type DescribeThingCommandOutput,
  type DescribeThingGroupCommandOutput,
  type DetachPolicyCommandOutput,
  type DetachThingPrincipalCommandOutput,
  type GetPolicyCommandOutput,
  type ListPolicyVersionsCommandOutput,
  type ListPrincipalThingsCommandOutput,
  type ListThingGroupsForThingCommandOutput,
  type ListThingPrincipalsCommandOutput,
  type RemoveThingFromThingGroupCommandOutput,
  type UpdateCertificateCommandOutput,
  type UpdateThingCommandOutput,
} from '@aws-sdk/client-iot';
import { iotArnPrefix, type ArnContext } from './devicePolicy.ts';
import {
  DeleteConflictException,
  InvalidRequestException,
  RegistryError,
  type CertificateStatus,
  type CertificateStatusResult,
  type DeviceRegistry,
  type EnsureResult,
  type EnsureThingInput,
  type NewCertificate,
  type ThingDescription,
} from './deviceRegistry.ts';
import type { PolicyDocument } from './policyEvaluator.ts';
import { awsErrorName, fromAwsError, type AwsCallContext } from './registryAwsErrors.ts';
import {
  checkAttributes,
  checkCertificateId,
  checkGroupName,
  checkPolicyDocument,
  checkPolicyName,
  checkThingName,
  checkThingTypeName,
  samePolicy,
  sortedAttributes,
} from './registryValidation.ts';

/**
 * The device registry on AWS IoT, through @aws-sdk/client-iot. Each port operation is a handful of
 * IoT API calls, named in the method comments; requests are shaped as the IoT API reference
 * documents them, and the unit tests check every request against that reference.
 *
 * Retries: the SDK client retries throttling and service faults itself (3 attempts by default), and
 * the workflow's Retry retries the step. Build the client with `maxAttempts: 1` for steps whose
 * workflow retries, so that backoff has one owner and a step's time budget stays predictable.
 */

/** The slice of IoTClient this adapter uses: an IoTClient is one, and so is a test's fake. */
export interface IotSender {
  send(command: CreateThingCommand): Promise<CreateThingCommandOutput>;
  send(command: UpdateThingCommand): Promise<UpdateThingCommandOutput>;
  send(command: DescribeThingCommand): Promise<DescribeThingCommandOutput>;
  send(command: DeleteThingCommand): Promise<DeleteThingCommandOutput>;
  send(command: CreateKeysAndCertificateCommand): Promise<CreateKeysAndCertificateCommandOutput>;
  send(command: CreatePolicyCommand): Promise<CreatePolicyCommandOutput>;
  send(command: GetPolicyCommand): Promise<GetPolicyCommandOutput>;
  send(command: CreatePolicyVersionCommand): Promise<CreatePolicyVersionCommandOutput>;
  send(command: ListPolicyVersionsCommand): Promise<ListPolicyVersionsCommandOutput>;
  send(command: DeletePolicyVersionCommand): Promise<DeletePolicyVersionCommandOutput>;
  send(command: AttachPolicyCommand): Promise<AttachPolicyCommandOutput>;
  send(command: DetachPolicyCommand): Promise<DetachPolicyCommandOutput>;
  send(command: AttachThingPrincipalCommand): Promise<AttachThingPrincipalCommandOutput>;
  send(command: DetachThingPrincipalCommand): Promise<DetachThingPrincipalCommandOutput>;
  send(command: ListThingPrincipalsCommand): Promise<ListThingPrincipalsCommandOutput>;
  send(command: CreateThingGroupCommand): Promise<CreateThingGroupCommandOutput>;
  send(command: DescribeThingGroupCommand): Promise<DescribeThingGroupCommandOutput>;
  send(command: AddThingToThingGroupCommand): Promise<AddThingToThingGroupCommandOutput>;
  send(command: RemoveThingFromThingGroupCommand): Promise<RemoveThingFromThingGroupCommandOutput>;
  send(command: ListThingGroupsForThingCommand): Promise<ListThingGroupsForThingCommandOutput>;
  send(command: UpdateCertificateCommand): Promise<UpdateCertificateCommandOutput>;
  send(command: DescribeCertificateCommand): Promise<DescribeCertificateCommandOutput>;
  send(command: DeleteCertificateCommand): Promise<DeleteCertificateCommandOutput>;
  send(command: ListPrincipalThingsCommand): Promise<ListPrincipalThingsCommandOutput>;
}

export interface AwsIotDeviceRegistryOptions {
  readonly client: IotSender;
  /** The account and region the certificates live in: certificate ARNs are built from it, saving a call per attach. */
  readonly arn: ArnContext;
  /** maxResults for the List* calls (1-250); AWS's default page otherwise. */
  readonly pageSize?: number;
}

/** AWS IoT keeps at most five versions of a policy. */
export const MAX_POLICY_VERSIONS = 5;
/** CreateThing's attributePayload is documented as "up to three name/value pairs"; the rest goes in an UpdateThing. */
export const CREATE_THING_MAX_ATTRIBUTES = 3;
const MAX_VERSION_CONFLICT_RETRIES = 3;

const sorted = (values: Iterable<string>) => [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

const toPortStatus = (status: string | undefined): CertificateStatus =>
  status === 'ACTIVE' || status === 'REVOKED' ? status : 'INACTIVE';

export const createAwsIotDeviceRegistry = (options: AwsIotDeviceRegistryOptions): DeviceRegistry => {
  const { client } = options;
  const certificatePrefix = `${iotArnPrefix(options.arn)}cert/`;
  const certificateArn = (certificateId: string) => certificatePrefix + certificateId;
  const paging = options.pageSize === undefined ? {} : { maxResults: options.pageSize };
  if (options.pageSize !== undefined && (!Number.isInteger(options.pageSize) || options.pageSize < 1 || options.pageSize > 250)) {
    throw new InvalidRequestException(`pageSize ${options.pageSize} is not valid: use a whole number from 1 to 250`);
  }

  /** Sends one command; a failure becomes a RegistryError named as AWS named it. */
  const call = async <T>(context: AwsCallContext, send: () => Promise<T>): Promise<T> => {
    try {
      return await send();
    } catch (error) {
      throw fromAwsError(error, context);
    }
  };

  /** The same, but "not found" is an answer (undefined) rather than an error. */
  const callOrMissing = async <T>(context: AwsCallContext, send: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await send();
    } catch (error) {
      if (awsErrorName(error) === 'ResourceNotFoundException') return undefined;
      throw fromAwsError(error, context);
    }
  };

  /** Every item of a nextToken-paged listing. */
  const listAll = async <T>(fetch: (nextToken: string | undefined) => Promise<{ items: readonly T[] | undefined; nextToken?: string | undefined }>) => {
    const all: T[] = [];
    let token: string | undefined;
    do {
      const page = await fetch(token);
      all.push(...(page.items ?? []));
      token = page.nextToken;
    } while (token);
    return all;
  };

  const describeThingRecord = (thingName: string) =>
    callOrMissing({ action: 'DescribeThing', subject: `thing ${thingName}` }, () => client.send(new DescribeThingCommand({ thingName })));

  const thingGroupsOf = (thingName: string) =>
    listAll(async (nextToken) => {
      const page = await client.send(new ListThingGroupsForThingCommand({ thingName, ...paging, ...(nextToken ? { nextToken } : {}) }));
      return { items: (page.thingGroups ?? []).map((g) => g.groupName).filter((n): n is string => typeof n === 'string'), nextToken: page.nextToken };
    });

  /** CreateThing with up to three attributes, the rest merged in by UpdateThing. False when the thing appeared meanwhile. */
  const createThing = async (thingName: string, thingType: string | undefined, attributes: Record<string, string>): Promise<boolean> => {
    const entries = Object.entries(attributes);
    const first = Object.fromEntries(entries.slice(0, CREATE_THING_MAX_ATTRIBUTES));
    const rest = Object.fromEntries(entries.slice(CREATE_THING_MAX_ATTRIBUTES));
    const context = {
      action: 'CreateThing',
      subject: `thing ${thingName}`,
      whenNotFound: `thing type ${thingType ?? ''} does not exist in this account: create it with the infrastructure (CreateThingType) first`,
    };
    try {
      await client.send(
        new CreateThingCommand({
          thingName,
          ...(thingType === undefined ? {} : { thingTypeName: thingType }),
          // merge is "only valid when calling UpdateThing or UpdateThingGroup": CreateThing gets none.
          ...(entries.length === 0 ? {} : { attributePayload: { attributes: first } }),
        }),
      );
    } catch (error) {
      if (awsErrorName(error) === 'ResourceAlreadyExistsException') return false;
      throw fromAwsError(error, context);
    }
    if (Object.keys(rest).length > 0) {
      await call({ action: 'UpdateThing', subject: `thing ${thingName}` }, () =>
        client.send(new UpdateThingCommand({ thingName, attributePayload: { attributes: rest, merge: true } })),
      );
    }
    return true;
  };

  const policyOf = (policyName: string) =>
    callOrMissing({ action: 'GetPolicy', subject: `policy ${policyName}` }, () => client.send(new GetPolicyCommand({ policyName })));

  /** Deletes the oldest non-default version when the policy has as many as AWS keeps. */
  const makeRoomForVersion = async (policyName: string) => {
    const context = { action: 'ListPolicyVersions', subject: `policy ${policyName}` };
    const { policyVersions = [] } = await call(context, () => client.send(new ListPolicyVersionsCommand({ policyName })));
    if (policyVersions.length < MAX_POLICY_VERSIONS) return;
    const oldest = policyVersions
      .filter((v) => !v.isDefaultVersion && v.versionId !== undefined)
      .sort((a, b) => (a.createDate?.getTime() ?? 0) - (b.createDate?.getTime() ?? 0) || Number(a.versionId) - Number(b.versionId))[0];
    if (!oldest?.versionId) return;
    const policyVersionId = oldest.versionId;
    await callOrMissing({ action: 'DeletePolicyVersion', subject: `policy ${policyName} version ${policyVersionId}` }, () =>
      client.send(new DeletePolicyVersionCommand({ policyName, policyVersionId })),
    );
  };

  const parsedOrUndefined = (text: string | undefined): unknown => {
    try {
      return text === undefined ? undefined : (JSON.parse(text) as unknown);
    } catch {
      return undefined;
    }
  };

  const registry: DeviceRegistry = {
    /** DescribeThing, then CreateThing (+ UpdateThing for attributes past three) or UpdateThing with merge and expectedVersion. */
    async ensureThing(input: EnsureThingInput): Promise<EnsureResult> {
      const thingName = checkThingName(input.thingName);
      const thingType = input.thingType === undefined ? undefined : checkThingTypeName(input.thingType);
      const attributes = sortedAttributes(checkAttributes(input.attributes, thingType));
      for (let attempt = 0; attempt <= MAX_VERSION_CONFLICT_RETRIES; attempt++) {
        let existing = await describeThingRecord(thingName);
        if (!existing) {
          if (await createThing(thingName, thingType, attributes)) return { outcome: 'created' };
          existing = await describeThingRecord(thingName);
          if (!existing) continue;
        }
        const stored = existing.attributes ?? {};
        // merge: true with "" for a name to remove: AWS's documented way to drop one attribute.
        const changes: Record<string, string> = {};
        for (const [name, value] of Object.entries(attributes)) if (stored[name] !== value) changes[name] = value;
        for (const name of Object.keys(stored)) if (!Object.hasOwn(attributes, name)) changes[name] = '';
        const typeChanged = (existing.thingTypeName ?? undefined) !== thingType;
        if (Object.keys(changes).length === 0 && !typeChanged) return { outcome: 'unchanged' };
        try {
          await client.send(
            new UpdateThingCommand({
              thingName,
              ...(typeChanged && thingType !== undefined ? { thingTypeName: thingType } : {}),
              ...(typeChanged && thingType === undefined ? { removeThingType: true } : {}),
              ...(Object.keys(changes).length === 0 ? {} : { attributePayload: { attributes: changes, merge: true } }),
              ...(existing.version === undefined ? {} : { expectedVersion: existing.version }),
            }),
          );
          return { outcome: 'updated' };
        } catch (error) {
          // Someone else changed the thing between our read and write: read again and redo the diff.
          if (awsErrorName(error) === 'VersionConflictException' && attempt < MAX_VERSION_CONFLICT_RETRIES) continue;
          throw fromAwsError(error, {
            action: 'UpdateThing',
            subject: `thing ${thingName}`,
            whenNotFound: `thing ${thingName} or thing type ${thingType ?? ''} does not exist: create the thing type with the infrastructure first`,
          });
        }
      }
      throw new RegistryError(`thing ${thingName} kept changing while ensureThing ran (${MAX_VERSION_CONFLICT_RETRIES + 1} tries): retry the step`, {
        name: 'VersionConflictException',
        retryable: true,
      });
    },

    /**
     * GetPolicy; CreatePolicy when missing; when the default version's document differs,
     * CreatePolicyVersion with setAsDefault, first deleting the oldest non-default version if the
     * policy already has five (ListPolicyVersions, DeletePolicyVersion).
     */
    async ensurePolicy(policyName: string, document: PolicyDocument): Promise<EnsureResult> {
      const name = checkPolicyName(policyName);
      const { document: wanted, text } = checkPolicyDocument(document);
      let current = await policyOf(name);
      if (!current) {
        try {
          await client.send(new CreatePolicyCommand({ policyName: name, policyDocument: text }));
          return { outcome: 'created' };
        } catch (error) {
          if (awsErrorName(error) !== 'ResourceAlreadyExistsException') throw fromAwsError(error, { action: 'CreatePolicy', subject: `policy ${name}` });
          current = await policyOf(name);
        }
      }
      if (current && samePolicy(parsedOrUndefined(current.policyDocument), wanted)) return { outcome: 'unchanged' };
      await makeRoomForVersion(name);
      const create = () => client.send(new CreatePolicyVersionCommand({ policyName: name, policyDocument: text, setAsDefault: true }));
      const context = { action: 'CreatePolicyVersion', subject: `policy ${name}`, whenNotFound: `policy ${name} was deleted meanwhile: run ensurePolicy again` };
      try {
        await create();
      } catch (error) {
        // Another writer added a version between our count and our create: make room once more.
        if (awsErrorName(error) !== 'VersionsLimitExceededException') throw fromAwsError(error, context);
        await makeRoomForVersion(name);
        await call(context, create);
      }
      return { outcome: 'updated' };
    },

    /** CreateKeysAndCertificate with setAsActive. The response is checked without ever quoting it. */
    async createKeysAndCertificate({ thingName }): Promise<NewCertificate> {
      const name = checkThingName(thingName);
      const response = await call({ action: 'CreateKeysAndCertificate', subject: `thing ${name}` }, () =>
        client.send(new CreateKeysAndCertificateCommand({ setAsActive: true })),
      );
      const { certificateId, certificateArn: arn, certificatePem } = response;
      const privateKeyPem = response.keyPair?.PrivateKey;
      const missing = [
        ...(typeof certificateId === 'string' && /^[0-9a-f]{64}$/.test(certificateId) ? [] : ['certificateId']),
        ...(typeof arn === 'string' && arn !== '' ? [] : ['certificateArn']),
        ...(typeof certificatePem === 'string' && certificatePem.includes('BEGIN CERTIFICATE') ? [] : ['certificatePem']),
        ...(typeof privateKeyPem === 'string' && privateKeyPem.includes('PRIVATE KEY') ? [] : ['keyPair.PrivateKey']),
      ];
      if (missing.length > 0 || certificateId === undefined || arn === undefined || certificatePem === undefined || privateKeyPem === undefined) {
        // An unusable answer may still have made an ACTIVE certificate: take it out of service rather than leave it behind.
        const known = typeof certificateId === 'string' && /^[0-9a-f]{64}$/.test(certificateId) ? certificateId : undefined;
        if (known) {
          await client
            .send(new UpdateCertificateCommand({ certificateId: known, newStatus: 'INACTIVE' }))
            .then(() => client.send(new DeleteCertificateCommand({ certificateId: known })))
            .catch(() => undefined);
        }
        throw new RegistryError(
          `AWS IoT CreateKeysAndCertificate for thing ${name} answered without a valid ${missing.join(', ')}; ` +
            `${known ? `certificate ${known} was deactivated and deleted` : 'no certificate id came back, so nothing could be cleaned up'}: call createKeysAndCertificate again`,
          { name: 'InternalFailureException', retryable: true },
        );
      }
      return { certificateId, certificateArn: arn, certificatePem, privateKeyPem };
    },

    /** AttachPolicy with the certificate ARN as target. */
    async attachPolicy(policyName: string, certificateId: string): Promise<void> {
      const name = checkPolicyName(policyName);
      const id = checkCertificateId(certificateId);
      await call(
        { action: 'AttachPolicy', subject: `policy ${name} and certificate ${id}`, whenNotFound: `policy ${name} or certificate ${id} does not exist: create it first` },
        () => client.send(new AttachPolicyCommand({ policyName: name, target: certificateArn(id) })),
      );
    },

    /** AttachThingPrincipal, EXCLUSIVE_THING. */
    async attachThingPrincipal(thingName: string, certificateId: string): Promise<void> {
      const name = checkThingName(thingName);
      const id = checkCertificateId(certificateId);
      await call(
        { action: 'AttachThingPrincipal', subject: `thing ${name} and certificate ${id}`, whenNotFound: `thing ${name} or certificate ${id} does not exist: create it first` },
        () => client.send(new AttachThingPrincipalCommand({ thingName: name, principal: certificateArn(id), thingPrincipalType: 'EXCLUSIVE_THING' })),
      );
    },

    /** DescribeThingGroup, then CreateThingGroup when missing (which also succeeds for an identical group made meanwhile). */
    async ensureThingGroup(groupName: string): Promise<EnsureResult> {
      const name = checkGroupName(groupName);
      const existing = await callOrMissing({ action: 'DescribeThingGroup', subject: `thing group ${name}` }, () =>
        client.send(new DescribeThingGroupCommand({ thingGroupName: name })),
      );
      if (existing) return { outcome: 'unchanged' };
      await call({ action: 'CreateThingGroup', subject: `thing group ${name}` }, () => client.send(new CreateThingGroupCommand({ thingGroupName: name })));
      return { outcome: 'created' };
    },

    /** AddThingToThingGroup by names. */
    async addThingToGroup(thingName: string, groupName: string): Promise<void> {
      const name = checkThingName(thingName);
      const group = checkGroupName(groupName);
      await call(
        {
          action: 'AddThingToThingGroup',
          subject: `thing ${name} and thing group ${group}`,
          whenNotFound: `thing ${name} or thing group ${group} does not exist: create it first`,
        },
        () => client.send(new AddThingToThingGroupCommand({ thingGroupName: group, thingName: name })),
      );
    },

    /** ListThingGroupsForThing (every page), then RemoveThingFromThingGroup for each. */
    async removeThingFromGroups(thingName: string): Promise<{ readonly removedFrom: readonly string[] }> {
      const name = checkThingName(thingName);
      const groups = await callOrMissing({ action: 'ListThingGroupsForThing', subject: `thing ${name}` }, () => thingGroupsOf(name));
      for (const group of groups ?? []) {
        await callOrMissing({ action: 'RemoveThingFromThingGroup', subject: `thing ${name} and thing group ${group}` }, () =>
          client.send(new RemoveThingFromThingGroupCommand({ thingGroupName: group, thingName: name })),
        );
      }
      return { removedFrom: sorted(groups ?? []) };
    },

    /** DescribeThing, ListThingGroupsForThing and ListThingPrincipals (every page); certificate ARNs become ids. */
    async describeThing(thingName: string): Promise<ThingDescription | undefined> {
      const name = checkThingName(thingName);
      const thing = await describeThingRecord(name);
      if (!thing) return undefined;
      const subject = `thing ${name}`;
      const [groups, principals] = await Promise.all([
        callOrMissing({ action: 'ListThingGroupsForThing', subject }, () => thingGroupsOf(name)),
        callOrMissing({ action: 'ListThingPrincipals', subject }, () =>
          listAll(async (nextToken) => {
            const page = await client.send(new ListThingPrincipalsCommand({ thingName: name, ...paging, ...(nextToken ? { nextToken } : {}) }));
            return { items: page.principals, nextToken: page.nextToken };
          }),
        ),
      ]);
      // Other principal kinds (Cognito identities) may be attached on AWS; the port speaks of certificates.
      const certificateIds = (principals ?? []).filter((p) => p.startsWith(certificatePrefix)).map((p) => p.slice(certificatePrefix.length));
      return {
        thingName: thing.thingName ?? name,
        thingType: thing.thingTypeName ?? undefined,
        attributes: sortedAttributes(thing.attributes ?? {}),
        groups: sorted(groups ?? []),
        principals: sorted(certificateIds),
      };
    },

    /** UpdateCertificate with newStatus REVOKED (default) or INACTIVE. */
    async deactivateCertificate(certificateId: string, { status = 'REVOKED' } = {}): Promise<void> {
      const id = checkCertificateId(certificateId);
      if (status !== 'REVOKED' && status !== 'INACTIVE') {
        throw new InvalidRequestException(`status ${JSON.stringify(status)} is not valid here: use REVOKED (final) or INACTIVE (suspended)`);
      }
      await call(
        { action: 'UpdateCertificate', subject: `certificate ${id}`, whenNotFound: `certificate ${id} does not exist: it may have been deleted already` },
        () => client.send(new UpdateCertificateCommand({ certificateId: id, newStatus: status })),
      );
    },

    /** DetachPolicy; a certificate that is gone has nothing attached. */
    async detachPolicy(policyName: string, certificateId: string): Promise<void> {
      const name = checkPolicyName(policyName);
      const id = checkCertificateId(certificateId);
      await callOrMissing({ action: 'DetachPolicy', subject: `policy ${name} and certificate ${id}` }, () =>
        client.send(new DetachPolicyCommand({ policyName: name, target: certificateArn(id) })),
      );
    },

    /** DetachThingPrincipal. Asynchronous on AWS: see the port's note on waiting before the deletes. */
    async detachThingPrincipal(thingName: string, certificateId: string): Promise<void> {
      const name = checkThingName(thingName);
      const id = checkCertificateId(certificateId);
      await callOrMissing({ action: 'DetachThingPrincipal', subject: `thing ${name} and certificate ${id}` }, () =>
        client.send(new DetachThingPrincipalCommand({ thingName: name, principal: certificateArn(id) })),
      );
    },

    /** DeleteCertificate without forceDelete; a certificate already gone is deleted. */
    async deleteCertificate(certificateId: string): Promise<void> {
      const id = checkCertificateId(certificateId);
      await callOrMissing({ action: 'DeleteCertificate', subject: `certificate ${id}` }, () => client.send(new DeleteCertificateCommand({ certificateId: id })));
    },

    /**
     * DeleteThing (AWS answers success for a thing that does not exist). A thing that still has a
     * principal is refused with InvalidRequestException "... is still attached to one or more
     * principals", also for several seconds after a successful DetachThingPrincipal: that refusal
     * becomes a retryable DeleteConflictException, the name the embedded registry uses for it.
     */
    async deleteThing(thingName: string): Promise<void> {
      const name = checkThingName(thingName);
      try {
        await client.send(new DeleteThingCommand({ thingName: name }));
      } catch (error) {
        const mapped = fromAwsError(error, { action: 'DeleteThing', subject: `thing ${name}` });
        if (mapped.name === 'InvalidRequestException' && /principal/i.test(mapped.message)) {
          throw new DeleteConflictException(
            `thing ${name} still has a certificate attached (AWS IoT: ${mapped.message}); detach it with detachThingPrincipal, and right after a detach retry with backoff while it propagates`,
            { requestId: mapped.requestId },
          );
        }
        throw mapped;
      }
    },

    /** DescribeCertificate, then ListPrincipalThings (every page) for its ARN. */
    async certificateStatus(certificateId: string): Promise<CertificateStatusResult | undefined> {
      const id = checkCertificateId(certificateId);
      const described = await callOrMissing({ action: 'DescribeCertificate', subject: `certificate ${id}` }, () =>
        client.send(new DescribeCertificateCommand({ certificateId: id })),
      );
      const description = described?.certificateDescription;
      if (!description) return undefined;
      const principal = description.certificateArn ?? certificateArn(id);
      const things = await callOrMissing({ action: 'ListPrincipalThings', subject: `certificate ${id}` }, () =>
        listAll(async (nextToken) => {
          const page = await client.send(new ListPrincipalThingsCommand({ principal, ...paging, ...(nextToken ? { nextToken } : {}) }));
          return { items: page.things, nextToken: page.nextToken };
        }),
      );
      return { status: toPortStatus(description.status), thingNames: sorted(things ?? []) };
    },
  };
  return registry;
};

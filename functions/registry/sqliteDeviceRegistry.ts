import { bridgeIdOfThingName } from '../../schemas/topics/topics.ts';
import type { PrincipalLookup } from '../broker/principals.ts';
import type { SqliteDatabase } from '../eventStore/sqliteDatabase.ts';
import { systemClock, type Clock } from '../shared/clock.ts';
import { EMBEDDED_ARN, iotArnPrefix, type ArnContext } from './devicePolicy.ts';
import {
  CertificateStateException,
  DeleteConflictException,
  InvalidRequestException,
  LimitExceededException,
  MAX_GROUPS_PER_THING,
  MAX_POLICIES_PER_CERTIFICATE,
  RegistryError,
  ResourceNotFoundException,
  type CertificateStatus,
  type CertificateStatusResult,
  type DeviceRegistry,
  type EnsureResult,
  type EnsureThingInput,
  type NewCertificate,
  type RegistryOperation,
  type ThingDescription,
} from './deviceRegistry.ts';
import { CaError, issueBridgeCertificate, issueDeviceCertificate, type IssuedCertificate, type LocalCa } from './localCa.ts';
import type { PolicyDocument } from './policyEvaluator.ts';
import { registryFleetLookup, type FleetLookupOptions } from './registryFleetLookup.ts';
import { createRegistryGroupCommit } from './registryGroupCommit.ts';
import { RegistryRateLimiter, type RateLimitOptions } from './registryRateLimiter.ts';
import { createRegistrySchema } from './registrySqliteSchema.ts';
import {
  checkAttributes,
  checkCertificateId,
  checkGroupName,
  checkPolicyDocument,
  checkPolicyName,
  checkThingName,
  checkThingTypeName,
  sameAttributes,
  sortedAttributes,
} from './registryValidation.ts';

/**
 * The embedded device registry: AWS IoT's registry on one machine, in the same SQLite file as the
 * rest of the embedded system, with certificates issued by the local CA. It enforces the rules the
 * AWS API enforces (names, attribute limits, exclusive certificate attachment, what may be deleted
 * when), so a workflow that passes here does not meet a new refusal on AWS.
 *
 * Every write runs in its own savepoint inside an immediate transaction shared with the other writes
 * asked for in the same event-loop turn (registryGroupCommit.ts): one commit per group rather than one
 * per call, and a call resolves only once its write is committed and on disk. Key generation happens
 * before the write that stores the certificate.
 */

export interface SqliteDeviceRegistryOptions {
  /** From openSqlite (WAL, foreign keys on); the caller owns and closes it. */
  readonly db: SqliteDatabase;
  /** Signs every device and bridge certificate. */
  readonly ca: LocalCa;
  readonly clock?: Clock;
  /** Where ARNs point; the fixed local account by default, as the broker's policies use. */
  readonly arn?: ArnContext;
  /**
   * Simulated AWS throttling: one token bucket per operation, refilled from `clock`. Past the rate an
   * operation throws ThrottlingException, so a workflow's Retry with backoff can be tested locally.
   */
  readonly rateLimit?: RateLimitOptions;
  /** Validity of issued device certificates; the CA's default (10 years, capped at the CA's own) otherwise. */
  readonly certificateValidityDays?: number;
}

export interface SqliteDeviceRegistry extends DeviceRegistry {
  /** The broker's lookup: ACTIVE certificates attached to the thing their CN names. */
  fleetLookup(options?: Omit<FleetLookupOptions, 'arn'>): PrincipalLookup;
  /** Ids of REVOKED certificates, to load the broker's RevocationList at start. */
  revokedCertificateIds(): string[];
}

interface ThingRow {
  thing_name: string;
  thing_type: string | null;
  attributes: string;
  version: number;
}

interface CertificateRow {
  certificate_id: string;
  status: CertificateStatus;
}

export const createSqliteDeviceRegistry = (options: SqliteDeviceRegistryOptions): SqliteDeviceRegistry => {
  const { db, ca, clock = systemClock, arn = EMBEDDED_ARN } = options;
  const arnPrefix = iotArnPrefix(arn);
  const limiter = options.rateLimit ? new RegistryRateLimiter(options.rateLimit, clock) : undefined;
  createRegistrySchema(db);

  const now = () => clock.now().toISOString();
  const statements = {
    thing: db.prepare<[string], ThingRow>('SELECT thing_name, thing_type, attributes, version FROM registry_things WHERE thing_name = ?'),
    insertThing: db.prepare(
      'INSERT INTO registry_things (thing_name, thing_type, attributes, version, created_at, updated_at) VALUES (?, ?, ?, 1, ?, ?)',
    ),
    updateThing: db.prepare('UPDATE registry_things SET thing_type = ?, attributes = ?, version = version + 1, updated_at = ? WHERE thing_name = ?'),
    deleteThing: db.prepare('DELETE FROM registry_things WHERE thing_name = ?'),
    policy: db.prepare<[string], { document: string }>('SELECT document FROM registry_policies WHERE policy_name = ?'),
    insertPolicy: db.prepare('INSERT INTO registry_policies (policy_name, document, version, created_at, updated_at) VALUES (?, ?, 1, ?, ?)'),
    updatePolicy: db.prepare('UPDATE registry_policies SET document = ?, version = version + 1, updated_at = ? WHERE policy_name = ?'),
    certificate: db.prepare<[string], CertificateRow>('SELECT certificate_id, status FROM registry_certificates WHERE certificate_id = ?'),
    insertCertificate: db.prepare(
      `INSERT INTO registry_certificates
         (certificate_id, certificate_arn, common_name, serial_number, certificate_pem, status, not_before, not_after, created_at, status_changed_at)
       VALUES (?, ?, ?, ?, ?, 'ACTIVE', ?, ?, ?, ?)`,
    ),
    setStatus: db.prepare('UPDATE registry_certificates SET status = ?, status_changed_at = ? WHERE certificate_id = ?'),
    deleteCertificate: db.prepare('DELETE FROM registry_certificates WHERE certificate_id = ?'),
    revoked: db.prepare<[], { certificate_id: string }>("SELECT certificate_id FROM registry_certificates WHERE status = 'REVOKED' ORDER BY status_changed_at, certificate_id"),
    policiesOf: db.prepare<[string], { policy_name: string }>('SELECT policy_name FROM registry_policy_attachments WHERE certificate_id = ? ORDER BY policy_name'),
    attachPolicy: db.prepare('INSERT OR IGNORE INTO registry_policy_attachments (certificate_id, policy_name, attached_at) VALUES (?, ?, ?)'),
    detachPolicy: db.prepare('DELETE FROM registry_policy_attachments WHERE certificate_id = ? AND policy_name = ?'),
    principalOf: db.prepare<[string], { thing_name: string }>('SELECT thing_name FROM registry_principals WHERE certificate_id = ?'),
    principalsOf: db.prepare<[string], { certificate_id: string }>('SELECT certificate_id FROM registry_principals WHERE thing_name = ? ORDER BY certificate_id'),
    attachPrincipal: db.prepare('INSERT INTO registry_principals (certificate_id, thing_name, attached_at) VALUES (?, ?, ?)'),
    detachPrincipal: db.prepare('DELETE FROM registry_principals WHERE certificate_id = ? AND thing_name = ?'),
    group: db.prepare<[string], { group_name: string }>('SELECT group_name FROM registry_groups WHERE group_name = ?'),
    insertGroup: db.prepare('INSERT OR IGNORE INTO registry_groups (group_name, created_at) VALUES (?, ?)'),
    groupsOf: db.prepare<[string], { group_name: string }>('SELECT group_name FROM registry_thing_groups WHERE thing_name = ? ORDER BY group_name'),
    addToGroup: db.prepare('INSERT OR IGNORE INTO registry_thing_groups (thing_name, group_name, added_at) VALUES (?, ?, ?)'),
    removeFromGroups: db.prepare('DELETE FROM registry_thing_groups WHERE thing_name = ?'),
  };

  const group = createRegistryGroupCommit(db);

  /** Runs `body` atomically in the next group commit, after the operation's rate-limit token. */
  const write = <T>(operation: RegistryOperation, body: () => T): Promise<T> => {
    try {
      limiter?.take(operation);
    } catch (error) {
      return Promise.reject(asRegistryError(error, operation));
    }
    return group.submit(body).catch((error: unknown) => Promise.reject(asRegistryError(error, operation)));
  };

  /** Reads in one deferred transaction: several statements see one snapshot (WAL). */
  const read = <T>(operation: RegistryOperation, body: () => T): Promise<T> => {
    try {
      limiter?.take(operation);
      return Promise.resolve(db.transaction(body).deferred());
    } catch (error) {
      return Promise.reject(asRegistryError(error, operation));
    }
  };

  const requireThing = (thingName: string): ThingRow => {
    const row = statements.thing.get(thingName);
    if (!row) throw new ResourceNotFoundException(`thing ${thingName} does not exist: create it with ensureThing first`);
    return row;
  };

  const requireCertificate = (certificateId: string): CertificateRow => {
    const row = statements.certificate.get(certificateId);
    if (!row) throw new ResourceNotFoundException(`certificate ${certificateId} does not exist: check the id createKeysAndCertificate returned`);
    return row;
  };

  const statusOf = db.transaction((certificateId: string): CertificateStatusResult | undefined => {
    const row = statements.certificate.get(certificateId);
    if (!row) return undefined;
    const thing = statements.principalOf.get(certificateId);
    return { status: row.status, thingNames: thing ? [thing.thing_name] : [] };
  });

  const issue = (thingName: string): Promise<IssuedCertificate> => {
    const issueOptions = options.certificateValidityDays === undefined ? {} : { validityDays: options.certificateValidityDays };
    const bridgeId = bridgeIdOfThingName(thingName);
    return bridgeId === undefined ? issueDeviceCertificate(ca, thingName, { clock, ...issueOptions }) : issueBridgeCertificate(ca, bridgeId, { clock, ...issueOptions });
  };

  const registry: SqliteDeviceRegistry = {
    ensureThing: (input: EnsureThingInput) =>
      write('ensureThing', (): EnsureResult => {
        const thingName = checkThingName(input.thingName);
        const thingType = input.thingType === undefined ? undefined : checkThingTypeName(input.thingType);
        const attributes = sortedAttributes(checkAttributes(input.attributes, thingType));
        const stored = statements.thing.get(thingName);
        const at = now();
        if (!stored) {
          statements.insertThing.run(thingName, thingType ?? null, JSON.stringify(attributes), at, at);
          return { outcome: 'created' };
        }
        const storedAttributes = JSON.parse(stored.attributes) as Record<string, string>;
        if ((stored.thing_type ?? undefined) === thingType && sameAttributes(storedAttributes, attributes)) return { outcome: 'unchanged' };
        statements.updateThing.run(thingType ?? null, JSON.stringify(attributes), at, thingName);
        return { outcome: 'updated' };
      }),

    ensurePolicy: (policyName: string, document: PolicyDocument) =>
      write('ensurePolicy', (): EnsureResult => {
        const name = checkPolicyName(policyName);
        const { text } = checkPolicyDocument(document);
        const stored = statements.policy.get(name);
        const at = now();
        if (!stored) {
          statements.insertPolicy.run(name, text, at, at);
          return { outcome: 'created' };
        }
        // Both sides were written by checkPolicyDocument, so equal documents have equal text.
        if (stored.document === text) return { outcome: 'unchanged' };
        statements.updatePolicy.run(text, at, name);
        return { outcome: 'updated' };
      }),

    createKeysAndCertificate: async ({ thingName }): Promise<NewCertificate> => {
      let issued: IssuedCertificate;
      let submitted: () => void = () => undefined;
      try {
        limiter?.take('createKeysAndCertificate');
        checkThingName(thingName);
        // Tell the group commit an insert is coming, so inserts of keys issued side by side share a commit.
        submitted = group.expect();
        issued = await issue(thingName);
      } catch (error) {
        submitted();
        throw asRegistryError(error, 'createKeysAndCertificate');
      }
      const certificateArn = `${arnPrefix}cert/${issued.certificateId}`;
      try {
        const stored = group.submit(() => {
          const at = now();
          statements.insertCertificate.run(
            issued.certificateId,
            certificateArn,
            issued.commonName,
            issued.serialNumber,
            issued.certificatePem,
            issued.notBefore.toISOString(),
            issued.notAfter.toISOString(),
            at,
            at,
          );
        });
        submitted();
        await stored;
      } catch (error) {
        submitted();
        // The key is dropped with this frame: a certificate nobody stored can never be attached.
        throw new RegistryError(
          `certificate ${issued.certificateId} for thing ${thingName} was issued but could not be stored (${(error as Error).message}); ` +
            'it is unusable and its key is discarded: call createKeysAndCertificate again',
          { retryable: true },
        );
      }
      return { certificateId: issued.certificateId, certificateArn, certificatePem: issued.certificatePem, privateKeyPem: issued.privateKeyPem };
    },

    attachPolicy: (policyName: string, certificateId: string) =>
      write('attachPolicy', () => {
        const name = checkPolicyName(policyName);
        const id = checkCertificateId(certificateId);
        if (!statements.policy.get(name)) throw new ResourceNotFoundException(`policy ${name} does not exist: create it with ensurePolicy first`);
        requireCertificate(id);
        const attached = statements.policiesOf.all(id).map((r) => r.policy_name);
        if (attached.includes(name)) return;
        if (attached.length >= MAX_POLICIES_PER_CERTIFICATE) {
          throw new LimitExceededException(
            `certificate ${id} already has ${attached.length} policies attached (${attached.join(', ')}), the most AWS IoT allows: detach one, or merge policies`,
          );
        }
        statements.attachPolicy.run(id, name, now());
      }),

    attachThingPrincipal: (thingName: string, certificateId: string) =>
      write('attachThingPrincipal', () => {
        const name = checkThingName(thingName);
        const id = checkCertificateId(certificateId);
        requireThing(name);
        requireCertificate(id);
        const current = statements.principalOf.get(id);
        if (current?.thing_name === name) return;
        if (current) {
          throw new InvalidRequestException(
            `certificate ${id} is attached to thing ${current.thing_name}, and a certificate belongs to one thing: detach it from ${current.thing_name} first, or create a new certificate for ${name}`,
          );
        }
        statements.attachPrincipal.run(id, name, now());
      }),

    ensureThingGroup: (groupName: string) =>
      write('ensureThingGroup', (): EnsureResult => {
        const name = checkGroupName(groupName);
        return { outcome: statements.insertGroup.run(name, now()).changes === 1 ? 'created' : 'unchanged' };
      }),

    addThingToGroup: (thingName: string, groupName: string) =>
      write('addThingToGroup', () => {
        const name = checkThingName(thingName);
        const group = checkGroupName(groupName);
        requireThing(name);
        if (!statements.group.get(group)) throw new ResourceNotFoundException(`thing group ${group} does not exist: create it with ensureThingGroup first`);
        const groups = statements.groupsOf.all(name).map((r) => r.group_name);
        if (groups.includes(group)) return;
        if (groups.length >= MAX_GROUPS_PER_THING) {
          throw new InvalidRequestException(
            `thing ${name} is already in ${groups.length} thing groups (${groups.join(', ')}), the most AWS IoT allows: remove it from one first`,
          );
        }
        statements.addToGroup.run(name, group, now());
      }),

    removeThingFromGroups: (thingName: string) =>
      write('removeThingFromGroups', () => {
        const name = checkThingName(thingName);
        const removedFrom = statements.groupsOf.all(name).map((r) => r.group_name);
        statements.removeFromGroups.run(name);
        return { removedFrom };
      }),

    describeThing: (thingName: string) =>
      read('describeThing', (): ThingDescription | undefined => {
        const name = checkThingName(thingName);
        const row = statements.thing.get(name);
        if (!row) return undefined;
        return {
          thingName: row.thing_name,
          thingType: row.thing_type ?? undefined,
          attributes: JSON.parse(row.attributes) as Record<string, string>,
          groups: statements.groupsOf.all(name).map((r) => r.group_name),
          principals: statements.principalsOf.all(name).map((r) => r.certificate_id),
        };
      }),

    deactivateCertificate: (certificateId: string, { status = 'REVOKED' } = {}) =>
      write('deactivateCertificate', () => {
        const id = checkCertificateId(certificateId);
        if (status !== 'REVOKED' && status !== 'INACTIVE') {
          throw new InvalidRequestException(`status ${JSON.stringify(status)} is not valid here: use REVOKED (final) or INACTIVE (suspended)`);
        }
        const row = requireCertificate(id);
        if (row.status === status) return;
        if (row.status === 'REVOKED') {
          throw new CertificateStateException(`certificate ${id} is REVOKED, which is final: it cannot become ${status}; issue a new certificate instead`);
        }
        statements.setStatus.run(status, now(), id);
      }),

    detachPolicy: (policyName: string, certificateId: string) =>
      write('detachPolicy', () => {
        statements.detachPolicy.run(checkCertificateId(certificateId), checkPolicyName(policyName));
      }),

    detachThingPrincipal: (thingName: string, certificateId: string) =>
      write('detachThingPrincipal', () => {
        statements.detachPrincipal.run(checkCertificateId(certificateId), checkThingName(thingName));
      }),

    deleteCertificate: (certificateId: string) =>
      write('deleteCertificate', () => {
        const id = checkCertificateId(certificateId);
        const row = statements.certificate.get(id);
        if (!row) return;
        if (row.status === 'ACTIVE') {
          throw new CertificateStateException(`certificate ${id} is ACTIVE and cannot be deleted: call deactivateCertificate first`);
        }
        const thing = statements.principalOf.get(id);
        if (thing) throw new DeleteConflictException(`certificate ${id} is still attached to thing ${thing.thing_name}: call detachThingPrincipal first`);
        const policies = statements.policiesOf.all(id).map((r) => r.policy_name);
        if (policies.length > 0) {
          throw new DeleteConflictException(`certificate ${id} still has policies attached (${policies.join(', ')}): call detachPolicy for each first`);
        }
        statements.deleteCertificate.run(id);
      }),

    deleteThing: (thingName: string) =>
      write('deleteThing', () => {
        const name = checkThingName(thingName);
        const principals = statements.principalsOf.all(name).map((r) => r.certificate_id);
        if (principals.length > 0) {
          throw new DeleteConflictException(
            `thing ${name} still has ${principals.length} certificate(s) attached (${principals.join(', ')}): call detachThingPrincipal for each first`,
          );
        }
        statements.deleteThing.run(name);
      }),

    certificateStatus: (certificateId: string) => read('certificateStatus', () => statusOf(checkCertificateId(certificateId))),

    fleetLookup: (lookupOptions = {}) =>
      registryFleetLookup(
        { certificateStatus: statusOf, thingExists: (thingName) => statements.thing.get(thingName) !== undefined },
        { ...lookupOptions, arn },
      ),

    revokedCertificateIds: () => statements.revoked.all().map((r) => r.certificate_id),
  };
  return registry;
};

/** Keeps registry errors; a CA refusal is the caller's input; anything else (SQLite) is a fault worth a retry. */
const asRegistryError = (error: unknown, operation: RegistryOperation): RegistryError => {
  if (error instanceof RegistryError) return error;
  if (error instanceof CaError) return new InvalidRequestException(error.message);
  const message = error instanceof Error ? error.message : String(error);
  return new RegistryError(`${operation} failed in the embedded registry: ${message}; retry, and check the database file if it persists`, {
    retryable: true,
  });
};

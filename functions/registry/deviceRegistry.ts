import type { PolicyDocument } from './policyEvaluator.ts';

export * from './registryErrors.ts';

/**
 * The device registry port: what provisioning and deprovisioning do to AWS IoT's registry, one
 * narrow operation per workflow step. Two adapters: `sqliteDeviceRegistry.ts` (embedded: SQLite
 * tables and the local CA) and `awsIotDeviceRegistry.ts` (AWS IoT through @aws-sdk/client-iot).
 *
 * Rules every adapter keeps (the shared suite `test/suites/deviceRegistry.suite.ts` checks them):
 * - Inputs and outputs are identifiers and plain JSON, so a step's result crosses the Step Functions
 *   boundary unchanged. A private key appears in exactly one place: createKeysAndCertificate's result.
 * - `ensure*` and `attach*` are idempotent: calling them again with the same input changes nothing
 *   and succeeds. `detach*`, `delete*` and `removeThingFromGroups` succeed when there is nothing
 *   left to remove, so a retried deprovisioning step never fails because its first try worked.
 * - createKeysAndCertificate is the one call that cannot be idempotent (a key pair is new every
 *   time, and the registry never keeps a private key). A retry after a lost answer leaves an ACTIVE
 *   certificate attached to nothing: the broker and AWS IoT refuse it (no thing, no policy), and
 *   deleting it is safe. Workflows store the result in the same step that made it.
 * - Failures are RegistryError subclasses named as AWS names them (registryErrors.ts).
 *
 * Provisioning order: ensureThing → ensurePolicy (once per batch) → createKeysAndCertificate →
 * attachPolicy → attachThingPrincipal → ensureThingGroup → addThingToGroup.
 *
 * Deprovisioning order: describeThing (its principals) → for each certificate: deactivateCertificate
 * → detachPolicy → detachThingPrincipal → deleteCertificate; then removeThingFromGroups → deleteThing.
 * On AWS, DetachThingPrincipal is asynchronous ("it might take several seconds for the detachment to
 * propagate"): until it has, DeleteCertificate and DeleteThing fail with DeleteConflictException.
 * The deprovisioning workflow retries those two steps on DeleteConflictException with backoff
 * (seconds, not minutes); the embedded registry detaches at once and never throws it for that.
 */
export interface DeviceRegistry {
  /**
   * Creates the thing, or brings its attributes and thing type to exactly these: an attribute left
   * out is removed, and no thingType removes the type. At most 3 attributes without a thing type,
   * 50 with one (AWS's limits). On AWS the thing type must exist (infra creates it).
   */
  ensureThing(input: EnsureThingInput): Promise<EnsureResult>;
  /** Creates the policy, or makes this document its default version when it differs. */
  ensurePolicy(policyName: string, document: PolicyDocument): Promise<EnsureResult>;
  /**
   * A new key pair and an ACTIVE certificate for it. Embedded: EC P-256 with CN = thingName, signed by
   * the local CA. AWS: CreateKeysAndCertificate (RSA 2048, CN "AWS IoT Certificate"; AWS ties the
   * certificate to the thing through attachThingPrincipal, not the CN). The certificate is attached
   * to nothing yet.
   */
  createKeysAndCertificate(input: { readonly thingName: string }): Promise<NewCertificate>;
  /** At most 10 policies per certificate (LimitExceededException past that). */
  attachPolicy(policyName: string, certificateId: string): Promise<void>;
  /**
   * Exclusive: a certificate belongs to one thing (AWS's EXCLUSIVE_THING), since the certificate is
   * the device's identity. Attaching it to a second thing is an InvalidRequestException.
   */
  attachThingPrincipal(thingName: string, certificateId: string): Promise<void>;
  ensureThingGroup(groupName: string): Promise<EnsureResult>;
  /** A thing belongs to at most 10 groups (InvalidRequestException past that, as AWS answers). */
  addThingToGroup(thingName: string, groupName: string): Promise<void>;
  /** Takes the thing out of every group it is in; names the groups it left. */
  removeThingFromGroups(thingName: string): Promise<{ readonly removedFrom: readonly string[] }>;
  /** The thing, its groups and its certificates, or undefined when there is no such thing. */
  describeThing(thingName: string): Promise<ThingDescription | undefined>;
  /**
   * Ends a certificate's use. REVOKED (the default) is final and is what AWS prescribes for a
   * certificate that may be compromised: a deprovisioned device still holds its key, and a device
   * that leaves the fleet may be resold, stolen or thrown away. INACTIVE can be undone on AWS (a
   * temporary suspension); this port has no way back, so use it only when another tool reactivates.
   * Either status lets the certificate be deleted. A REVOKED certificate cannot change status again
   * (CertificateStateException); asking for REVOKED again succeeds.
   */
  deactivateCertificate(certificateId: string, options?: { readonly status?: 'REVOKED' | 'INACTIVE' }): Promise<void>;
  detachPolicy(policyName: string, certificateId: string): Promise<void>;
  detachThingPrincipal(thingName: string, certificateId: string): Promise<void>;
  /**
   * Only a certificate that is not ACTIVE (CertificateStateException) and attached to no thing and no
   * policy (DeleteConflictException). AWS's forceDelete, which skips the policy check, is not used:
   * detachPolicy is its own step, so nothing is deleted while it still grants something.
   */
  deleteCertificate(certificateId: string): Promise<void>;
  /** Only a thing with no certificate attached (DeleteConflictException); its group memberships go with it. */
  deleteThing(thingName: string): Promise<void>;
  /** What the broker asks at connect time; undefined for a certificate the registry does not know. */
  certificateStatus(certificateId: string): Promise<CertificateStatusResult | undefined>;
}

export interface EnsureThingInput {
  readonly thingName: string;
  /** Name → value, as AWS stores them (text). */
  readonly attributes: Readonly<Record<string, string>>;
  readonly thingType?: string | undefined;
}

export type EnsureOutcome = 'created' | 'updated' | 'unchanged';

export interface EnsureResult {
  readonly outcome: EnsureOutcome;
}

export interface NewCertificate {
  /** SHA-256 of the DER certificate, lowercase hex: AWS IoT's certificate id. */
  readonly certificateId: string;
  readonly certificateArn: string;
  readonly certificatePem: string;
  /** The only copy. Store it encrypted at once; the registry never returns it again. */
  readonly privateKeyPem: string;
}

export interface ThingDescription {
  readonly thingName: string;
  readonly thingType: string | undefined;
  readonly attributes: Readonly<Record<string, string>>;
  /** Group names, sorted. */
  readonly groups: readonly string[];
  /** Ids of the certificates attached to the thing, sorted. */
  readonly principals: readonly string[];
}

export type CertificateStatus = 'ACTIVE' | 'INACTIVE' | 'REVOKED';

export interface CertificateStatusResult {
  /** AWS's transfer and registration states (PENDING_TRANSFER, ...) count as INACTIVE: none can connect. */
  readonly status: CertificateStatus;
  /** The things the certificate is attached to (at most one, as attachThingPrincipal is exclusive). */
  readonly thingNames: readonly string[];
}

/** The operation names, as rate limits and logs name them. */
export const REGISTRY_OPERATIONS = [
  'ensureThing',
  'ensurePolicy',
  'createKeysAndCertificate',
  'attachPolicy',
  'attachThingPrincipal',
  'ensureThingGroup',
  'addThingToGroup',
  'removeThingFromGroups',
  'describeThing',
  'deactivateCertificate',
  'detachPolicy',
  'detachThingPrincipal',
  'deleteCertificate',
  'deleteThing',
  'certificateStatus',
] as const satisfies readonly (keyof DeviceRegistry)[];

export type RegistryOperation = (typeof REGISTRY_OPERATIONS)[number];

/** AWS IoT: at most 10 policies on one certificate, and one thing in at most 10 thing groups. */
export const MAX_POLICIES_PER_CERTIFICATE = 10;
export const MAX_GROUPS_PER_THING = 10;

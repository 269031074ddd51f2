import {
  CertificateStateException,
  DeleteConflictException,
  InvalidRequestException,
  LimitExceededException,
  RegistryError,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  ThrottlingException,
  type RegistryErrorOptions,
} from './registryErrors.ts';

/**
 * AWS SDK errors → registry errors, keeping AWS's names (ThrottlingException stays
 * ThrottlingException) so the workflow's Retry/Catch read the same in both modes. Only the name,
 * the message (PEM-redacted by RegistryError) and the request id are kept: the SDK error itself,
 * with its raw response, is not chained as a cause, because a logger printing causes would print
 * whatever the response held.
 */

interface AwsErrorShape {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly $fault?: unknown;
  readonly $metadata?: { readonly requestId?: unknown };
}

export interface AwsCallContext {
  /** The IoT API action, e.g. `CreateThing`. */
  readonly action: string;
  /** What it acted on, e.g. `thing meter-1`. */
  readonly subject: string;
  /** What to do when a needed resource is missing (ResourceNotFoundException). */
  readonly whenNotFound?: string;
}

const typed: Record<string, new (message: string, options?: RegistryErrorOptions) => RegistryError> = {
  ThrottlingException,
  ResourceNotFoundException,
  ResourceAlreadyExistsException,
  InvalidRequestException,
  LimitExceededException,
  // AWS's name for one quota (5 versions of a policy); the port has one name for all quotas.
  VersionsLimitExceededException: LimitExceededException,
  DeleteConflictException,
  CertificateStateException,
};

const hints: Record<string, string> = {
  ThrottlingException: 'retry with backoff',
  ServiceUnavailableException: 'AWS IoT is unavailable for now: retry with backoff',
  InternalFailureException: 'AWS IoT had an internal fault: retry with backoff',
  UnauthorizedException: 'the caller is not allowed this action: grant it in the role\'s IAM policy',
  DeleteConflictException: 'detach what is still attached first; right after a detach, retry with backoff while it propagates',
  CertificateStateException: 'check the certificate status with certificateStatus',
  LimitExceededException: 'a quota was reached: detach or delete something first',
  InvalidRequestException: 'fix the request: retrying it unchanged will fail again',
};

export const awsErrorName = (error: unknown): string | undefined => {
  const name = (error as AwsErrorShape | undefined)?.name;
  return typeof name === 'string' ? name : undefined;
};

export const fromAwsError = (error: unknown, context: AwsCallContext): RegistryError => {
  if (error instanceof RegistryError) return error;
  const shape = (typeof error === 'object' && error !== null ? error : {}) as AwsErrorShape;
  const name = typeof shape.name === 'string' && shape.name !== '' && shape.name !== 'Error' ? shape.name : undefined;
  const detail = typeof shape.message === 'string' && shape.message !== '' ? shape.message : String(error);
  const requestId = typeof shape.$metadata?.requestId === 'string' ? shape.$metadata.requestId : undefined;
  const hint = name === 'ResourceNotFoundException' && context.whenNotFound ? context.whenNotFound : (hints[name ?? ''] ?? 'see the AWS IoT API reference for this error');
  const message = `AWS IoT ${context.action} for ${context.subject} failed with ${name ?? 'an error'}: ${detail}; ${hint}`;
  const Typed = name === undefined ? undefined : typed[name];
  // The typed errors know whether they are worth a retry (ThrottlingException, DeleteConflictException are).
  if (Typed) return new Typed(message, { requestId });
  // An AWS error this port has no class for keeps its AWS name and AWS's fault side: a server fault is
  // worth a retry, a client fault is not. An error with no fault side never reached AWS (a timeout, a
  // reset connection) and keeps its own name: retrying it is what the SDK would do.
  return new RegistryError(message, { requestId, name: name ?? 'RegistryError', retryable: shape.$fault !== 'client' });
};

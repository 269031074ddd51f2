/**
 * The device registry's errors. Each `name` is the AWS IoT error name, because a workflow step that
 * throws one surfaces it as the ASL error (a Lambda's errorType, or the embedded runner's thrown
 * name), so one `Retry`/`Catch` clause matches it in both modes:
 *
 * ```json
 * "Retry": [{ "ErrorEquals": ["ThrottlingException", "ServiceUnavailableException", "InternalFailureException"],
 *             "IntervalSeconds": 1, "BackoffRate": 2, "MaxAttempts": 6, "JitterStrategy": "FULL" },
 *           { "ErrorEquals": ["DeleteConflictException"], "IntervalSeconds": 2, "BackoffRate": 2, "MaxAttempts": 6 }]
 * ```
 *
 * Messages say what was wrong and what to do. They never carry key material: every message goes
 * through `redactPem`, since an SDK error can quote a response body, and the one response that
 * holds a private key (CreateKeysAndCertificate) is exactly the one to keep out of logs.
 */

export const REGISTRY_ERROR_NAMES = [
  'ThrottlingException',
  'ResourceNotFoundException',
  'ResourceAlreadyExistsException',
  'InvalidRequestException',
  'LimitExceededException',
  'DeleteConflictException',
  'CertificateStateException',
] as const;

export type RegistryErrorName = (typeof REGISTRY_ERROR_NAMES)[number];

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?(?:-----END \1-----|$)/g;
/** Base64 runs long enough to be key or certificate bytes even without their PEM armour. */
const LONG_BASE64 = /[A-Za-z0-9+/]{120,}={0,2}/g;

/** Replaces every PEM block (and any long base64 run) with a marker naming only its kind. */
export const redactPem = (text: string): string =>
  text.replace(PEM_BLOCK, (_, label: string) => `[${label.toLowerCase()} redacted]`).replace(LONG_BASE64, '[base64 redacted]');

export interface RegistryErrorOptions {
  /** True when the same call may succeed later (throttling, a service fault, a detach still propagating). */
  readonly retryable?: boolean;
  /** The AWS request id, for AWS support; never the response body. */
  readonly requestId?: string | undefined;
}

/**
 * Anything the registry refuses or fails at. Adapters throw the subclasses below; an AWS error with
 * no subclass here (UnauthorizedException, ServiceUnavailableException, ...) is a RegistryError
 * under its AWS name, so a workflow can still match it.
 */
export class RegistryError extends Error {
  override name: string;
  readonly retryable: boolean;
  readonly requestId: string | undefined;

  constructor(message: string, options: RegistryErrorOptions & { readonly name?: string } = {}) {
    super(redactPem(message));
    this.name = options.name ?? 'RegistryError';
    this.retryable = options.retryable ?? false;
    this.requestId = options.requestId;
  }
}

/** The request rate of one API was exceeded: retry with backoff. */
export class ThrottlingException extends RegistryError {
  constructor(message: string, options: RegistryErrorOptions = {}) {
    super(message, { retryable: true, ...options, name: 'ThrottlingException' });
  }
}

/** A thing, certificate, policy, group or thing type the call needs does not exist. */
export class ResourceNotFoundException extends RegistryError {
  constructor(message: string, options: RegistryErrorOptions = {}) {
    super(message, { ...options, name: 'ResourceNotFoundException' });
  }
}

/** Something with that name exists already and differs from what was asked for. */
export class ResourceAlreadyExistsException extends RegistryError {
  constructor(message: string, options: RegistryErrorOptions = {}) {
    super(message, { ...options, name: 'ResourceAlreadyExistsException' });
  }
}

/** The request itself is wrong (a name, an attribute, a state transition AWS refuses): do not retry it unchanged. */
export class InvalidRequestException extends RegistryError {
  constructor(message: string, options: RegistryErrorOptions = {}) {
    super(message, { ...options, name: 'InvalidRequestException' });
  }
}

/** A quota was reached (policies per certificate, policy versions). */
export class LimitExceededException extends RegistryError {
  constructor(message: string, options: RegistryErrorOptions = {}) {
    super(message, { ...options, name: 'LimitExceededException' });
  }
}

/**
 * The resource is still attached to something. On AWS this is also what a delete right after
 * DetachThingPrincipal sees while the detach propagates, so it is retryable: retry with backoff.
 */
export class DeleteConflictException extends RegistryError {
  constructor(message: string, options: RegistryErrorOptions = {}) {
    super(message, { retryable: true, ...options, name: 'DeleteConflictException' });
  }
}

/** The certificate's status forbids the operation (deleting an ACTIVE one, changing a REVOKED one). */
export class CertificateStateException extends RegistryError {
  constructor(message: string, options: RegistryErrorOptions = {}) {
    super(message, { ...options, name: 'CertificateStateException' });
  }
}

/**
 * Wraps a workflow task so that nothing leaving it carries key material, whatever a lower layer put
 * in an error message; the error's name (its ASL error name) is kept for Retry/Catch.
 */
export const redactingErrors =
  <I, O>(handler: (input: I) => Promise<O>) =>
  async (input: I): Promise<O> => {
    try {
      return await handler(input);
    } catch (error) {
      if (!(error instanceof Error)) throw new Error(redactPem(String(error)));
      const safe = new Error(redactPem(error.message));
      safe.name = error.name;
      throw safe;
    }
  };

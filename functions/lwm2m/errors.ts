import { codeName, formatCode } from './coap/message.ts';
import type { Payload } from './payload.ts';

/**
 * Every way a request to a device can fail. Callers switch on `kind`; a device's own error answer
 * (4.04, 4.05, 4.06...) is a `Lwm2mResponseError` carrying the code so it can be reported as is.
 */
export type Lwm2mErrorKind =
  | 'response'
  | 'timeout'
  | 'reset'
  | 'protocol'
  | 'not-registered'
  | 'queue-full'
  | 'queue-expired'
  | 'device-gone'
  | 'invalid-request'
  | 'closed';

export class Lwm2mError extends Error {
  constructor(
    readonly kind: Lwm2mErrorKind,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'Lwm2mError';
  }
}

/** The device answered with an error code (4.xx or 5.xx). */
export class Lwm2mResponseError extends Lwm2mError {
  /** '4.04' */
  readonly code: string;
  /** 'Not Found' */
  readonly codeName: string;
  readonly payload: Payload | undefined;
  constructor(
    numericCode: number,
    readonly endpoint: string,
    readonly operation: string,
    readonly path: string,
    payload: Payload | undefined,
  ) {
    const diagnostic = payload !== undefined ? diagnosticText(payload.bytes) : undefined;
    super(
      'response',
      `${operation} ${path} on ${endpoint}: the device answered ${formatCode(numericCode)} ${codeName(numericCode)}` +
        (diagnostic !== undefined ? ` (${diagnostic})` : ''),
    );
    this.name = 'Lwm2mResponseError';
    this.code = formatCode(numericCode);
    this.codeName = codeName(numericCode);
    this.payload = payload;
  }
}

/** RFC 7252 §5.5.2: an error response's payload is a diagnostic message, UTF-8, for humans. */
const diagnosticText = (bytes: Uint8Array): string | undefined => {
  if (bytes.length === 0 || bytes.length > 200) return undefined;
  const text = Buffer.from(bytes).toString('utf8');
  // eslint-disable-next-line no-control-regex
  return /^[^\u0000-\u0008\u000e-\u001f\ufffd]*$/.test(text) ? text : undefined;
};

/** The device never acknowledged a CON after every retransmission, or never sent the separate/NON response. */
export class Lwm2mTimeoutError extends Lwm2mError {
  constructor(
    readonly stage: 'no-ack' | 'no-response',
    readonly waitedMs: number,
    message: string,
  ) {
    super('timeout', message);
    this.name = 'Lwm2mTimeoutError';
  }
}

import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Context } from 'aws-lambda';
import { z } from 'zod';

/**
 * The protocol of a Lambda-backed CloudFormation custom resource (no provider framework), written
 * from the CloudFormation User Guide's "Custom resource request and response reference":
 * CloudFormation invokes the function with a request (RequestType Create, Update or Delete, a
 * presigned S3 ResponseURL, StackId, RequestId, LogicalResourceId, ResourceProperties) and then
 * waits for one JSON object PUT to ResponseURL. Whatever the function returns or throws is ignored:
 * a request that is never answered holds the stack until the resource's ServiceTimeout (an hour by
 * default) and then fails it. So every path here ends in a PUT: success, a refused request, a
 * failure, and the Lambda's time running out.
 */

export const CUSTOM_RESOURCE_REQUEST_TYPES = ['Create', 'Update', 'Delete'] as const;

/** The request fields this module relies on; CloudFormation sends more (ServiceToken, ResourceType), which pass through. */
export const CustomResourceRequest = z.object({
  RequestType: z.enum(CUSTOM_RESOURCE_REQUEST_TYPES),
  ResponseURL: z.string().min(1),
  StackId: z.string().min(1),
  RequestId: z.string().min(1),
  LogicalResourceId: z.string().min(1),
  ResourceType: z.string().optional(),
  /** Absent on Create; the id this resource answered before on Update and Delete. */
  PhysicalResourceId: z.string().optional(),
  ResourceProperties: z.record(z.string(), z.unknown()).optional(),
  OldResourceProperties: z.record(z.string(), z.unknown()).optional(),
});
export type CustomResourceRequest = z.infer<typeof CustomResourceRequest>;

/** Data values are read with Fn::GetAtt; plain strings and numbers keep them predictable. */
export type CustomResourceData = Readonly<Record<string, string | number>>;

/** The response object as the reference lists its fields. */
export interface CustomResourceResponse {
  readonly Status: 'SUCCESS' | 'FAILED';
  /** Required when FAILED; shown in the stack's events, so never a secret. */
  readonly Reason: string;
  /** Non-empty, at most 1 KB, the same in every answer for one resource: a different one on Update means "replaced". */
  readonly PhysicalResourceId: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly NoEcho?: boolean;
  readonly Data?: CustomResourceData;
}

/** "The total size of the response body can't exceed 4096 bytes." */
export const MAX_RESPONSE_BYTES = 4096;

/** What a resource's Create/Update or Delete reports when it worked; a thrown error becomes FAILED with its message. */
export interface CustomResourceOutcome {
  readonly reason: string;
  readonly data?: CustomResourceData;
}

/** A failure that still has counts to report (Data of a FAILED answer; CloudFormation shows only the Reason). */
export class CustomResourceFailure extends Error {
  override name = 'CustomResourceFailure';
  constructor(
    message: string,
    readonly data: CustomResourceData = {},
  ) {
    super(message);
  }
}

export interface CustomResource {
  /** Stable: the same for every request, so an Update is never taken for a replacement. */
  readonly physicalResourceId: string;
  /** Create and Update. `signal` aborts when the answer must go out: stop starting new work. */
  apply(request: CustomResourceRequest, signal: AbortSignal): Promise<CustomResourceOutcome>;
  /** Delete. Runs also after a failed Create (rollback), so it must succeed when nothing was made. */
  remove(request: CustomResourceRequest, signal: AbortSignal): Promise<CustomResourceOutcome>;
}

export interface CustomResourceHandlerOptions {
  /** Extra trust anchors for the PUT (a test's local CA); the default trust store otherwise. */
  readonly ca?: string;
  /** Called with the answer just before it is PUT (the entry logs it). */
  readonly onAnswer?: (response: CustomResourceResponse) => void;
  /** Called with what made the answer FAILED, for the log (the Reason carries only its message). */
  readonly onFailure?: (error: unknown) => void;
}

/** The request carries no address to answer to: nothing can tell CloudFormation, so the invocation fails loudly. */
export class UnanswerableRequestError extends Error {
  override name = 'UnanswerableRequestError';
}

const PRIVATE_KEY_BLOCK = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g;

/** Reasons end up in the stack's events: a key that slipped into an error message is cut out here, the last boundary. */
export const withoutPrivateKeys = (text: string): string => text.replace(PRIVATE_KEY_BLOCK, '[private key removed]');

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * The URL to PUT to. CloudFormation's is always an https presigned S3 URL; plain http is accepted
 * only to a loopback address (a local stand-in in tests and local runs), so a forged request cannot
 * make this function send anything in clear text across a network.
 */
export const responseUrlOf = (event: unknown): URL => {
  const raw = typeof event === 'object' && event !== null ? (event as Record<string, unknown>).ResponseURL : undefined;
  if (typeof raw !== 'string' || raw === '') {
    throw new UnanswerableRequestError('The request has no ResponseURL: it is not a CloudFormation custom resource request, and there is nowhere to send an answer.');
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UnanswerableRequestError('The request\'s ResponseURL is not a URL: CloudFormation sends a presigned https S3 URL; this request cannot be answered.');
  }
  if (url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))) return url;
  throw new UnanswerableRequestError(`The request's ResponseURL uses ${url.protocol} to ${url.hostname}: only https (or http to a loopback address) is answered.`);
};

const textField = (event: unknown, name: string): string => {
  const value = typeof event === 'object' && event !== null ? (event as Record<string, unknown>)[name] : undefined;
  return typeof value === 'string' ? value : '';
};

/**
 * The response body as JSON text of at most MAX_RESPONSE_BYTES: the Reason is shortened first (its
 * start says what happened), then Data is dropped, saying so, rather than sending a body S3 takes
 * and CloudFormation cannot read.
 */
export const responseBody = (response: CustomResourceResponse): string => {
  const clean: CustomResourceResponse = { ...response, Reason: withoutPrivateKeys(response.Reason) };
  const fits = (candidate: CustomResourceResponse) => {
    const text = JSON.stringify(candidate);
    return Buffer.byteLength(text, 'utf8') <= MAX_RESPONSE_BYTES ? text : undefined;
  };
  /** The whole reason if it fits, else its longest start that does. */
  const fitted = (reason: string, base: CustomResourceResponse) => {
    const whole = fits({ ...base, Reason: reason });
    if (whole) return whole;
    // Cut by characters until it fits; JSON escaping makes bytes hard to predict, so measure each try.
    for (let keep = Math.min(reason.length, MAX_RESPONSE_BYTES); keep >= 0; keep -= 64) {
      const text = fits({ ...base, Reason: `${reason.slice(0, keep)}… (shortened: the log has it all)` });
      if (text) return text;
    }
    return undefined;
  };
  const withData = fitted(clean.Reason, clean);
  if (withData) return withData;
  const { Data: _dropped, ...withoutData } = clean;
  const text = fitted(`${clean.Reason} (Data left out: too large for a response)`, withoutData);
  if (text) return text;
  throw new Error('The custom resource response does not fit in 4096 bytes even without Reason and Data: shorten the StackId, RequestId or PhysicalResourceId.');
};

/** One PUT of `body`; resolves with the HTTP status. `signal` bounds the whole exchange. */
const put = (url: URL, body: string, signal: AbortSignal, ca: string | undefined): Promise<number> =>
  new Promise((resolve, reject) => {
    const options = {
      method: 'PUT',
      // The presigned URL is signed without a content type, and S3 compares what is signed: send an
      // empty one, as AWS's own cfn-response module does, rather than letting a default slip in.
      headers: { 'content-type': '', 'content-length': Buffer.byteLength(body, 'utf8') },
      signal,
    };
    const onResponse = (response: IncomingMessage) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
      response.on('error', reject);
    };
    const req = url.protocol === 'https:' ? httpsRequest(url, { ...options, ...(ca === undefined ? {} : { ca }) }, onResponse) : httpRequest(url, options, onResponse);
    req.on('error', reject);
    req.end(body);
  });

/**
 * PUTs the body, trying again after a network error or a 5xx until `deadline` (epoch ms). A 4xx is
 * final: an expired or altered presigned URL does not heal. Resolves with the status S3 gave.
 */
export const sendResponse = async (url: URL, body: string, deadline: number, options: { readonly ca?: string } = {}): Promise<number> => {
  let lastProblem = 'no attempt was made: the time was already up';
  for (let attempt = 1; Date.now() < deadline; attempt++) {
    const signal = AbortSignal.timeout(Math.max(1, deadline - Date.now()));
    try {
      const status = await put(url, body, signal, options.ca);
      if (status >= 200 && status < 300) return status;
      lastProblem = `the response URL answered HTTP ${status}`;
      if (status < 500) break;
    } catch (error) {
      lastProblem = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    }
    // A short pause that grows, but never past the deadline.
    const pause = Math.min(200 * attempt, Math.max(0, deadline - Date.now() - 1));
    if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
  }
  throw new Error(`Could not deliver the answer to CloudFormation (${url.host}): ${lastProblem}. The stack waits until the resource's ServiceTimeout; Lambda's async retry sends it again.`);
};

/**
 * Time kept back for the PUT out of what the Lambda has left: a fifth, between 1 and 10 seconds.
 * S3 answers a PUT of a few hundred bytes in well under a second; the rest absorbs a retry.
 */
export const answerReserveMs = (remainingMs: number): number => Math.min(10_000, Math.max(1_000, Math.floor(remainingMs / 5)));

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : `unexpected failure: ${String(error)}`);

/**
 * The Lambda handler of a custom resource: checks the request, runs `apply` or `remove` within the
 * time the Lambda has left less the reserve for the answer, and PUTs SUCCESS or FAILED to ResponseURL.
 * It throws only when it could not answer (no usable ResponseURL, or the PUT never got through), so
 * Lambda's async retry and on-failure destination see exactly the requests CloudFormation never heard about.
 */
export const customResourceHandler =
  (resource: CustomResource, options: CustomResourceHandlerOptions = {}) =>
  async (event: unknown, context: Pick<Context, 'getRemainingTimeInMillis'>): Promise<CustomResourceResponse> => {
    const startedAt = Date.now();
    const endsAt = startedAt + context.getRemainingTimeInMillis();
    const answerBy = endsAt - answerReserveMs(endsAt - startedAt);
    const url = responseUrlOf(event);
    const answer = (Status: CustomResourceResponse['Status'], Reason: string, Data?: CustomResourceData): CustomResourceResponse => ({
      Status,
      Reason: withoutPrivateKeys(Reason),
      // A Delete answers with the id it was asked about, so it always closes the resource it names.
      PhysicalResourceId: (textField(event, 'RequestType') === 'Delete' && textField(event, 'PhysicalResourceId')) || resource.physicalResourceId,
      StackId: textField(event, 'StackId'),
      RequestId: textField(event, 'RequestId'),
      LogicalResourceId: textField(event, 'LogicalResourceId'),
      ...(Data === undefined ? {} : { Data }),
    });

    const response = await (async (): Promise<CustomResourceResponse> => {
      const parsed = CustomResourceRequest.safeParse(event);
      if (!parsed.success) {
        const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'request'}: ${i.message}`).join('; ');
        return answer('FAILED', `Not a custom resource request this function can act on (${problems}). Check the resource's properties in the template.`);
      }
      const request = parsed.data;
      const aborter = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      const outOfTime = new Promise<'out-of-time'>((resolve) => {
        timer = setTimeout(() => resolve('out-of-time'), Math.max(0, answerBy - Date.now()));
      });
      const work = request.RequestType === 'Delete' ? resource.remove(request, aborter.signal) : resource.apply(request, aborter.signal);
      try {
        const settled = await Promise.race([work.then((outcome) => ({ outcome }), (error: unknown) => ({ error })), outOfTime]);
        if (settled === 'out-of-time') {
          // The abandoned work stops before its next step (its late outcome is already handled by the race).
          aborter.abort();
          const seconds = Math.round((answerBy - startedAt) / 1000);
          return answer(
            'FAILED',
            `${request.RequestType} did not finish in the ${seconds} s the Lambda had before its answer was due. What finished stays done: raise the function's timeout, then update the stack (or retry the rollback) to continue.`,
          );
        }
        if ('error' in settled) {
          options.onFailure?.(settled.error);
          return answer('FAILED', messageOf(settled.error), settled.error instanceof CustomResourceFailure ? settled.error.data : undefined);
        }
        return answer('SUCCESS', settled.outcome.reason, settled.outcome.data);
      } finally {
        clearTimeout(timer);
      }
    })();

    options.onAnswer?.(response);
    await sendResponse(url, responseBody(response), endsAt - 250, options.ca === undefined ? {} : { ca: options.ca });
    return response;
  };

import type { z } from 'zod';
import { ApiError, ConnectionError, type ApiProblem, type ProblemField } from './cliErrors.ts';

export type Query = Readonly<Record<string, string | number | boolean | undefined>> | URLSearchParams;

export interface RequestOptions {
  readonly query?: Query | undefined;
  readonly body?: RequestInit['body'];
  readonly headers?: Readonly<Record<string, string>>;
  /** Milliseconds before the request is given up; 0 for none (uploads, exports, rebuilds). */
  readonly timeoutMs?: number;
  /** Error statuses whose body is an answer, not a refusal (GET /health says 503 with the same body). */
  readonly alsoAccept?: readonly number[];
}

export interface ApiClient {
  readonly baseUrl: string;
  /** The response of a 2xx answer; any other status throws ApiError, no answer ConnectionError. */
  send(method: string, path: string, options?: RequestOptions): Promise<Response>;
  /** A 2xx JSON answer, checked against the API's own schema for it. */
  json<T>(method: string, path: string, schema: z.ZodType<T>, options?: RequestOptions): Promise<T>;
}

export interface ApiClientOptions {
  readonly baseUrl: string;
  readonly token: string;
  /** How the token was found, for the hint when the API refuses it. */
  readonly tokenSource: string;
  readonly fetch?: typeof fetch;
}

const DEFAULT_TIMEOUT_MS = 60_000;

const withQuery = (path: string, query: Query | undefined): string => {
  if (!query) return path;
  const params = query instanceof URLSearchParams ? query : new URLSearchParams();
  if (!(query instanceof URLSearchParams)) {
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
  }
  const text = params.toString();
  return text === '' ? path : `${path}?${text}`;
};

/** Node's fetch hides the socket error in `cause`: ECONNREFUSED is what people can act on. */
const networkCode = (err: unknown): string => {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (typeof cause?.code === 'string') return cause.code;
  if ((err as Error).name === 'TimeoutError') return 'timed out';
  return typeof cause?.message === 'string' ? cause.message : (err as Error).message;
};

const isField = (v: unknown): v is ProblemField =>
  typeof v === 'object' && v !== null && typeof (v as ProblemField).field === 'string' && typeof (v as ProblemField).message === 'string';

/** The problem+json body of a refusal, or what can be said about a body that is not one. */
const problemOf = async (response: Response): Promise<ApiProblem> => {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    return {
      status: response.status,
      ...(typeof body.type === 'string' ? { type: body.type } : {}),
      ...(typeof body.title === 'string' ? { title: body.title } : {}),
      ...(typeof body.detail === 'string' ? { detail: body.detail } : {}),
      ...(Array.isArray(body.errors) ? { errors: body.errors.filter(isField) } : {}),
    };
  } catch {
    return { status: response.status, detail: text.slice(0, 300) || response.statusText };
  }
};

const kindOf = (problem: ApiProblem) => problem.type?.replace(/^.*\/problems\//, '') ?? 'error';

const hintFor = (problem: ApiProblem, tokenSource: string): string => {
  if (problem.status === 401) {
    return `The token (${tokenSource}) was not accepted. Mint one the server accepts: fleet token --role <role> --data-dir <the server's data dir>, or pass --token.`;
  }
  if (problem.status === 403 && kindOf(problem) === 'forbidden') return 'Use a token with a role the route allows: --role admin, or the role the detail names.';
  if (problem.status >= 500) return 'The server had a problem; its log says more. Try again, and report it if it keeps happening.';
  return '';
};

/** Talks to the fleet API over HTTP with a bearer token; every failure becomes a CliError. */
export const createApiClient = (options: ApiClientOptions): ApiClient => {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const doFetch = options.fetch ?? fetch;

  const send = async (method: string, path: string, request: RequestOptions = {}): Promise<Response> => {
    const url = `${baseUrl}${withQuery(path, request.query)}`;
    const timeoutMs = request.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const streaming = typeof ReadableStream !== 'undefined' && request.body instanceof ReadableStream;
    let response: Response;
    try {
      response = await doFetch(url, {
        method,
        headers: { authorization: `Bearer ${options.token}`, ...request.headers },
        ...(request.body === undefined ? {} : { body: request.body }),
        // A streamed body (an upload read from disk) must say so.
        ...(streaming ? { duplex: 'half' as const } : {}),
        ...(timeoutMs > 0 ? { signal: AbortSignal.timeout(timeoutMs) } : {}),
      });
    } catch (err) {
      throw new ConnectionError(
        `could not reach the API at ${baseUrl} (${networkCode(err)}).`,
        'Start the system (npm start), or point the CLI at it with --url or FLEET_HTTP_HOST and FLEET_HTTP_PORT.',
      );
    }
    if (response.ok || request.alsoAccept?.includes(response.status)) return response;
    const problem = await problemOf(response);
    const title = problem.title ?? `HTTP ${response.status}`;
    throw new ApiError(`${title} (${response.status} ${kindOf(problem)}): ${problem.detail ?? response.statusText}`, hintFor(problem, options.tokenSource), problem);
  };

  return {
    baseUrl,
    send,
    async json(method, path, schema, request) {
      const response = await send(method, path, request);
      let body: unknown;
      try {
        body = await response.json();
      } catch {
        throw new ConnectionError(`${method} ${baseUrl}${path} did not answer JSON: is ${baseUrl} the fleet API?`, 'Check --url; GET /openapi.json on the fleet API describes it.');
      }
      const parsed = schema.safeParse(body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new ConnectionError(
          `${method} ${path} answered a body this CLI does not understand (${issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'unexpected shape'}).`,
          'The server and the CLI are different versions: run the CLI from the same checkout as the server.',
        );
      }
      return parsed.data;
    },
  };
};

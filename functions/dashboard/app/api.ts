/**
 * The dashboard's one way to the HTTP API: bearer token from the session, JSON in and out,
 * RFC 9457 problem+json turned into an `ApiProblem` the pages show as it is (title, detail, the
 * fields it names). Nothing here knows a route: pages call `api.get('/devices?tenant=x')`.
 */

export interface ProblemBody {
  readonly type?: string;
  readonly title?: string;
  readonly status?: number;
  readonly detail?: string;
  readonly errors?: readonly { readonly field?: string; readonly path?: string; readonly rule?: string; readonly message?: string }[];
  readonly [extra: string]: unknown;
}

/** A refused or failed call: what the server said, for the page to show. */
export class ApiProblem extends Error {
  override name = 'ApiProblem';
  constructor(
    readonly status: number,
    readonly problem: ProblemBody,
  ) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
  }
}

export interface ApiClient {
  readonly base: string;
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  /** A raw request (uploads, exports): the caller reads the response; problems still throw. */
  send(path: string, init: RequestInit): Promise<Response>;
}

const problemOf = async (response: Response): Promise<ProblemBody> => {
  const text = await response.text();
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object') return parsed as ProblemBody;
  } catch {
    // not JSON: fall through to a problem that quotes the body
  }
  const title = response.statusText || `HTTP ${response.status}`;
  return text ? { title, status: response.status, detail: text.slice(0, 500) } : { title, status: response.status };
};

/**
 * `base` is '' for the embedded runtime (same origin) or the API's URL on AWS; `token()` is read on
 * every call so a new sign-in takes effect at once; `onUnauthorized` lets the app send the user back
 * to sign in when the token expires.
 */
export const createApiClient = (options: { base: string; token: () => string | undefined; onUnauthorized?: () => void }): ApiClient => {
  const send = async (path: string, init: RequestInit): Promise<Response> => {
    const headers = new Headers(init.headers);
    const token = options.token();
    if (token) headers.set('authorization', `Bearer ${token}`);
    if (!headers.has('accept')) headers.set('accept', 'application/json, application/problem+json');
    const response = await fetch(`${options.base}${path}`, { ...init, headers });
    if (!response.ok) {
      if (response.status === 401) options.onUnauthorized?.();
      throw new ApiProblem(response.status, await problemOf(response));
    }
    return response;
  };
  const json = async <T>(path: string, init: RequestInit): Promise<T> => {
    const response = await send(path, init);
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  };
  return {
    base: options.base,
    send,
    get: (path) => json(path, { method: 'GET' }),
    post: (path, body) =>
      json(path, body === undefined ? { method: 'POST' } : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  };
};

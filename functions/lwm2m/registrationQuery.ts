/**
 * Register and Update query parameters (LwM2M Core 1.1 §6.2.1/§6.2.2, Transport §6.4):
 *
 *   Register: /rd?ep={name}&lt={s}&lwm2m={version}&b={binding}&Q&sms={msisdn}
 *   Update:   /rd/{location}?lt={s}&b={binding}&sms={msisdn}&Q
 *
 * Choices (README "Spec choices"): `Q` is also accepted as `q`; a 1.0-style binding with Q (`UQ`)
 * means queue mode in every version; `lt=0` means no expiry (1.2 Server object: "0 is infinite");
 * a parameter the operation does not define is a 4.00, as the 1.0 response-code table says.
 */

export const SUPPORTED_LWM2M_VERSIONS = ['1.0', '1.1', '1.2'] as const;
export type Lwm2mVersion = (typeof SUPPORTED_LWM2M_VERSIONS)[number];

export const DEFAULT_LIFETIME_SECONDS = 86_400;
const MAX_LIFETIME_SECONDS = 0xffffffff;
const MAX_ENDPOINT_LENGTH = 255;

export interface RegisterParams {
  readonly endpoint: string;
  /** Seconds; 0 = no expiry. */
  readonly lifetimeSeconds: number;
  readonly lwm2mVersion: Lwm2mVersion;
  readonly binding: string;
  readonly queueMode: boolean;
  readonly smsNumber?: string;
}

export interface UpdateParams {
  readonly lifetimeSeconds?: number;
  readonly binding?: string;
  readonly queueMode?: boolean;
  readonly smsNumber?: string;
}

export type QueryFailure = { readonly ok: false; readonly unsupportedVersion: boolean; readonly reason: string };
export type QueryParse<T> = { readonly ok: true; readonly value: T } | QueryFailure;

const fail = (reason: string, unsupportedVersion = false): QueryFailure => ({ ok: false, unsupportedVersion, reason });

/** Splits Uri-Query options ('ep=x', 'Q') into pairs; a repeated parameter is an error. */
const readPairs = (query: readonly string[], allowed: ReadonlySet<string>): Map<string, string | undefined> | QueryFailure => {
  const pairs = new Map<string, string | undefined>();
  for (const item of query) {
    const eq = item.indexOf('=');
    const name = eq < 0 ? item : item.slice(0, eq);
    const value = eq < 0 ? undefined : item.slice(eq + 1);
    const canonical = name === 'q' ? 'Q' : name;
    if (!allowed.has(canonical)) return fail(`unknown query parameter '${name}'; this operation takes ${[...allowed].join(', ')}`);
    if (pairs.has(canonical)) return fail(`query parameter '${name}' is given twice`);
    pairs.set(canonical, value);
  }
  return pairs;
};

const parseLifetime = (value: string | undefined): number | QueryFailure => {
  if (value === undefined || !/^\d{1,10}$/.test(value) || Number(value) > MAX_LIFETIME_SECONDS) {
    return fail(`lt='${value ?? ''}' is not a lifetime in seconds (0..4294967295)`);
  }
  return Number(value);
};

/** LwM2M 1.1 bindings are letters from U M H T S N, each once; 1.0 adds Q for queue mode (UQ, SQ, UQS). */
const parseBinding = (value: string | undefined): { binding: string; queue: boolean } | QueryFailure => {
  if (value === undefined || value.length === 0 || value.length > 8 || !/^[UMHTSNQ]+$/.test(value) || new Set(value).size !== value.length) {
    return fail(`b='${value ?? ''}' is not a binding: letters from U, M, H, T, S, N (and Q for 1.0 queue mode), each at most once`);
  }
  const binding = value.replace('Q', '');
  if (binding.length === 0) return fail(`b='${value}' names queue mode but no transport`);
  return { binding, queue: value.includes('Q') };
};

const parseSms = (value: string | undefined): string | QueryFailure =>
  value !== undefined && /^\+?\d{1,20}$/.test(value) ? value : fail(`sms='${value ?? ''}' is not an MSISDN`);

const isFailure = (x: unknown): x is QueryFailure => typeof x === 'object' && x !== null && 'ok' in x && x.ok === false;

const REGISTER_PARAMS = new Set(['ep', 'lt', 'lwm2m', 'b', 'sms', 'Q']);
const UPDATE_PARAMS = new Set(['lt', 'b', 'sms', 'Q']);

export const parseRegisterQuery = (query: readonly string[]): QueryParse<RegisterParams> => {
  const pairs = readPairs(query, REGISTER_PARAMS);
  if (isFailure(pairs)) return pairs;
  const endpoint = pairs.get('ep');
  if (endpoint === undefined || endpoint.length === 0) return fail("the 'ep' (Endpoint Client Name) parameter is mandatory");
  if (endpoint.length > MAX_ENDPOINT_LENGTH) return fail(`ep is longer than ${MAX_ENDPOINT_LENGTH} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\ufffd]/.test(endpoint)) return fail('ep contains control characters or invalid UTF-8');

  const version = pairs.has('lwm2m') ? pairs.get('lwm2m') : '1.0';
  if (version === undefined || !/^\d{1,3}\.\d{1,3}$/.test(version)) return fail(`lwm2m='${version ?? ''}' is not a version like 1.1`);
  if (!(SUPPORTED_LWM2M_VERSIONS as readonly string[]).includes(version)) {
    return fail(`LwM2M ${version} is not supported; this server speaks ${SUPPORTED_LWM2M_VERSIONS.join(', ')}`, true);
  }
  const lifetime = pairs.has('lt') ? parseLifetime(pairs.get('lt')) : DEFAULT_LIFETIME_SECONDS;
  if (isFailure(lifetime)) return lifetime;
  const binding = pairs.has('b') ? parseBinding(pairs.get('b')) : { binding: 'U', queue: false };
  if (isFailure(binding)) return binding;
  if (pairs.has('Q') && pairs.get('Q') !== undefined) return fail("'Q' takes no value");
  const sms = pairs.has('sms') ? parseSms(pairs.get('sms')) : undefined;
  if (isFailure(sms)) return sms;
  return {
    ok: true,
    value: {
      endpoint,
      lifetimeSeconds: lifetime,
      lwm2mVersion: version as Lwm2mVersion,
      binding: binding.binding,
      queueMode: binding.queue || pairs.has('Q'),
      ...(sms !== undefined ? { smsNumber: sms } : {}),
    },
  };
};

export const parseUpdateQuery = (query: readonly string[]): QueryParse<UpdateParams> => {
  const pairs = readPairs(query, UPDATE_PARAMS);
  if (isFailure(pairs)) return pairs;
  const result: { -readonly [K in keyof UpdateParams]: UpdateParams[K] } = {};
  if (pairs.has('lt')) {
    const lifetime = parseLifetime(pairs.get('lt'));
    if (isFailure(lifetime)) return lifetime;
    result.lifetimeSeconds = lifetime;
  }
  if (pairs.has('b')) {
    const binding = parseBinding(pairs.get('b'));
    if (isFailure(binding)) return binding;
    result.binding = binding.binding;
    result.queueMode = binding.queue || pairs.has('Q');
  } else if (pairs.has('Q')) {
    result.queueMode = true;
  }
  if (pairs.has('Q') && pairs.get('Q') !== undefined) return fail("'Q' takes no value");
  if (pairs.has('sms')) {
    const sms = parseSms(pairs.get('sms'));
    if (isFailure(sms)) return sms;
    result.smsNumber = sms;
  }
  return { ok: true, value: result };
};

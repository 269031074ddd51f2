import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { compilePattern, PatternError, type EventPatternMatcher } from '../bus/patternMatcher.ts';
import { compileInputTransformer, InputTransformerError, type CompiledInputTransformer } from './inputTransformer.ts';
import { compileJsonPath, JsonPathError, type CompiledPath } from './jsonPath.ts';
import { SIGNATURE_HEADER } from './signature.ts';

/** Headers every delivery carries; a subscription cannot set them (the transport or the signature owns them). */
export const RESERVED_HEADERS = new Set([
  'x-fleet-event-id',
  'x-fleet-subscription',
  'x-fleet-delivery-attempt',
  SIGNATURE_HEADER,
  'content-type',
  'content-length',
  'host',
  'connection',
  'transfer-encoding',
  'user-agent',
]);

/** EventBridge's RetryPolicy ranges and defaults (185 retries within 24 hours). */
export const RETRY_LIMITS = { maximumRetryAttempts: { min: 0, max: 185, default: 185 }, maximumEventAgeSeconds: { min: 60, max: 86_400, default: 86_400 } };

const HeaderName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'is not a valid HTTP header name');
const HeaderValue = z.string().regex(/^[\t\x20-\x7e\x80-\xff]*$/, 'must not contain line breaks or control characters');

const Target = z
  .object({
    url: z.string().refine((u) => URL.canParse(u) && /^https?:$/.test(new URL(u).protocol), 'must be an absolute http:// or https:// URL'),
    method: z.enum(['POST', 'PUT', 'PATCH'], { message: 'must be "POST", "PUT" or "PATCH" (the event is sent as the request body)' }).default('POST'),
    headers: z.record(HeaderName, HeaderValue).optional(),
    inputPath: z.string().optional(),
    inputTransformer: z
      .object({ inputPathsMap: z.record(z.string(), z.string()).optional(), inputTemplate: z.string() })
      .strict()
      .optional(),
  })
  .strict()
  .refine((t) => t.inputPath === undefined || t.inputTransformer === undefined, { message: 'give inputPath or inputTransformer, not both (as an EventBridge target)' });

const Retry = z
  .object({
    maximumRetryAttempts: z.number().int().min(RETRY_LIMITS.maximumRetryAttempts.min).max(RETRY_LIMITS.maximumRetryAttempts.max).default(RETRY_LIMITS.maximumRetryAttempts.default),
    maximumEventAgeSeconds: z
      .number()
      .int()
      .min(RETRY_LIMITS.maximumEventAgeSeconds.min)
      .max(RETRY_LIMITS.maximumEventAgeSeconds.max)
      .default(RETRY_LIMITS.maximumEventAgeSeconds.default),
  })
  .strict();

const Subscription = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1 to 64 letters, digits, ".", "_" or "-" (as an EventBridge rule name)'),
    pattern: z.record(z.string(), z.unknown(), { message: 'must be an EventBridge event pattern object, e.g. { "detail-type": ["AlarmRaised"] }' }),
    target: Target,
    retry: Retry.default({ maximumRetryAttempts: RETRY_LIMITS.maximumRetryAttempts.default, maximumEventAgeSeconds: RETRY_LIMITS.maximumEventAgeSeconds.default }),
    secret: z.string().min(16, 'must be at least 16 characters: receivers verify x-fleet-signature with it (make one with `openssl rand -hex 32`)'),
    /** Where a subscription seen for the first time starts: only new events (as an EventBridge rule), or the whole history. */
    startFrom: z.enum(['latest', 'beginning']).default('latest'),
  })
  .strict();

export type SubscriptionSpec = z.output<typeof Subscription>;

/** What a delivery sends: the envelope, part of it, or an input transformer's output. */
export type TargetInput =
  | { readonly kind: 'event' }
  | { readonly kind: 'path'; readonly path: CompiledPath }
  | { readonly kind: 'transformer'; readonly transform: CompiledInputTransformer };

export interface WebhookSubscription {
  readonly name: string;
  readonly spec: SubscriptionSpec;
  readonly matcher: EventPatternMatcher;
  readonly url: URL;
  readonly method: 'POST' | 'PUT' | 'PATCH';
  readonly headers: Readonly<Record<string, string>>;
  readonly input: TargetInput;
  readonly retry: { readonly maximumRetryAttempts: number; readonly maximumEventAgeSeconds: number };
  readonly secret: string;
  readonly startFrom: 'latest' | 'beginning';
}

/** A subscriptions file that cannot be used; `subscription` and `field` say where. */
export class SubscriptionConfigError extends Error {
  override name = 'SubscriptionConfigError';
  constructor(
    readonly source: string,
    readonly subscription: string | undefined,
    readonly field: string | undefined,
    problem: string,
  ) {
    const where = [subscription === undefined ? undefined : `subscription "${subscription}"`, field].filter((w) => w !== undefined).join(', ');
    super(`${source}: ${where === '' ? '' : `${where}: `}${problem}. Fix the file and start again.`);
  }
}

const pathText = (path: readonly PropertyKey[]): string =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');

const compileOne = (source: string, raw: unknown, index: number): WebhookSubscription => {
  const named = typeof raw === 'object' && raw !== null && typeof (raw as { name?: unknown }).name === 'string' ? (raw as { name: string }).name : `#${index + 1}`;
  const fail = (field: string | undefined, problem: string): never => {
    throw new SubscriptionConfigError(source, named, field, problem);
  };
  const parsed = Subscription.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = pathText(issue.path);
    const problem = issue.code === 'unrecognized_keys' ? `has unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}` : issue.message;
    return fail(field === '' ? undefined : field, problem);
  }
  const spec = parsed.data;
  let matcher: EventPatternMatcher;
  try {
    matcher = compilePattern(spec.pattern);
  } catch (error) {
    if (error instanceof PatternError) return fail(`pattern${error.path.slice(1)}`, error.reason);
    throw error;
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(spec.target.headers ?? {})) {
    if (RESERVED_HEADERS.has(name.toLowerCase())) fail(`target.headers.${name}`, 'is set by every delivery and cannot be overridden');
    headers[name.toLowerCase()] = value;
  }
  let input: TargetInput = { kind: 'event' };
  if (spec.target.inputPath !== undefined) {
    try {
      input = { kind: 'path', path: compileJsonPath(spec.target.inputPath) };
    } catch (error) {
      if (error instanceof JsonPathError) return fail('target.inputPath', error.message);
      throw error;
    }
  } else if (spec.target.inputTransformer !== undefined) {
    try {
      input = { kind: 'transformer', transform: compileInputTransformer(spec.target.inputTransformer) };
    } catch (error) {
      if (error instanceof InputTransformerError) return fail(`target.inputTransformer.${error.field}`, error.message);
      throw error;
    }
  }
  return {
    name: spec.name,
    spec,
    matcher,
    url: new URL(spec.target.url),
    method: spec.target.method,
    headers,
    input,
    retry: spec.retry,
    secret: spec.secret,
    startFrom: spec.startFrom,
  };
};

/** Parses and checks a subscriptions file's text; `source` (the file name) prefixes every error. */
export const parseSubscriptions = (text: string, source = 'subscriptions file'): WebhookSubscription[] => {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new SubscriptionConfigError(source, undefined, undefined, `is not valid JSON (${(error as Error).message})`);
  }
  const list = typeof document === 'object' && document !== null && !Array.isArray(document) ? (document as { subscriptions?: unknown }).subscriptions : undefined;
  if (!Array.isArray(list)) throw new SubscriptionConfigError(source, undefined, undefined, 'must be a JSON object with a "subscriptions" array');
  const extra = Object.keys(document as object).filter((k) => k !== 'subscriptions');
  if (extra.length > 0) throw new SubscriptionConfigError(source, undefined, undefined, `has unknown top-level field(s) ${extra.map((k) => `"${k}"`).join(', ')}`);
  const subscriptions = list.map((raw, i) => compileOne(source, raw, i));
  const seen = new Set<string>();
  for (const s of subscriptions) {
    if (seen.has(s.name)) throw new SubscriptionConfigError(source, s.name, 'name', 'is used by two subscriptions: names must be unique');
    seen.add(s.name);
  }
  return subscriptions;
};

/** Reads the file named by FLEET_SUBSCRIPTIONS_FILE once at start-up. */
export const loadSubscriptionsFile = (file: string): WebhookSubscription[] => {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new SubscriptionConfigError(file, undefined, undefined, `cannot be read (${(error as Error).message})`);
  }
  return parseSubscriptions(text, file);
};

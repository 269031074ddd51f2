import { z } from 'zod';

/**
 * Evaluates AWS IoT policy documents (IAM policy grammar, Version 2012-10-17) the way AWS IoT
 * Core does, so that the embedded broker enforces the very document provisioning attaches in AWS.
 *
 * What is implemented, from the IAM policy reference:
 * - Effect Allow/Deny; an explicit Deny in any matching statement wins, then any Allow, else the
 *   request is implicitly denied.
 * - Action/NotAction with `*` and `?` wildcards, case-insensitive.
 * - Resource/NotResource with `*` (any run of characters, `/` and `:` included) and `?` (one
 *   character), case-sensitive; policy variables `${key}` substituted first, and the escapes
 *   `${*}`, `${?}`, `${$}` for the literal characters. A substituted value is literal: a `*` in a
 *   thing name could never widen a grant (AWS thing names cannot hold one anyway).
 * - Condition operators StringEquals, StringNotEquals, StringEqualsIgnoreCase,
 *   StringNotEqualsIgnoreCase, StringLike, StringNotLike, Bool, Null, each with `...IfExists`.
 *
 * What fails closed: an unknown operator, a `ForAnyValue:`/`ForAllValues:` set operator or a
 * variable default (`${key, 'x'}`) is a PolicyError when the policy is compiled, never ignored; a
 * variable with no value makes its Resource entry match nothing (AWS: "the variable won't be
 * resolved and will result in an access denied error"), and in NotResource it drops an Allow
 * statement and widens a Deny statement to the whole action.
 *
 * Conditions here read only connection facts (thing name, client id, IsAttached), which are fixed
 * for a connection, so `compilePolicy` settles them once at connect time and the per-message check
 * is a lookup by action plus a string match.
 */

export const POLICY_VERSION = '2012-10-17';

export type IotAction = 'iot:Connect' | 'iot:Publish' | 'iot:Subscribe' | 'iot:Receive';
export const IOT_ACTIONS: readonly IotAction[] = ['iot:Connect', 'iot:Publish', 'iot:Subscribe', 'iot:Receive'];

const StringOrList = z.union([z.string(), z.array(z.string()).min(1)]);
const ConditionValue = z.union([z.string(), z.boolean(), z.number(), z.array(z.union([z.string(), z.boolean(), z.number()])).min(1)]);

const Statement = z
  .object({
    Sid: z.string().optional(),
    Effect: z.enum(['Allow', 'Deny']),
    Action: StringOrList.optional(),
    NotAction: StringOrList.optional(),
    Resource: StringOrList.optional(),
    NotResource: StringOrList.optional(),
    Condition: z.record(z.string(), z.record(z.string(), ConditionValue)).optional(),
  })
  .strict()
  .refine((s) => (s.Action === undefined) !== (s.NotAction === undefined), 'a statement needs exactly one of Action and NotAction')
  .refine((s) => (s.Resource === undefined) !== (s.NotResource === undefined), 'a statement needs exactly one of Resource and NotResource');

const Document = z
  .object({
    Version: z.literal(POLICY_VERSION, { error: `Version must be "${POLICY_VERSION}": older versions do not substitute policy variables` }),
    Id: z.string().optional(),
    // IAM accepts one statement object or a list; a list it is from here on.
    Statement: z.preprocess((v: unknown): unknown => (Array.isArray(v) ? (v as unknown[]) : [v]), z.array(Statement).min(1)),
  })
  .strict();

export type PolicyStatement = z.infer<typeof Statement>;
export type PolicyDocument = z.infer<typeof Document>;

export class PolicyError extends Error {
  override name = 'PolicyError';
}

/** Checks a policy document from outside (a file, the registry, an API body). */
export const parsePolicyDocument = (input: unknown): PolicyDocument => {
  const result = Document.safeParse(typeof input === 'string' ? safeJson(input) : input);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.') || '(document)'}: ${i.message}`).join('; ');
    throw new PolicyError(`the policy document is not valid: ${issues}`);
  }
  return result.data;
};

const safeJson = (text: string): unknown => {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new PolicyError(`the policy document is not JSON: ${(error as Error).message}`);
  }
};

/** What a connection is known by. Keys are the IoT condition keys / policy variables they fill. */
export interface PolicyContext {
  /** `iot:Connection.Thing.ThingName`: the thing the certificate is attached to. */
  readonly thingName?: string | undefined;
  /** `iot:ClientId`: the MQTT client id of the connection. */
  readonly clientId?: string | undefined;
  /** `iot:Connection.Thing.IsAttached`: the certificate is registered and attached to the thing. */
  readonly isAttached?: boolean | undefined;
  /** Any further keys, e.g. `iot:Connection.Thing.Attributes[site]`. */
  readonly variables?: Readonly<Record<string, string>>;
}

export type Decision = 'allow' | 'explicit-deny' | 'implicit-deny';

export interface CompiledPolicy {
  decide(action: string, resource: string): Decision;
  allows(action: string, resource: string): boolean;
}

const contextValues = (context: PolicyContext): Map<string, string> => {
  const values = new Map<string, string>();
  if (context.thingName !== undefined) values.set('iot:connection.thing.thingname', context.thingName);
  if (context.clientId !== undefined) values.set('iot:clientid', context.clientId);
  if (context.isAttached !== undefined) values.set('iot:connection.thing.isattached', String(context.isAttached));
  for (const [key, value] of Object.entries(context.variables ?? {})) values.set(key.toLowerCase(), value);
  return values;
};

/** A pattern after substitution: literal text and wildcards, or nothing (an unresolved variable). */
type Piece = { literal: string } | { wildcard: '*' | '?' };

const substitute = (pattern: string, values: Map<string, string>, where: string, wildcards = true): Piece[] | undefined => {
  const pieces: Piece[] = [];
  let literal = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '$' && pattern[i + 1] === '{') {
      const end = pattern.indexOf('}', i + 2);
      if (end < 0) throw new PolicyError(`${where}: "${pattern}" opens a policy variable with "\${" and never closes it with "}"`);
      const key = pattern.slice(i + 2, end).trim();
      i = end;
      if (key === '*' || key === '?' || key === '$') {
        literal += key;
        continue;
      }
      if (key.includes(',')) {
        throw new PolicyError(`${where}: the variable default in "\${${key}}" is not supported here; write the policy without a default`);
      }
      const value = values.get(key.toLowerCase());
      if (value === undefined) return undefined;
      literal += value;
      continue;
    }
    if (wildcards && (ch === '*' || ch === '?')) {
      if (literal) pieces.push({ literal });
      literal = '';
      pieces.push({ wildcard: ch });
      continue;
    }
    literal += ch;
  }
  if (literal) pieces.push({ literal });
  return pieces;
};

type Matcher = (value: string) => boolean;

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Picks the cheapest test that matches exactly what the pieces match. */
const toMatcher = (pieces: Piece[], ignoreCase: boolean): Matcher => {
  const fold = (s: string) => (ignoreCase ? s.toLowerCase() : s);
  if (pieces.length === 0) return (v) => v === '';
  if (pieces.length === 1 && 'literal' in pieces[0]!) {
    const exact = fold(pieces[0].literal);
    return (v) => fold(v) === exact;
  }
  const last = pieces[pieces.length - 1]!;
  if (pieces.length === 2 && 'literal' in pieces[0]! && 'wildcard' in last && last.wildcard === '*') {
    const prefix = fold(pieces[0].literal);
    return (v) => fold(v).startsWith(prefix);
  }
  if (pieces.length === 1 && 'wildcard' in last && last.wildcard === '*') return () => true;
  const source = pieces.map((p) => ('literal' in p ? escapeRegExp(p.literal) : p.wildcard === '*' ? '[\\s\\S]*' : '[\\s\\S]')).join('');
  const re = new RegExp(`^${source}$`, ignoreCase ? 'i' : '');
  return (v) => re.test(v);
};

const list = (v: string | string[]): string[] => (Array.isArray(v) ? v : [v]);

const NEVER: Matcher = () => false;

/** Resource entries as one matcher (any entry matches); `unresolved` tells that an entry named a variable with no value. */
const resourceMatcher = (patterns: string[], values: Map<string, string>, where: string): { match: Matcher; unresolved: boolean } => {
  const matchers: Matcher[] = [];
  let unresolved = false;
  for (const p of patterns) {
    const pieces = substitute(p, values, where);
    if (pieces === undefined) unresolved = true;
    else matchers.push(toMatcher(pieces, false));
  }
  if (matchers.length === 0) return { match: NEVER, unresolved };
  if (matchers.length === 1) return { match: matchers[0]!, unresolved };
  return { match: (v) => matchers.some((m) => m(v)), unresolved };
};

const actionMatcher = (patterns: string[], where: string): Matcher => {
  const matchers = patterns.map((p) => {
    if (p.includes('${')) throw new PolicyError(`${where}: action "${p}" holds a policy variable; actions cannot`);
    return toMatcher(substitute(p, new Map(), where) ?? [], true);
  });
  return (v) => matchers.some((m) => m(v));
};

const OPERATORS = new Set([
  'stringequals',
  'stringnotequals',
  'stringequalsignorecase',
  'stringnotequalsignorecase',
  'stringlike',
  'stringnotlike',
  'bool',
  'null',
]);

/** Settles a statement's Condition block for a fixed context, as IAM would for any request on it. */
const conditionHolds = (condition: PolicyStatement['Condition'], values: Map<string, string>, where: string): boolean => {
  if (!condition) return true;
  for (const [rawOperator, keys] of Object.entries(condition)) {
    if (rawOperator.includes(':')) {
      throw new PolicyError(`${where}: condition operator "${rawOperator}" (a set operator) is not supported by this evaluator; rewrite it without ForAnyValue/ForAllValues`);
    }
    let operator = rawOperator.toLowerCase();
    const ifExists = operator.endsWith('ifexists');
    if (ifExists) operator = operator.slice(0, -'ifexists'.length);
    if (!OPERATORS.has(operator)) {
      throw new PolicyError(`${where}: condition operator "${rawOperator}" is not supported; use one of StringEquals, StringNotEquals, StringLike, StringNotLike, the IgnoreCase forms, Bool or Null`);
    }
    for (const [key, rawExpected] of Object.entries(keys)) {
      const expected = (Array.isArray(rawExpected) ? rawExpected : [rawExpected]).map(String);
      const actual = values.get(key.toLowerCase());
      if (operator === 'null') {
        const wantsAbsent = expected.some((e) => e.toLowerCase() === 'true');
        if ((actual === undefined) !== wantsAbsent) return false;
        continue;
      }
      if (actual === undefined) {
        // IAM: a missing key fails a positive operator and satisfies a negated one; IfExists satisfies both.
        if (ifExists || operator.includes('not')) continue;
        return false;
      }
      const negated = operator.includes('not');
      let matched: boolean;
      if (operator === 'bool') {
        matched = expected.some((e) => e.toLowerCase() === actual.toLowerCase());
      } else {
        const ignoreCase = operator.endsWith('ignorecase');
        const like = operator.endsWith('like');
        matched = expected.some((e) => {
          if (like) {
            const pieces = substitute(e, values, where);
            return pieces !== undefined && toMatcher(pieces, false)(actual);
          }
          const pieces = substitute(e, values, where, false);
          if (pieces === undefined) return false;
          const text = pieces.map((p) => ('literal' in p ? p.literal : '')).join('');
          return ignoreCase ? text.toLowerCase() === actual.toLowerCase() : text === actual;
        });
      }
      if (matched === negated) return false;
    }
  }
  return true;
};

interface CompiledStatement {
  readonly effect: 'Allow' | 'Deny';
  readonly action: Matcher;
  readonly actionNegated: boolean;
  readonly resource: Matcher;
  readonly resourceNegated: boolean;
}

const compileStatement = (s: PolicyStatement, index: number, values: Map<string, string>): CompiledStatement | undefined => {
  const where = `statement ${s.Sid ? `"${s.Sid}"` : index}`;
  const actionNegated = s.NotAction !== undefined;
  const action = actionMatcher(list((s.Action ?? s.NotAction)!), where);
  const resourceNegated = s.NotResource !== undefined;
  const { match, unresolved } = resourceMatcher(list((s.Resource ?? s.NotResource)!), values, where);
  if (!conditionHolds(s.Condition, values, where)) return undefined;
  if (resourceNegated && unresolved) {
    // Fail closed: an unknown exclusion cannot narrow a Deny nor be trusted to narrow an Allow.
    if (s.Effect === 'Allow') return undefined;
    return { effect: s.Effect, action, actionNegated, resource: () => true, resourceNegated: false };
  }
  return { effect: s.Effect, action, actionNegated, resource: match, resourceNegated };
};

const appliesTo = (s: CompiledStatement, action: string) => s.action(action) !== s.actionNegated;

/**
 * Compiles one or more policy documents (all attached to one principal) for one connection's
 * context. Statements whose conditions fail are dropped here; statements are grouped per IoT action.
 */
export const compilePolicy = (documents: PolicyDocument | readonly PolicyDocument[], context: PolicyContext): CompiledPolicy => {
  const docs = (Array.isArray(documents) ? documents : [documents]) as PolicyDocument[];
  const values = contextValues(context);
  const statements: CompiledStatement[] = [];
  for (const doc of docs) {
    const checked = parsePolicyDocument(doc);
    checked.Statement.forEach((s, i) => {
      const compiled = compileStatement(s, i, values);
      if (compiled) statements.push(compiled);
    });
  }
  const byAction = new Map<string, CompiledStatement[]>();
  for (const a of IOT_ACTIONS) byAction.set(a.toLowerCase(), statements.filter((s) => appliesTo(s, a)));

  const decide = (action: string, resource: string): Decision => {
    const relevant = byAction.get(action.toLowerCase()) ?? statements.filter((s) => appliesTo(s, action));
    let allowed = false;
    for (const s of relevant) {
      if (s.resource(resource) === s.resourceNegated) continue;
      if (s.effect === 'Deny') return 'explicit-deny';
      allowed = true;
    }
    return allowed ? 'allow' : 'implicit-deny';
  };
  return { decide, allows: (action, resource) => decide(action, resource) === 'allow' };
};


export interface PolicyRequest {
  readonly action: string;
  readonly resource: string;
  readonly context: PolicyContext;
}

/** One-off evaluation; the broker compiles once per connection instead. */
export const evaluatePolicy = (documents: PolicyDocument | readonly PolicyDocument[], request: PolicyRequest): Decision =>
  compilePolicy(documents, request.context).decide(request.action, request.resource);

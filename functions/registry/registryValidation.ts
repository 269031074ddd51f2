import { MAX_ATTRIBUTES, MAX_ATTRIBUTES_WITHOUT_TYPE, ATTRIBUTE_VALUE_MAX } from '../../schemas/manifest/fieldRules.ts';
import { parsePolicyDocument, type PolicyDocument } from './policyEvaluator.ts';
import { InvalidRequestException } from './registryErrors.ts';

/**
 * The AWS IoT API's input rules (API reference: CreateThing, AttributePayload, CreateThingGroup,
 * CreatePolicy, UpdateCertificate), checked before any adapter acts so that both adapters refuse the
 * same requests with the same words, and the AWS adapter does not spend a throttled call to learn it.
 */

const NAME = /^[a-zA-Z0-9:_-]{1,128}$/;
const POLICY_NAME = /^[\w+=,.@-]{1,128}$/;
const ATTRIBUTE_NAME = /^[a-zA-Z0-9_.,@/:#-]{1,128}$/;
const ATTRIBUTE_VALUE = /^[a-zA-Z0-9_.,@/:#=[\]-]+$/;
const CERTIFICATE_ID = /^[0-9a-f]{64}$/;
/** AWS IoT: a policy document holds at most 2048 characters, not counting white space. */
export const MAX_POLICY_CHARACTERS = 2048;

const shown = (value: unknown): string => {
  const text = typeof value === 'string' ? value : String(value);
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text);
};

const checkName = (label: string, value: unknown): string => {
  if (typeof value !== 'string' || !NAME.test(value)) {
    throw new InvalidRequestException(`${label} ${shown(value)} is not valid: use 1-128 characters of letters, digits, ":", "_" and "-"`);
  }
  return value;
};

export const checkThingName = (value: unknown): string => checkName('thing name', value);
export const checkGroupName = (value: unknown): string => checkName('thing group name', value);
export const checkThingTypeName = (value: unknown): string => checkName('thing type name', value);

export const checkPolicyName = (value: unknown): string => {
  if (typeof value !== 'string' || !POLICY_NAME.test(value)) {
    throw new InvalidRequestException(`policy name ${shown(value)} is not valid: use 1-128 characters of letters, digits and + = , . @ _ -`);
  }
  return value;
};

export const checkCertificateId = (value: unknown): string => {
  if (typeof value !== 'string' || !CERTIFICATE_ID.test(value)) {
    throw new InvalidRequestException(
      `certificate id ${shown(value)} is not valid: it is the 64-character lowercase hex SHA-256 of the certificate, as createKeysAndCertificate returned it`,
    );
  }
  return value;
};

/**
 * Attributes as AWS stores them: names 1-128 of `a-zA-Z0-9_.,@/:#-`, values 1-800 of
 * `a-zA-Z0-9_.,@/:#=[]-`, at most 3 on a thing without a type and 50 with one. An empty value is
 * refused: AWS reads it as "remove this attribute", which ensureThing does by leaving it out.
 */
export const checkAttributes = (attributes: unknown, thingType: string | undefined): Readonly<Record<string, string>> => {
  if (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes)) {
    throw new InvalidRequestException('attributes must be an object of name → text value: pass {} for a thing without attributes');
  }
  const checked: [string, string][] = [];
  for (const [name, value] of Object.entries(attributes)) {
    if (!ATTRIBUTE_NAME.test(name)) {
      throw new InvalidRequestException(`attribute name ${shown(name)} is not valid: use 1-128 characters of letters, digits and _ . , @ / : # -`);
    }
    // A JavaScript object would take it as its prototype rather than as a key.
    if (name === '__proto__') throw new InvalidRequestException('attribute name "__proto__" is not allowed: choose another name');
    if (typeof value !== 'string') {
      throw new InvalidRequestException(`attribute ${name} is a ${typeof value}, not text: AWS IoT stores attribute values as text, so convert it first`);
    }
    if (value.length === 0) {
      throw new InvalidRequestException(`attribute ${name} is empty: leave it out to remove it from the thing`);
    }
    if (value.length > ATTRIBUTE_VALUE_MAX || !ATTRIBUTE_VALUE.test(value)) {
      throw new InvalidRequestException(
        `attribute ${name} value ${shown(value)} is not valid: use at most ${ATTRIBUTE_VALUE_MAX} characters of letters, digits and _ . , @ / : # = [ ] - (no spaces)`,
      );
    }
    checked.push([name, value]);
  }
  const count = checked.length;
  const limit = thingType === undefined ? MAX_ATTRIBUTES_WITHOUT_TYPE : MAX_ATTRIBUTES;
  if (count > limit) {
    throw new InvalidRequestException(
      thingType === undefined
        ? `a thing without a thing type holds at most ${MAX_ATTRIBUTES_WITHOUT_TYPE} attributes, and ${count} were given: give it a thing type (up to ${MAX_ATTRIBUTES}) or drop attributes`
        : `a thing holds at most ${MAX_ATTRIBUTES} attributes, and ${count} were given: drop attributes`,
    );
  }
  return Object.fromEntries(checked);
};

/** The document in the one form both adapters store and compare: checked, then as compact JSON. */
export const checkPolicyDocument = (document: unknown): { readonly document: PolicyDocument; readonly text: string } => {
  let parsed: PolicyDocument;
  try {
    parsed = parsePolicyDocument(document);
  } catch (error) {
    throw new InvalidRequestException((error as Error).message);
  }
  const text = JSON.stringify(parsed);
  const characters = text.replace(/\s/g, '').length;
  if (characters > MAX_POLICY_CHARACTERS) {
    throw new InvalidRequestException(
      `the policy document has ${characters} characters without white space; AWS IoT allows ${MAX_POLICY_CHARACTERS}: use wildcards or split it into two policies`,
    );
  }
  return { document: parsed, text };
};

/** Two policy documents mean the same when their JSON is equal, whatever the key order or spacing. */
export const samePolicy = (a: unknown, b: unknown): boolean => canonicalJson(a) === canonicalJson(b);

const canonicalJson = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
};

/** Same names and values, whatever the order. */
export const sameAttributes = (a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean => {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && b[k] === a[k]);
};

/** Attributes sorted by name, so stored JSON and responses are stable. */
export const sortedAttributes = (attributes: Readonly<Record<string, string>>): Record<string, string> =>
  Object.fromEntries(Object.entries(attributes).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));

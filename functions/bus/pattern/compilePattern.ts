import { isPlainObject } from './jsonValues.ts';
import { PatternError, childPath, describeValue, indexPath } from './patternError.ts';
import { OPERATORS, compileValueMatcher, type ValueMatcher } from './valueMatchers.ts';

/** A field whose pattern is a value list: it matches when any entry matches. */
export interface LeafNode {
  kind: 'leaf';
  matchers: ValueMatcher[];
}

/** A pattern object: every field must match, and every `$or` group must have a matching branch. */
export interface ObjectNode {
  kind: 'object';
  fields: Array<[key: string, node: LeafNode | ObjectNode]>;
  anyOf: ObjectNode[][];
}

/** Same ceiling as the EventPattern parameter of PutRule: a longer pattern would not deploy to AWS. */
export const MAX_PATTERN_LENGTH = 4096;
/**
 * `$or` multiplies: each group of n branches turns one rule into n. Past this many combinations a rule
 * is rejected as too complex, as EventBridge rejects such rules, rather than slowing every put.
 */
export const MAX_COMBINATIONS = 1000;

const operatorNames: ReadonlySet<string> = new Set(OPERATORS);

/**
 * Event Ruler's rule for when "$or" is the OR primitive rather than a field that happens to be named
 * "$or": its value is an array of at least one object and no object uses an operator name as a key.
 */
const isOrGroup = (value: unknown): value is Array<Record<string, unknown>> =>
  Array.isArray(value) && value.length > 0 && value.every((b) => isPlainObject(b) && !Object.keys(b).some((k) => operatorNames.has(k)));

const compileLeaf = (values: unknown[], path: string): LeafNode => {
  if (values.length === 0) throw new PatternError(path, 'an empty list matches nothing: list at least one value, e.g. ["a"] or [{ "exists": true }]');
  return { kind: 'leaf', matchers: values.map((v, i) => compileValueMatcher(v, indexPath(path, i))) };
};

const compileObject = (spec: Record<string, unknown>, path: string): ObjectNode => {
  const keys = Object.keys(spec);
  if (keys.length === 0) throw new PatternError(path, 'an empty object matches nothing: name at least one field to match');
  const node: ObjectNode = { kind: 'object', fields: [], anyOf: [] };
  for (const key of keys) {
    const value = spec[key];
    const at = childPath(path, key);
    if (key === '$or' && isOrGroup(value)) {
      if (value.length < 2) throw new PatternError(at, '$or needs at least two alternatives: with one, write its fields directly');
      node.anyOf.push(value.map((branch, i) => compileObject(branch, indexPath(at, i))));
    } else if (Array.isArray(value)) {
      node.fields.push([key, compileLeaf(value, at)]);
    } else if (isPlainObject(value)) {
      node.fields.push([key, compileObject(value, at)]);
    } else {
      throw new PatternError(
        at,
        `a field must map to a list of values (e.g. [${JSON.stringify(value ?? null)}]) or to a nested object, got ${describeValue(value)}`,
      );
    }
  }
  return node;
};

/** How many plain AND-rules the pattern expands to once every `$or` is multiplied out. */
const combinations = (node: ObjectNode): number => {
  let total = 1;
  for (const [, child] of node.fields) if (child.kind === 'object') total *= combinations(child);
  for (const group of node.anyOf) total *= group.reduce((sum, branch) => sum + combinations(branch), 0);
  return total;
};

/** Parses and validates a pattern (JSON text or a parsed object) into a tree ready to evaluate. */
export const compilePatternTree = (pattern: unknown): { spec: Record<string, unknown>; tree: ObjectNode } => {
  let spec = pattern;
  if (typeof pattern === 'string') {
    try {
      spec = JSON.parse(pattern) as unknown;
    } catch (error) {
      throw new PatternError('$', `not valid JSON (${(error as Error).message})`);
    }
  }
  let text: string | undefined;
  try {
    text = JSON.stringify(spec);
  } catch (error) {
    throw new PatternError('$', `cannot be written as JSON (${(error as Error).message})`);
  }
  if (!isPlainObject(spec)) throw new PatternError('$', `an event pattern must be a JSON object, got ${describeValue(spec)}`);
  if (text !== undefined && text.length > MAX_PATTERN_LENGTH) {
    throw new PatternError('$', `the pattern is ${text.length} characters; the limit is ${MAX_PATTERN_LENGTH}: split it into several rules`);
  }
  const tree = compileObject(spec, '$');
  const count = combinations(tree);
  if (count > MAX_COMBINATIONS) {
    throw new PatternError('$', `too complex: its $or groups expand to ${count} combinations, the limit is ${MAX_COMBINATIONS}; split it into several rules`);
  }
  return { spec, tree };
};

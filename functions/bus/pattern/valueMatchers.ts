import { inCidr, parseCidr } from './cidr.ts';
import { isPlainObject, isScalar, type Scalar } from './jsonValues.ts';
import { inNumericRange, numbersEqual, parseNumericRange } from './numericRange.ts';
import { PatternError, childPath, describeValue, indexPath } from './patternError.ts';
import { matchesWildcard, parseWildcard } from './wildcard.ts';

/** One entry of a pattern's value list, compiled: either a test on a leaf value or an exists check. */
export type ValueMatcher = { kind: 'test'; test: (value: Scalar) => boolean } | { kind: 'exists'; present: boolean };

export const OPERATORS = ['prefix', 'suffix', 'equals-ignore-case', 'wildcard', 'anything-but', 'numeric', 'exists', 'cidr'] as const;

// Upper then lower folds "ß" and "SS" alike; plain toLowerCase would not.
const fold = (s: string): string => s.toUpperCase().toLowerCase();

const test = (fn: (value: Scalar) => boolean): ValueMatcher => ({ kind: 'test', test: fn });

const requireString = (operand: unknown, path: string, what: string): string => {
  if (typeof operand !== 'string') throw new PatternError(path, `${what} must be a string, got ${describeValue(operand)}`);
  return operand;
};

/** Exact value: strings compare exactly, numbers as numbers, true/false/null as themselves. */
const exact = (expected: Scalar): ValueMatcher =>
  typeof expected === 'number'
    ? test((v) => typeof v === 'number' && numbersEqual(v, expected))
    : test((v) => v === expected);

/** `prefix`/`suffix` take a string or `{ "equals-ignore-case": string }`. */
const affix = (operator: 'prefix' | 'suffix', operand: unknown, path: string): ((s: string) => boolean) => {
  const at = operator === 'prefix' ? (s: string, p: string) => s.startsWith(p) : (s: string, p: string) => s.endsWith(p);
  if (typeof operand === 'string') return (s) => at(s, operand);
  if (isPlainObject(operand)) {
    const keys = Object.keys(operand);
    if (keys.length === 1 && keys[0] === 'equals-ignore-case') {
      const folded = fold(requireString(operand['equals-ignore-case'], childPath(path, 'equals-ignore-case'), 'equals-ignore-case'));
      return (s) => at(fold(s), folded);
    }
  }
  throw new PatternError(path, `${operator} must be a string or { "equals-ignore-case": string }, got ${describeValue(operand)}`);
};

const nonEmptyStringList = (operand: unknown, path: string, what: string): string[] => {
  if (typeof operand === 'string') return [operand];
  if (Array.isArray(operand)) {
    if (operand.length === 0) throw new PatternError(path, `${what} list is empty: list at least one string`);
    return operand.map((item, i) => requireString(item, indexPath(path, i), `each ${what} value`));
  }
  throw new PatternError(path, `${what} must be a string or a list of strings, got ${describeValue(operand)}`);
};

/**
 * `anything-but` matches every leaf value that is not excluded, whatever its type: a number is not the
 * string "zdd", and the string "444" is not the number 444. A missing field never matches.
 */
const anythingBut = (operand: unknown, path: string): ValueMatcher => {
  if (typeof operand === 'string' || typeof operand === 'number') return anythingButValues([operand], path);
  if (Array.isArray(operand)) return anythingButValues(operand, path);
  if (!isPlainObject(operand)) {
    throw new PatternError(path, `anything-but takes a string, a number, a list of strings or of numbers, or one of { prefix | suffix | equals-ignore-case | wildcard }, got ${describeValue(operand)}`);
  }
  const keys = Object.keys(operand);
  if (keys.length !== 1) {
    throw new PatternError(path, `anything-but takes exactly one of prefix, suffix, equals-ignore-case, wildcard; got ${keys.length === 0 ? 'an empty object' : keys.map((k) => `"${k}"`).join(', ')}`);
  }
  const key = keys[0]!;
  const inner = operand[key];
  const innerPath = childPath(path, key);
  const notString = (excluded: (s: string) => boolean) => test((v) => typeof v !== 'string' || !excluded(v));
  switch (key) {
    case 'prefix':
    case 'suffix': {
      // Only a single, non-empty string: an empty one would exclude every string (AWS rejects it too).
      const affixText = requireString(inner, innerPath, `anything-but ${key}`);
      if (affixText === '') throw new PatternError(innerPath, `anything-but ${key} must not be empty`);
      return notString(key === 'prefix' ? (s) => s.startsWith(affixText) : (s) => s.endsWith(affixText));
    }
    case 'equals-ignore-case': {
      const folded = new Set(nonEmptyStringList(inner, innerPath, 'anything-but equals-ignore-case').map(fold));
      return notString((s) => folded.has(fold(s)));
    }
    case 'wildcard': {
      const list = Array.isArray(inner) ? inner : [inner];
      if (list.length === 0) throw new PatternError(innerPath, 'anything-but wildcard list is empty: list at least one pattern');
      const wildcards = list.map((w, i) => parseWildcard(w, Array.isArray(inner) ? indexPath(innerPath, i) : innerPath));
      return notString((s) => wildcards.some((w) => matchesWildcard(w, s)));
    }
    default:
      throw new PatternError(innerPath, `anything-but does not support "${key}": use prefix, suffix, equals-ignore-case or wildcard`);
  }
};

const anythingButValues = (values: unknown[], path: string): ValueMatcher => {
  if (values.length === 0) throw new PatternError(path, 'anything-but list is empty: list at least one value to exclude');
  const allStrings = values.every((v) => typeof v === 'string');
  const allNumbers = values.every((v) => typeof v === 'number' && Number.isFinite(v));
  if (!allStrings && !allNumbers) {
    // Only a list can get here (a single operand was checked to be a string or number already).
    const bad = values.findIndex((v) => typeof v !== typeof values[0] || (typeof v !== 'string' && typeof v !== 'number'));
    throw new PatternError(indexPath(path, Math.max(bad, 0)), 'anything-but lists must hold only strings or only numbers');
  }
  if (allStrings) {
    const excluded = new Set(values);
    return test((v) => !(typeof v === 'string' && excluded.has(v)));
  }
  const excluded = values as number[];
  return test((v) => !(typeof v === 'number' && excluded.some((n) => numbersEqual(v, n))));
};

/** Compiles one operator object such as `{ "prefix": "us-" }`. */
const operator = (spec: Record<string, unknown>, path: string): ValueMatcher => {
  const keys = Object.keys(spec);
  if (keys.length !== 1) {
    throw new PatternError(path, `a matching object holds exactly one operator, got ${keys.length === 0 ? 'an empty object' : keys.map((k) => `"${k}"`).join(', ')}: put each operator in its own object, e.g. [{ "prefix": "a" }, { "suffix": "b" }]`);
  }
  const name = keys[0]!;
  const operand = spec[name];
  const at = childPath(path, name);
  switch (name) {
    case 'prefix':
    case 'suffix': {
      const match = affix(name, operand, at);
      return test((v) => typeof v === 'string' && match(v));
    }
    case 'equals-ignore-case': {
      const folded = fold(requireString(operand, at, 'equals-ignore-case'));
      return test((v) => typeof v === 'string' && fold(v) === folded);
    }
    case 'wildcard': {
      const w = parseWildcard(operand, at);
      return test((v) => typeof v === 'string' && matchesWildcard(w, v));
    }
    case 'anything-but':
      return anythingBut(operand, at);
    case 'numeric': {
      const range = parseNumericRange(operand, at);
      return test((v) => typeof v === 'number' && inNumericRange(range, v));
    }
    case 'exists':
      if (typeof operand !== 'boolean') throw new PatternError(at, `exists must be true or false, got ${describeValue(operand)}`);
      return { kind: 'exists', present: operand };
    case 'cidr': {
      const block = parseCidr(operand, at);
      return test((v) => typeof v === 'string' && inCidr(block, v));
    }
    default:
      throw new PatternError(path, `unknown operator "${name}": use one of ${OPERATORS.join(', ')}`);
  }
};

/** Compiles one entry of a field's value list: a literal or an operator object. */
export const compileValueMatcher = (entry: unknown, path: string): ValueMatcher => {
  if (isScalar(entry)) return exact(entry);
  if (isPlainObject(entry)) return operator(entry, path);
  if (Array.isArray(entry)) throw new PatternError(path, 'nested arrays are not allowed: list values directly, e.g. ["a", "b"]');
  throw new PatternError(path, `${describeValue(entry)} is not a JSON value a pattern can match`);
};

import { PatternError, describeValue, indexPath } from './patternError.ts';

/**
 * EventBridge compares numbers within ±5.0e9 with six digits after the decimal point. Both sides are
 * scaled to integers of millionths before comparing, so 0.1 + 0.2 equals 0.3 here as it does there,
 * and a pattern bound the service would reject is rejected here too.
 */
export const NUMERIC_LIMIT = 5e9;
const SCALE = 1e6;
const scaled = (n: number): number => Math.round(n * SCALE);

type Operator = '=' | '<' | '<=' | '>' | '>=';
const OPERATORS: readonly Operator[] = ['=', '<', '<=', '>', '>='];

interface Bound {
  value: number;
  inclusive: boolean;
}

/** A numeric range parsed from `["=", 5]`, `["<", 10]` or `[">", 0, "<=", 5]`. */
export interface NumericRange {
  lower?: Bound;
  upper?: Bound;
}

const shape = 'numeric takes one comparison like [">", 0] or two that bound a range like [">", 0, "<=", 5]';

export const parseNumericRange = (operand: unknown, path: string): NumericRange => {
  if (!Array.isArray(operand)) throw new PatternError(path, `${shape}, got ${describeValue(operand)}`);
  if (operand.length !== 2 && operand.length !== 4) throw new PatternError(path, `${shape}, got ${operand.length} items`);
  const range: NumericRange = {};
  for (let i = 0; i < operand.length; i += 2) {
    const op: unknown = operand[i];
    const value: unknown = operand[i + 1];
    if (typeof op !== 'string' || !OPERATORS.includes(op as Operator)) {
      throw new PatternError(indexPath(path, i), `unknown numeric operator ${describeValue(op)}: use one of ${OPERATORS.map((o) => `"${o}"`).join(', ')}`);
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new PatternError(indexPath(path, i + 1), `the operand of "${op}" must be a JSON number, got ${describeValue(value)}`);
    }
    if (Math.abs(value) > NUMERIC_LIMIT) {
      throw new PatternError(indexPath(path, i + 1), `${value} is outside the numeric range EventBridge supports (-5.0e9 to 5.0e9)`);
    }
    if (op === '=') {
      if (operand.length !== 2) throw new PatternError(path, '"=" cannot be combined with another comparison: write ["=", n] alone');
      return { lower: { value, inclusive: true }, upper: { value, inclusive: true } };
    }
    const bound = { value, inclusive: op.endsWith('=') };
    if (op.startsWith('>')) {
      if (range.lower) throw new PatternError(path, 'two lower bounds (">" or ">="): a range has at most one lower and one upper bound');
      range.lower = bound;
    } else {
      if (range.upper) throw new PatternError(path, 'two upper bounds ("<" or "<="): a range has at most one lower and one upper bound');
      range.upper = bound;
    }
  }
  const { lower, upper } = range;
  if (lower && upper) {
    const lo = scaled(lower.value);
    const hi = scaled(upper.value);
    if (lo > hi || (lo === hi && !(lower.inclusive && upper.inclusive))) {
      throw new PatternError(path, `the range is empty: the lower bound ${lower.value} must be below the upper bound ${upper.value}`);
    }
  }
  return range;
};

export const inNumericRange = (range: NumericRange, n: number): boolean => {
  const v = scaled(n);
  const { lower, upper } = range;
  if (lower) {
    const lo = scaled(lower.value);
    if (lower.inclusive ? v < lo : v <= lo) return false;
  }
  if (upper) {
    const hi = scaled(upper.value);
    if (upper.inclusive ? v > hi : v >= hi) return false;
  }
  return true;
};

/** Numeric equality as EventBridge does it: 3.018e2 equals 301.8; values beyond the range compare exactly. */
export const numbersEqual = (a: number, b: number): boolean =>
  Math.abs(a) <= NUMERIC_LIMIT && Math.abs(b) <= NUMERIC_LIMIT ? scaled(a) === scaled(b) : a === b;

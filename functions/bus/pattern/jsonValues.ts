/** The JSON values a pattern compares against: everything that is not an object or an array. */
export type Scalar = string | number | boolean | null;

export const isScalar = (v: unknown): v is Scalar =>
  v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));

export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The value of `key` in `context`, or undefined when the context is not an object or lacks the key.
 * Own properties only: an event without "constructor" must not see Object.prototype.constructor.
 */
export const fieldOf = (context: unknown, key: string): unknown =>
  isPlainObject(context) && Object.hasOwn(context, key) ? context[key] : undefined;

/**
 * The leaf values found at a field: a scalar is one value, an array contributes every scalar it holds
 * at any depth (EventBridge flattens nested arrays), objects contribute nothing (exists and every
 * comparison work on leaves only).
 */
export const leafValues = (value: unknown): Scalar[] => {
  if (value === undefined) return [];
  if (isScalar(value)) return [value];
  if (!Array.isArray(value)) return [];
  return flatten(value).filter(isScalar);
};

/**
 * The contexts a nested pattern object is evaluated in. An array (at any depth) yields one context per
 * element, so that all the fields of one pattern object must match inside the SAME element: this is
 * EventBridge's array-consistent matching (Event Ruler's rulesForJSONEvent). An empty array yields a
 * single absent context, so that `exists: false` below it still holds.
 */
export const contextsOf = (value: unknown): unknown[] => {
  if (!Array.isArray(value)) return [value];
  const out = flatten(value);
  return out.length === 0 ? [undefined] : out;
};

/**
 * Elements of nested arrays, depth-first. Iterative, so an absurdly deep event cannot overflow the
 * stack, and each array is visited once, so an in-memory array that contains itself cannot loop.
 */
const flatten = (items: unknown[]): unknown[] => {
  const out: unknown[] = [];
  const seen = new Set<unknown[]>([items]);
  const stack: unknown[] = [...items].reverse();
  while (stack.length > 0) {
    const item = stack.pop();
    if (!Array.isArray(item)) out.push(item);
    else if (!seen.has(item)) {
      seen.add(item);
      for (let i = item.length - 1; i >= 0; i--) stack.push(item[i]);
    }
  }
  return out;
};

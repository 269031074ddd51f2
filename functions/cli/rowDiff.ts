/** One place where two JSON values differ: a dotted path (`attributes.fw`, `values[2]`) and both sides. */
export interface FieldDifference {
  readonly path: string;
  readonly live: unknown;
  readonly rebuilt: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const same = (a: unknown, b: unknown): boolean => {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => same(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((k) => same(a[k], b[k]));
  }
  return false;
};

/**
 * Where a live projection row and its rebuilt twin differ, down to the leaves, so a person sees
 * `status: "bootstrapped" ≠ "provisioned"` rather than two whole rows. Stops after `max` places.
 */
export const diffRows = (live: unknown, rebuilt: unknown, max = 10): FieldDifference[] => {
  const out: FieldDifference[] = [];
  const walk = (a: unknown, b: unknown, path: string) => {
    if (out.length >= max || same(a, b)) return;
    if (isObject(a) && isObject(b)) {
      for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) walk(a[k], b[k], path === '' ? k : `${path}.${k}`);
      return;
    }
    if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
      a.forEach((x, i) => walk(x, b[i], `${path}[${i}]`));
      return;
    }
    out.push({ path: path === '' ? '(row)' : path, live: a, rebuilt: b });
  };
  walk(live, rebuilt, '');
  return out;
};

/**
 * Notification attributes (LwM2M Core 1.1 §5.1.2, 1.2 §5.1.1): what Write-Attributes sets and
 * what decides when an observation notifies. Attributes attach to an object, an instance, a
 * resource or a resource instance; the deepest level that sets one wins, and the Server object's
 * Default Minimum/Maximum Period (/1/x/2, /1/x/3) apply when no level sets pmin/pmax.
 */

export const ATTRIBUTE_NAMES = ['pmin', 'pmax', 'gt', 'lt', 'st', 'epmin', 'epmax', 'con'] as const;
export type AttributeName = (typeof ATTRIBUTE_NAMES)[number];
export type Attributes = Partial<Record<AttributeName, number>>;

/** One Write-Attributes request: a number sets, undefined removes (`?pmin` without a value). */
export type AttributeChanges = ReadonlyMap<AttributeName, number | undefined>;

/** pmin, pmax, epmin, epmax: whole seconds. gt, lt, st: any number. con: 0 or 1 (1.2). */
const INTEGER_SECONDS = new Set<AttributeName>(['pmin', 'pmax', 'epmin', 'epmax']);
/** Only numeric resources can be compared with a threshold. */
const THRESHOLDS = new Set<AttributeName>(['gt', 'lt', 'st']);

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

/**
 * Reads the Uri-Query of a Write-Attributes request. `numericResource` says whether the target is a
 * resource (or resource instance) with a numeric value, the only place gt, lt and st mean anything.
 */
export const parseAttributeQuery = (query: readonly string[], numericResource: boolean): Parsed<AttributeChanges> => {
  if (query.length === 0) return { ok: false, reason: 'Write-Attributes needs at least one attribute in the query (pmin, pmax, gt, lt, st, epmin, epmax, con)' };
  const changes = new Map<AttributeName, number | undefined>();
  for (const item of query) {
    const eq = item.indexOf('=');
    const name = (eq < 0 ? item : item.slice(0, eq)) as AttributeName;
    const text = eq < 0 ? undefined : item.slice(eq + 1);
    if (!(ATTRIBUTE_NAMES as readonly string[]).includes(name)) return { ok: false, reason: `unknown attribute '${name}'; this device takes ${ATTRIBUTE_NAMES.join(', ')}` };
    if (changes.has(name)) return { ok: false, reason: `attribute '${name}' is given twice` };
    if (THRESHOLDS.has(name) && !numericResource) return { ok: false, reason: `'${name}' applies only to a numeric resource, not to this path` };
    if (text === undefined) {
      changes.set(name, undefined);
      continue;
    }
    if (!/^-?\d+(\.\d+)?$/.test(text)) return { ok: false, reason: `${name}=${text} is not a number` };
    const value = Number(text);
    if (INTEGER_SECONDS.has(name) && (!Number.isInteger(value) || value < 0)) return { ok: false, reason: `${name}=${text}: give whole seconds, 0 or more` };
    if (name === 'st' && value <= 0) return { ok: false, reason: `st=${text}: the step must be above 0` };
    if (name === 'con' && value !== 0 && value !== 1) return { ok: false, reason: `con=${text}: give 0 (non-confirmable) or 1 (confirmable)` };
    changes.set(name, value);
  }
  return { ok: true, value: changes };
};

/** The attributes a path ends up with, or a reason to refuse the whole request (LwM2M 1.1 §5.1.2 rules). */
export const applyChanges = (current: Attributes, changes: AttributeChanges): Parsed<Attributes> => {
  const next: Attributes = { ...current };
  for (const [name, value] of changes) {
    if (value === undefined) delete next[name];
    else next[name] = value;
  }
  const { gt, lt, st } = next;
  if (gt !== undefined && lt !== undefined) {
    if (lt >= gt) return { ok: false, reason: `lt (${lt}) must be below gt (${gt})` };
    if (st !== undefined && lt + 2 * st >= gt) return { ok: false, reason: `lt + 2*st (${lt + 2 * st}) must be below gt (${gt})` };
  }
  if (next.epmin !== undefined && next.epmax !== undefined && next.epmax < next.epmin) {
    return { ok: false, reason: `epmax (${next.epmax}) must not be below epmin (${next.epmin})` };
  }
  return { ok: true, value: next };
};

const key = (path: readonly number[]): string => `/${path.join('/')}`;

/** Attributes by path, as the server wrote them. */
export class AttributeStore {
  private readonly byPath = new Map<string, Attributes>();

  at(path: readonly number[]): Attributes {
    return this.byPath.get(key(path)) ?? {};
  }

  set(path: readonly number[], attributes: Attributes): void {
    if (Object.keys(attributes).length === 0) this.byPath.delete(key(path));
    else this.byPath.set(key(path), attributes);
  }

  /**
   * What applies to an observation of `path`: object, then instance, then resource, then resource
   * instance, each overriding the one above, over the server's default periods.
   */
  effective(path: readonly number[], defaults: { readonly pmin?: number | undefined; readonly pmax?: number | undefined }): Attributes {
    const merged: Attributes = {};
    if (defaults.pmin !== undefined) merged.pmin = defaults.pmin;
    if (defaults.pmax !== undefined) merged.pmax = defaults.pmax;
    for (let depth = 1; depth <= path.length; depth++) Object.assign(merged, this.byPath.get(key(path.slice(0, depth))));
    return merged;
  }

  /** Link-format parameters for Discover: `;pmin=10;gt=30`. */
  linkParams(path: readonly number[]): string {
    const attributes = this.at(path);
    return ATTRIBUTE_NAMES.filter((n) => attributes[n] !== undefined)
      .map((n) => `;${n}=${attributes[n]}`)
      .join('');
  }

  clear(): void {
    this.byPath.clear();
  }
}

import { PathError } from './errors.ts';

/**
 * An LwM2M path as its ids, from the root: [] is "/", [3] "/3", [3, 0, 13] "/3/0/13",
 * [3, 0, 6, 1] "/3/0/6/1". Arrays compare and slice easily, and one shape serves every level.
 */
export type Lwm2mPath = readonly number[];

export type PathLevel = 'root' | 'object' | 'instance' | 'resource' | 'resource-instance';

const LEVELS: readonly PathLevel[] = ['root', 'object', 'instance', 'resource', 'resource-instance'];

/** Ids are 16-bit (LwM2M Core 7.1); 65535 is reserved (the "no instance" of an Object Link), so 65534 is the largest usable id. */
export const MAX_ID = 65534;
export const RESERVED_ID = 65535;

export const levelOf = (path: Lwm2mPath): PathLevel => LEVELS[path.length] ?? 'resource-instance';

const LEVEL_TEXT: Record<PathLevel, string> = {
  root: '"/" (the root)',
  object: 'an object path "/o"',
  instance: 'an object instance path "/o/i"',
  resource: 'a resource path "/o/i/r"',
  'resource-instance': 'a resource instance path "/o/i/r/ri"',
};

export interface ParsePathOptions {
  /** The levels the caller accepts; any other is a `wrong-level` PathError. Default: all, root included. */
  levels?: readonly PathLevel[];
}

const checkLevel = (path: Lwm2mPath, input: string, options: ParsePathOptions | undefined): void => {
  const levels = options?.levels;
  if (levels === undefined || levels.includes(levelOf(path))) return;
  throw new PathError('wrong-level', input, `it is ${LEVEL_TEXT[levelOf(path)]}; here it must be ${levels.map((l) => LEVEL_TEXT[l]).join(' or ')}`);
};

const checkId = (id: number, input: string, position: number): void => {
  if (!Number.isInteger(id) || id < 0) {
    throw new PathError('not-a-number', input, `id ${position + 1} (${String(id)}) must be a whole number from 0 to ${MAX_ID}`);
  }
  if (id === RESERVED_ID) throw new PathError('reserved-id', input, `id ${position + 1} is ${RESERVED_ID}, which LwM2M reserves; use 0..${MAX_ID}`);
  if (id > RESERVED_ID) throw new PathError('id-too-large', input, `id ${position + 1} (${id}) is above ${MAX_ID}; LwM2M ids are 16-bit`);
};

/**
 * Reads "/3/0/13" into [3, 0, 13]. Strict, because paths come from operators and APIs and a
 * typo must not silently address something else: a leading "/", no trailing "/", decimal ids
 * without leading zeros or signs, 0..65534, at most four levels. "/" is the root.
 */
export const parsePath = (text: string, options?: ParsePathOptions): number[] => {
  if (typeof text !== 'string') throw new PathError('not-a-string', String(text), 'give the path as a string such as "/3/0/13"');
  if (text === '') throw new PathError('empty', text, 'give at least "/" (the root) or "/o" such as "/3"');
  if (!text.startsWith('/')) throw new PathError('no-leading-slash', text, `paths start at the root: write "/${text}"`);
  if (text === '/') {
    checkLevel([], text, options);
    return [];
  }
  const segments = text.slice(1).split('/');
  if (segments.length > 4) throw new PathError('too-deep', text, 'LwM2M paths have at most four ids: /object/instance/resource/resource-instance');
  const ids = segments.map((segment, i) => {
    if (segment === '') {
      throw new PathError('empty-segment', text, i === segments.length - 1 ? 'remove the trailing "/"' : 'two "/" in a row leave an id out');
    }
    if (!/^\d+$/.test(segment)) throw new PathError('not-a-number', text, `"${segment}" is not a decimal id`);
    if (segment.length > 1 && segment.startsWith('0')) {
      throw new PathError('leading-zero', text, `write "${segment}" as ${String(Number(segment))}: ids have no leading zeros`);
    }
    const id = segment.length > 6 ? Number.MAX_SAFE_INTEGER : Number(segment);
    checkId(id, text, i);
    return id;
  });
  checkLevel(ids, text, options);
  return ids;
};

/** Checks ids given as an array (e.g. from a decoder) by the same rules; returns a copy. */
export const checkPathIds = (path: readonly unknown[], options?: ParsePathOptions): number[] => {
  if (!Array.isArray(path)) throw new PathError('not-a-string', String(path), 'give the path as "/o/i/r" or an array of ids');
  const input = `[${path.map(String).join(', ')}]`;
  if (path.length > 4) throw new PathError('too-deep', input, 'LwM2M paths have at most four ids');
  path.forEach((id, i) => {
    if (typeof id !== 'number') throw new PathError('not-a-number', input, `id ${i + 1} is not a number`);
    checkId(id, input, i);
  });
  const ids = path as number[];
  checkLevel(ids, input, options);
  return [...ids];
};

/** A path given either way, checked: what every function here that takes a path accepts. */
export const toPath = (path: string | Lwm2mPath, options?: ParsePathOptions): number[] =>
  typeof path === 'string' ? parsePath(path, options) : checkPathIds(path, options);

/** The canonical text of a path: [3, 0, 13] is "/3/0/13", [] is "/". Throws PathError for ids no path has. */
export const formatPath = (path: Lwm2mPath): string => `/${checkPathIds(path).join('/')}`;

export const isValidPath = (text: string, options?: ParsePathOptions): boolean => {
  try {
    parsePath(text, options);
    return true;
  } catch {
    return false;
  }
};

/** True when `path` is `prefix` or lies under it ([3, 0, 1] is under [3, 0], [3] and []). */
export const isUnderPath = (path: Lwm2mPath, prefix: Lwm2mPath): boolean =>
  prefix.length <= path.length && prefix.every((id, i) => path[i] === id);

/**
 * The JSONPath subset EventBridge evaluates in InputPath and InputPathsMap: `$`, dot-separated
 * names (letters, digits, `_`, `-`, `/`), array indices `[0]` and wildcards (`.*`, `[*]`).
 */
type Segment = { kind: 'name'; name: string } | { kind: 'index'; index: number } | { kind: 'wildcard' };

export interface CompiledPath {
  readonly text: string;
  /** The value at the path, or `found: false`. A path with a wildcard yields the array of every match. */
  evaluate(value: unknown): { found: true; value: unknown } | { found: false };
}

export class JsonPathError extends Error {
  override name = 'JsonPathError';
}

const NAME = /^[A-Za-z0-9_\-/]+/;

const parse = (text: string): { segments: Segment[]; wildcard: boolean } => {
  if (!text.startsWith('$')) throw new JsonPathError(`"${text}" must start with "$", e.g. "$.detail.data"`);
  const segments: Segment[] = [];
  let rest = text.slice(1);
  while (rest.length > 0) {
    if (rest.startsWith('.*')) {
      segments.push({ kind: 'wildcard' });
      rest = rest.slice(2);
    } else if (rest.startsWith('.')) {
      const name = NAME.exec(rest.slice(1))?.[0];
      if (name === undefined) {
        throw new JsonPathError(`"${text}" has an empty or unsupported name after "." (names are letters, digits, "_", "-" and "/"; EventBridge takes dot notation only)`);
      }
      segments.push({ kind: 'name', name });
      rest = rest.slice(1 + name.length);
    } else if (rest.startsWith('[*]')) {
      segments.push({ kind: 'wildcard' });
      rest = rest.slice(3);
    } else {
      const index = /^\[(\d{1,9})\]/.exec(rest);
      if (!index) throw new JsonPathError(`"${text}" is not a path EventBridge supports at "${rest}": use ".name", "[index]" or "[*]"`);
      segments.push({ kind: 'index', index: Number(index[1]) });
      rest = rest.slice(index[0].length);
    }
  }
  return { segments, wildcard: segments.some((s) => s.kind === 'wildcard') };
};

const children = (value: unknown, segment: Segment): unknown[] => {
  if (segment.kind === 'wildcard') {
    if (Array.isArray(value)) return value as unknown[];
    if (typeof value === 'object' && value !== null) return Object.values(value);
    return [];
  }
  if (segment.kind === 'index') return Array.isArray(value) && segment.index < value.length ? [value[segment.index]] : [];
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.hasOwn(value, segment.name)) {
    return [(value as Record<string, unknown>)[segment.name]];
  }
  return [];
};

/** Compiles a path once; throws JsonPathError naming what is wrong with it. */
export const compileJsonPath = (text: string): CompiledPath => {
  if (typeof text !== 'string') throw new JsonPathError('a path must be a string such as "$.detail"');
  const { segments, wildcard } = parse(text);
  return {
    text,
    evaluate(value) {
      let current: unknown[] = [value];
      for (const segment of segments) current = current.flatMap((v) => children(v, segment));
      if (wildcard) return current.length > 0 ? { found: true, value: current } : { found: false };
      return current.length === 1 ? { found: true, value: current[0] } : { found: false };
    },
  };
};

import { PatternError, describeValue } from './patternError.ts';

/**
 * A wildcard pattern split at its unescaped `*`s. EventBridge's rules: `*` matches any run of
 * characters (including none), `\*` is a literal star, `\\` a literal backslash, a backslash before
 * anything else is an error, and `**` is an error.
 */
export interface Wildcard {
  /** Literal pieces between stars; there is one more piece than there are stars. */
  pieces: string[];
}

export const parseWildcard = (operand: unknown, path: string): Wildcard => {
  if (typeof operand !== 'string') throw new PatternError(path, `wildcard must be a string like "dev-*.png", got ${describeValue(operand)}`);
  const pieces: string[] = [];
  let current = '';
  let previousWasStar = false;
  for (let i = 0; i < operand.length; i++) {
    const c = operand[i]!;
    if (c === '\\') {
      const next = operand[i + 1];
      if (next !== '*' && next !== '\\') {
        throw new PatternError(path, `a backslash may only escape "*" or "\\" (at character ${i + 1} of ${JSON.stringify(operand)})`);
      }
      current += next;
      i++;
      previousWasStar = false;
    } else if (c === '*') {
      if (previousWasStar) throw new PatternError(path, `consecutive wildcard characters "**" are not allowed (at character ${i + 1}): one "*" already matches any run`);
      pieces.push(current);
      current = '';
      previousWasStar = true;
    } else {
      current += c;
      previousWasStar = false;
    }
  }
  pieces.push(current);
  return { pieces };
};

/**
 * Anchored glob match in linear passes: the first piece must be a prefix, the last a suffix, and the
 * middle ones are found leftmost-first in between (leftmost is always safe when `*` is the only
 * metacharacter), so no input can make it backtrack exponentially.
 */
export const matchesWildcard = (w: Wildcard, value: string): boolean => {
  const { pieces } = w;
  if (pieces.length === 1) return value === pieces[0];
  const first = pieces[0]!;
  const last = pieces[pieces.length - 1]!;
  if (value.length < first.length + last.length) return false;
  if (!value.startsWith(first) || !value.endsWith(last)) return false;
  let at = first.length;
  const end = value.length - last.length;
  for (let i = 1; i < pieces.length - 1; i++) {
    const piece = pieces[i]!;
    const found = value.indexOf(piece, at);
    if (found === -1 || found + piece.length > end) return false;
    at = found + piece.length;
  }
  return true;
};

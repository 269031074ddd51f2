import { compilePatternTree } from './pattern/compilePattern.ts';
import { objectMatches } from './pattern/evaluate.ts';

export { PatternError } from './pattern/patternError.ts';
export { MAX_COMBINATIONS, MAX_PATTERN_LENGTH } from './pattern/compilePattern.ts';

/** An EventBridge event pattern compiled once, to test many events. */
export interface EventPatternMatcher {
  /** The pattern as given (parsed, if it was JSON text). */
  readonly pattern: Record<string, unknown>;
  /** True when the event (a parsed JSON object, e.g. an envelope) matches. Never throws. */
  matches(event: unknown): boolean;
}

/**
 * Compiles an EventBridge event pattern (a JSON object or its text). Throws a PatternError naming the
 * offending path when the pattern is invalid, so a bad rule fails when it is subscribed, not on the
 * first event. Matching follows EventBridge content filtering, with array-consistent semantics: the
 * fields of one pattern object must all match inside the same element of an array of objects.
 */
export const compilePattern = (pattern: unknown): EventPatternMatcher => {
  const { spec, tree } = compilePatternTree(pattern);
  return {
    pattern: spec,
    matches: (event: unknown) => objectMatches(tree, event),
  };
};

/** One-off check; compile once with compilePattern when the same pattern tests many events. */
export const matchesPattern = (pattern: unknown, event: unknown): boolean => compilePattern(pattern).matches(event);

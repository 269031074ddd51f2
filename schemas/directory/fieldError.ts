import type { z } from 'zod';

/**
 * One thing wrong with one field of a request: which field (as the caller wrote it, e.g.
 * `attr.kind` or `bbox`), which rule it broke (a stable, machine-readable name), what was wrong,
 * and what to do instead. This is the `errors` extension of our problem+json responses.
 */
export interface FieldError {
  readonly field: string;
  readonly rule: string;
  readonly message: string;
  readonly hint: string;
}

/** What a custom zod issue carries in `params`, so the rule and hint survive to the caller. */
export interface RuleParams {
  readonly rule: string;
  readonly hint: string;
}

/** Stable rule names for zod's built-in issue codes. */
const RULE_OF_CODE: Readonly<Record<string, string>> = {
  invalid_type: 'type',
  too_small: 'min',
  too_big: 'max',
  invalid_value: 'one-of',
  invalid_format: 'format',
  not_multiple_of: 'integer',
  unrecognized_keys: 'unknown-field',
  invalid_union: 'type',
  invalid_key: 'key',
  invalid_element: 'element',
};

const isRuleParams = (p: unknown): p is RuleParams =>
  typeof p === 'object' && p !== null && typeof (p as RuleParams).rule === 'string' && typeof (p as RuleParams).hint === 'string';

/**
 * zod issues to field errors. `fieldOf` names the field the way the caller wrote it; `hintOf`
 * gives the generic "how to write this field" advice for built-in checks that carry no hint.
 */
export const fieldErrorsFromZod = (
  error: z.ZodError,
  fieldOf: (path: readonly PropertyKey[]) => string,
  hintOf: (field: string, path: readonly PropertyKey[]) => string,
  /** How a built-in issue's message names the spot; finer than the field (e.g. "bbox maxLat"). */
  labelOf: (path: readonly PropertyKey[]) => string = fieldOf,
): FieldError[] =>
  error.issues.flatMap((issue): FieldError[] => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => {
        const path = [...issue.path, key];
        return { field: fieldOf(path), rule: 'unknown-field', message: `${fieldOf(path)} is not a search field.`, hint: hintOf(fieldOf(path), path) };
      });
    }
    const field = fieldOf(issue.path);
    const params = issue.code === 'custom' ? (issue.params as unknown) : undefined;
    if (isRuleParams(params)) return [{ field, rule: params.rule, message: issue.message, hint: params.hint }];
    return [{ field, rule: RULE_OF_CODE[issue.code] ?? issue.code, message: `${labelOf(issue.path)}: ${issue.message}`, hint: hintOf(field, issue.path) }];
  });

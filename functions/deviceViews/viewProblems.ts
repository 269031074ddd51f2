import type { FieldError } from '../../schemas/directory/fieldError.ts';
import type { Problem } from '../directory/problemDetails.ts';

/** 400 for a request whose path or query breaks a rule; `errors` names each parameter and rule. */
export const invalidParametersProblem = (errors: readonly FieldError[], instance: string): Problem => ({
  type: '/problems/invalid-parameters',
  title: 'The request has invalid parameters',
  status: 400,
  detail:
    errors.length === 1
      ? `${errors[0]?.message ?? ''} ${errors[0]?.hint ?? ''}`.trim()
      : `${errors.length} parameters are wrong: ${[...new Set(errors.map((e) => e.field))].join(', ')}. Each entry of "errors" says what to change.`,
  instance,
  errors,
});

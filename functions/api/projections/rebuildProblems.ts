import type { FieldError } from '../../../schemas/directory/fieldError.ts';
import type { Problem } from '../../directory/problemDetails.ts';

/** The 400 both rebuild routes (embedded and AWS) answer for a query they cannot use; `errors` names each field. */
export const invalidRebuildRequest = (errors: readonly FieldError[], instance: string): Problem => ({
  type: '/problems/invalid-parameters',
  title: 'The rebuild request is not valid',
  status: 400,
  detail: errors.map((e) => `${e.message} ${e.hint}`).join(' '),
  instance,
  errors,
});

/** The 404 for a name no projection has; `known` lists what may be asked for instead. */
export const projectionNotFound = (name: string, known: string, instance: string): Problem => ({
  type: '/problems/projection-not-found',
  title: 'No such projection',
  status: 404,
  detail: `No projection is named ${JSON.stringify(name.slice(0, 80))}. The projections are ${known}.`,
  instance,
});

import { expect } from 'vitest';
import { SenmlError } from '../../schemas/senml/index.ts';
import type { SenmlErrorCode } from '../../schemas/senml/index.ts';

/** Runs `fn`, asserts it throws a SenmlError with `code` (and record index when given), returns it. */
export const expectSenmlError = (fn: () => unknown, code: SenmlErrorCode, record?: number): SenmlError => {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, 'expected a SenmlError').toBeInstanceOf(SenmlError);
  const error = thrown as SenmlError;
  expect({ code: error.code, message: error.message }).toMatchObject({ code });
  if (record !== undefined) expect(error.record).toBe(record);
  return error;
};

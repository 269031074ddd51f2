import { SenmlError } from './errors.ts';
import type { SenmlErrorCode } from './errors.ts';

/**
 * Runs a decode step so that nothing but a SenmlError leaves it: an unexpected throw from a
 * library (a stack overflow, a bug on odd input) becomes `fallback` with the original message.
 */
export const guard = <T>(fallback: SenmlErrorCode, what: string, step: () => T): T => {
  try {
    return step();
  } catch (e) {
    if (e instanceof SenmlError) throw e;
    const reason = e instanceof Error ? e.message : String(e);
    throw new SenmlError(fallback, `${what}: ${reason}`);
  }
};

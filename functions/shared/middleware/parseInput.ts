import type { MiddlewareObj } from '@middy/core';
import type { z } from 'zod';

/** Input at a trust boundary did not match its contract; `issues` say where and what. */
export class InputValidationError extends Error {
  override name = 'InputValidationError';
  constructor(
    readonly boundary: string,
    readonly issues: readonly { path: string; message: string }[],
  ) {
    super(`Invalid ${boundary}: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`);
  }
}

export const describeIssues = (error: z.ZodError) =>
  error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));

/**
 * Validates the handler's input with a zod schema (STYLE.md 5: at every trust boundary and only
 * there) and replaces it with the parsed value, so the handler body sees typed, clean data.
 */
export const parseInput = <S extends z.ZodType>(schema: S, boundary: string): MiddlewareObj<z.infer<S>> => ({
  name: 'parseInput',
  before: (request) => {
    const parsed = schema.safeParse(request.event);
    if (!parsed.success) throw new InputValidationError(boundary, describeIssues(parsed.error));
    request.event = parsed.data;
  },
});

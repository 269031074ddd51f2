import { z } from 'zod';
import { PROJECTION_TABLES, type ProjectionTableName } from '../projections/projectionTableDesign.ts';

/** One projection table's rebuild function, as the API starts it and points at its log. */
export const RebuildFunction = z.strictObject({
  functionName: z.string().min(1).max(140),
  logGroup: z.string().min(1).max(512),
});
export type RebuildFunction = z.infer<typeof RebuildFunction>;

export type RebuildFunctions = Readonly<Record<ProjectionTableName, RebuildFunction>>;

const tableKeys = Object.keys(PROJECTION_TABLES) as [ProjectionTableName, ...ProjectionTableName[]];

// z.record over an enum requires every key: a table left out fails the cold start, not one request.
const RebuildFunctionsSchema = z.record(z.enum(tableKeys), RebuildFunction);

/**
 * The API Lambda's map of rebuild functions (LAMBDA_ENV.rebuildFunctions, set by the CDK app from
 * infra/cdk/constructs/projectionRebuild.ts): `{ "<table key>": { functionName, logGroup } }` for
 * every projection table.
 */
export const parseRebuildFunctions = (json: string, variable: string): RebuildFunctions => {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new Error(`${variable} is not JSON: the CDK app (infra/cdk/constructs/fleetApi.ts) sets it to {"<table key>": {"functionName", "logGroup"}}; deploy again.`);
  }
  const parsed = RebuildFunctionsSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(map)'}: ${i.message}`).join('; ');
    throw new Error(`${variable} does not name a rebuild function for each of ${tableKeys.join(', ')} (${problems}): the CDK app (infra/cdk/constructs/fleetApi.ts) sets it; deploy again.`);
  }
  return parsed.data;
};

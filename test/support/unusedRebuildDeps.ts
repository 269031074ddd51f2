import type { AwsRebuildDeps } from '../../functions/lambda/awsApi.ts';
import { PROJECTION_TABLES, type ProjectionTableName } from '../../functions/projections/projectionTableDesign.ts';

/**
 * The AWS API's rebuild side for tests of other routes: every table has a function name, and
 * starting one fails the test that did it (test/lambda/awsApiRebuild.int.test.ts tests the route).
 */
export const unusedRebuildDeps = (): AwsRebuildDeps => ({
  functions: Object.fromEntries(
    (Object.keys(PROJECTION_TABLES) as ProjectionTableName[]).map((t) => [t, { functionName: `unused-rebuild-${t}`, logGroup: `/aws/lambda/unused-rebuild-${t}` }]),
  ) as AwsRebuildDeps['functions'],
  invokeAsync: (functionName) => Promise.reject(new Error(`this test does not start rebuilds (asked to invoke ${functionName})`)),
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAMBDA_ENV } from '../../functions/lambda/env.ts';
import type { ProjectionTableName } from '../../functions/projections/projectionTableDesign.ts';
import { PROJECTION_TABLES } from '../../functions/projections/projectionTableDesign.ts';
import { REBUILD_ASYNC_RETRIES, REBUILD_SELF_ACTIONS, REBUILD_TABLE_ACTIONS, rebuildOutputId } from '../../infra/cdk/constructs/projectionRebuild.ts';
import { allowedActions, synthesizeFleet, type SynthesizedFleet } from './synthesizedFleet.ts';
import { asList, resolvePseudo } from './templateValues.ts';

// The projection backfill as synthesized: one function per projection table, each reading the
// event store, writing its own table only and invoking only itself, named by a stack output.
let fleet: SynthesizedFleet;
beforeAll(() => {
  fleet = synthesizeFleet();
}, 120_000);
afterAll(() => fleet?.remove());

const NAMES = Object.keys(PROJECTION_TABLES) as ProjectionTableName[];
const resourcesOf = (s: { Resource?: unknown }) => asList(s.Resource as unknown[]).map((r) => JSON.stringify(resolvePseudo(r)));

describe('projection rebuild functions, as synthesized', () => {
  it('has one function per projection table, configured for that table and the event store', () => {
    const functions = fleet.stack.projectionRebuild.functions;
    expect(Object.keys(functions).sort()).toEqual([...NAMES].sort());
    for (const name of NAMES) {
      const props = fleet.resources[fleet.logicalId(functions[name].fn)]!.Properties!;
      const env = (props.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(env[LAMBDA_ENV.rebuildProjection]).toBe(name);
      expect(env[LAMBDA_ENV.rebuildTable]).toEqual({ Ref: fleet.logicalId(fleet.stack.projections.tables[name]) });
      expect(env[LAMBDA_ENV.eventStoreTable]).toEqual({ Ref: fleet.logicalId(fleet.stack.eventStore.table) });
      expect(props.Timeout).toBe(900);
    }
  });

  it('lets each function read the event store and write only its own projection table', () => {
    const store = fleet.logicalId(fleet.stack.eventStore.table);
    for (const name of NAMES) {
      const own = fleet.logicalId(fleet.stack.projections.tables[name]);
      const others = NAMES.filter((n) => n !== name).map((n) => fleet.logicalId(fleet.stack.projections.tables[n]));
      const statements = fleet.statementsOf(fleet.stack.projectionRebuild.functions[name].role);
      const data = statements.filter((s) => asList(s.Action).some((a) => a.startsWith('dynamodb:')));
      // No other projection table appears in any statement.
      for (const s of statements) for (const r of resourcesOf(s)) for (const other of others) expect(r).not.toContain(`"${other}"`);
      const onOwn = data.filter((s) => resourcesOf(s).some((r) => r.includes(`"${own}"`)));
      expect(onOwn).toHaveLength(1);
      expect(asList(onOwn[0]!.Action).sort()).toEqual([...REBUILD_TABLE_ACTIONS].sort());
      expect(resourcesOf(onOwn[0]!)).toHaveLength(1);
      expect(resourcesOf(onOwn[0]!)[0]).not.toContain('/index/');
      // On the store: reads only (GetItem of the meta item, Query of the day index).
      const onStore = data.filter((s) => resourcesOf(s).some((r) => r.includes(`"${store}"`)));
      expect(allowedActions(onStore)).toEqual(['dynamodb:GetItem', 'dynamodb:Query']);
      expect(data.every((s) => resourcesOf(s).every((r) => r.includes(`"${own}"`) || r.includes(`"${store}"`)))).toBe(true);
      // Nothing but its logs, those tables and starting itself.
      expect(allowedActions(statements).filter((a) => !a.startsWith('dynamodb:') && !a.startsWith('logs:'))).toEqual([...REBUILD_SELF_ACTIONS]);
      expect(allowedActions(statements).every((a) => !a.includes('*'))).toBe(true);
    }
  });

  it('lets each function invoke itself and no other function', () => {
    for (const name of NAMES) {
      const own = fleet.logicalId(fleet.stack.projectionRebuild.functions[name].fn);
      const onLambda = fleet.statementsOf(fleet.stack.projectionRebuild.functions[name].role).filter((s) => asList(s.Action).some((a) => a.startsWith('lambda:')));
      // One statement, one action, one resource: the function's own unqualified ARN (no versions, no aliases).
      expect(onLambda.map((s) => ({ effect: s.Effect, actions: asList(s.Action), resources: asList(s.Resource as unknown[]) }))).toEqual([
        { effect: 'Allow', actions: [...REBUILD_SELF_ACTIONS], resources: [{ 'Fn::GetAtt': [own, 'Arn'] }] },
      ]);
    }
  });

  it('lets each function’s chain of self-invocations run past Lambda’s loop detection, and retries a failed link twice', () => {
    const configs = fleet.ofType('AWS::Lambda::EventInvokeConfig').map(([, c]) => c.Properties!);
    for (const name of NAMES) {
      const fn = fleet.stack.projectionRebuild.functions[name].fn;
      expect(fleet.resources[fleet.logicalId(fn)]!.Properties!.RecursiveLoop).toBe('Allow');
      const config = configs.filter((c) => JSON.stringify(c.FunctionName) === JSON.stringify({ Ref: fleet.logicalId(fn) }));
      expect(config).toHaveLength(1);
      expect(config[0]).toMatchObject({ MaximumRetryAttempts: REBUILD_ASYNC_RETRIES, MaximumEventAgeInSeconds: 6 * 3600, Qualifier: '$LATEST' });
      expect(config[0]!.DestinationConfig).toBeUndefined();
    }
    // No other function of the fleet is allowed to loop.
    const allowed = fleet.ofType('AWS::Lambda::Function').filter(([, f]) => f.Properties!.RecursiveLoop !== undefined);
    expect(allowed.map(([id]) => id).sort()).toEqual(NAMES.map((n) => fleet.logicalId(fleet.stack.projectionRebuild.functions[n].fn)).sort());
  });

  it('names every function in a stack output the operator reads before invoking', () => {
    const outputs = (fleet.template.toJSON() as { Outputs: Record<string, { Value: unknown }> }).Outputs;
    for (const name of NAMES) {
      const output = outputs[rebuildOutputId(name)];
      expect(output?.Value).toEqual({ Ref: fleet.logicalId(fleet.stack.projectionRebuild.functions[name].fn) });
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECTION_TABLES } from '../../functions/projections/projectionTableDesign.ts';
import { allowedActions, synthesizeFleet, type SynthesizedFleet } from './synthesizedFleet.ts';
import { asList, resolvePseudo } from './templateValues.ts';

// Device control in the synthesized stack: the sessions and audit tables with their indexes, the
// expiry schedule, and exactly the grants the API, the bridge Lambda and the sweep need.
let fleet: SynthesizedFleet;
beforeAll(() => {
  fleet = synthesizeFleet();
}, 120_000);
afterAll(() => fleet?.remove());

/** A statement's resources as text, with CloudFormation references flattened. */
const resourcesOf = (s: { Resource?: unknown }) => asList(s.Resource as unknown[]).map((r) => JSON.stringify(resolvePseudo(r)));
const refOf = (construct: { node: { defaultChild?: unknown } }) => fleet.logicalId(construct);

describe('device control on AWS, as synthesized', () => {
  it('has the device-sessions and command-audit tables with the indexes their adapters query', () => {
    const { deviceSessions, commandAudit } = fleet.stack.projections.tables;
    const indexes = (table: typeof deviceSessions) =>
      (fleet.resources[refOf(table)]!.Properties!.GlobalSecondaryIndexes as { IndexName: string; KeySchema: { AttributeName: string; KeyType: string }[] }[]).map((i) => [
        i.IndexName,
        ...i.KeySchema.map((k) => k.AttributeName),
      ]);
    expect(indexes(deviceSessions)).toEqual([['byBridge', 'heldBy', 'pk']]);
    expect(indexes(commandAudit)).toEqual(PROJECTION_TABLES.commandAudit.indexes.map((i) => [i.indexName, i.partitionKey, i.sortKey]));
    expect(fleet.resources[refOf(commandAudit)]!.Properties!.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
  });

  it('runs the expiry sweep every minute, with retries and a dead-letter queue', () => {
    const rule = fleet.resources[refOf(fleet.stack.commandExpiry.rule)]!.Properties!;
    expect(rule.ScheduleExpression).toBe('rate(1 minute)');
    const targets = rule.Targets as { Arn: unknown; DeadLetterConfig?: unknown; RetryPolicy?: { MaximumRetryAttempts: number } }[];
    expect(targets).toHaveLength(1);
    expect(JSON.stringify(targets[0]!.Arn)).toContain(refOf(fleet.stack.commandExpiry.sweeper.fn));
    expect(JSON.stringify(targets[0]!.DeadLetterConfig)).toContain(refOf(fleet.stack.commandExpiry.deadLetters));
    expect(targets[0]!.RetryPolicy?.MaximumRetryAttempts).toBe(2);
  });

  it('lets the sweep read only the open-commands index and the event store', () => {
    const statements = fleet.statementsOf(fleet.stack.commandExpiry.sweeper.role).filter((s) => asList(s.Action).some((a) => a.startsWith('dynamodb:')));
    const audit = refOf(fleet.stack.projections.tables.commandAudit);
    const onAudit = statements.filter((s) => resourcesOf(s).some((r) => r.includes(audit)));
    expect(onAudit).toHaveLength(1);
    expect(asList(onAudit[0]!.Action)).toEqual(['dynamodb:Query']);
    expect(resourcesOf(onAudit[0]!)).toHaveLength(1);
    expect(resourcesOf(onAudit[0]!)[0]).toContain('/index/openByExpiry');
    const store = refOf(fleet.stack.eventStore.table);
    expect(statements.every((s) => resourcesOf(s).every((r) => r.includes(store) || r.includes(audit)))).toBe(true);
  });

  it('lets the API publish on cmd/lwm2m/*/req/* only, and the bridge Lambda query only the sessions byBridge index', () => {
    const api = fleet.statementsOf(fleet.stack.api.handler.role);
    const publish = api.filter((s) => asList(s.Action).includes('iot:Publish'));
    expect(publish).toHaveLength(1);
    expect(asList(publish[0]!.Action)).toEqual(['iot:Publish']);
    expect(resourcesOf(publish[0]!)).toHaveLength(1);
    expect(resourcesOf(publish[0]!)[0]).toMatch(/:topic\/cmd\/lwm2m\/\*\/req\/\*"/);
    // Besides the registry reads deprovisioning needs: the endpoint look-up the publisher makes once.
    expect(allowedActions(api)).toEqual(expect.arrayContaining(['iot:DescribeEndpoint', 'iot:Publish']));
    expect(allowedActions(api).filter((a) => a.startsWith('iot:') && !a.startsWith('iot:Describe') && !a.startsWith('iot:List'))).toEqual(['iot:Publish']);

    const sessions = refOf(fleet.stack.projections.tables.deviceSessions);
    const bridge = fleet.statementsOf(fleet.stack.bridgeTraffic.bridgeMessages.role).filter((s) => resourcesOf(s).some((r) => r.includes(sessions)));
    expect(bridge.map((s) => [asList(s.Action), resourcesOf(s).map((r) => r.includes('/index/byBridge'))])).toEqual([[['dynamodb:Query'], [true]]]);
  });
});

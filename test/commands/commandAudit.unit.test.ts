import { describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../events/catalog/index.ts';
import type { NewEvent } from '../../events/envelope.ts';
import { commandAuditProjection, type CommandAuditRow } from '../../events/projections/commandAudit.ts';
import { foldProjection } from '../../events/projections/projection.ts';
import { auditLines } from '../../functions/commands/auditExport.ts';
import { commandEvent } from '../../functions/commands/commandEvents.ts';

const system = { kind: 'system', id: 'commands' } as const;
let position = 0;
const at = (e: NewEvent, recordedAt: string, streamId = 'command-c1'): DomainEvent => ({ ...e, streamId, streamPosition: ++position, recordedAt }) as DomainEvent;

const lifecycle = (): DomainEvent[] => [
  at(commandEvent('CommandRequested', { commandId: 'c1', thingName: 'meter-1', operation: 'read', path: '/3303/0/5700', expiresAt: '2026-03-01T10:01:00.000Z' }, 'c1:requested', { kind: 'user', id: 'ada', role: 'operator' }), '2026-03-01T10:00:00.000Z'),
  at(commandEvent('CommandPublished', { commandId: 'c1', thingName: 'meter-1', bridgeId: 'b1', queueMode: true, topic: 'cmd/lwm2m/meter-1/req/c1' }, 'c1:published', system), '2026-03-01T10:00:00.000Z'),
  at(commandEvent('CommandQueued', { commandId: 'c1', thingName: 'meter-1', bridgeId: 'b1' }, 'c1:queued', system), '2026-03-01T10:00:00.100Z'),
  at(commandEvent('CommandSucceeded', { commandId: 'c1', thingName: 'meter-1', lwm2mCode: '2.05', latencyMs: 900 }, 'c1:succeeded', system), '2026-03-01T10:00:00.900Z'),
];

describe('the command-audit projection', () => {
  it('tells who did what to which device, when, and how it ended', () => {
    const row = foldProjection(commandAuditProjection, lifecycle()).get('c1');
    expect(row).toMatchObject({
      commandId: 'c1',
      thingName: 'meter-1',
      operation: 'read',
      path: '/3303/0/5700',
      operator: 'ada',
      role: 'operator',
      requestedAt: '2026-03-01T10:00:00.000Z',
      status: 'succeeded',
      open: false,
      bridgeId: 'b1',
      queueMode: true,
      lwm2mCode: '2.05',
      latencyMs: 900,
      endedAt: '2026-03-01T10:00:00.900Z',
      streamId: 'command-c1',
    });
  });

  it('never moves a command back or out of its final state', () => {
    const late = [
      at(commandEvent('CommandDispatched', { commandId: 'c1', thingName: 'meter-1', bridgeId: 'b1' }, 'c1:dispatched', system), '2026-03-01T10:00:01.000Z'),
      at(commandEvent('CommandTimedOut', { commandId: 'c1', thingName: 'meter-1', afterMs: 61_000 }, 'c1:timed-out', system), '2026-03-01T10:01:01.000Z'),
    ];
    expect(foldProjection(commandAuditProjection, [...lifecycle(), ...late]).get('c1')).toMatchObject({ status: 'succeeded', lwm2mCode: '2.05', endedAt: '2026-03-01T10:00:00.900Z' });
    const [requested, published, queued] = lifecycle();
    const outOfOrder = at(commandEvent('CommandQueued', { commandId: 'c1', thingName: 'meter-1', bridgeId: 'b1' }, 'c1:queued-again', system), '2026-03-01T10:00:00.200Z');
    const dispatched = at(commandEvent('CommandDispatched', { commandId: 'c1', thingName: 'meter-1', bridgeId: 'b1' }, 'c1:dispatched', system), '2026-03-01T10:00:00.150Z');
    expect(foldProjection(commandAuditProjection, [requested!, published!, queued!, dispatched, outOfOrder]).get('c1')).toMatchObject({ status: 'dispatched', open: true });
  });

  it('audits an alarm acknowledgement as an operator action', () => {
    const ack = at(commandEvent('AlarmAcknowledged', { thingName: 'meter-1', alarmId: 'overheat', commandId: 'a1', note: 'crew sent' }, 'a1:acknowledged', { kind: 'user', id: 'bo', role: 'admin' }), '2026-03-02T08:00:00.000Z', 'device-meter-1');
    expect(foldProjection(commandAuditProjection, [ack]).get('a1')).toMatchObject({ operation: 'acknowledge-alarm', alarmId: 'overheat', operator: 'bo', status: 'succeeded', detail: 'crew sent', streamId: 'device-meter-1' });
  });
});

describe('the audit export', () => {
  const row = (extra: Partial<CommandAuditRow>): CommandAuditRow => ({
    commandId: 'c1',
    thingName: 'meter-1',
    operation: 'execute',
    path: '/3/0/4',
    operator: 'ada',
    operatorKind: 'user',
    requestedAt: '2026-03-01T10:00:00.000Z',
    status: 'failed',
    open: false,
    streamId: 'command-c1',
    streamPosition: 1,
    ...extra,
  });

  it('writes CSV with a header, RFC 4180 quoting, and formulas defused', () => {
    const lines = [...auditLines([row({ detail: 'said "no", twice\nthen stopped', operator: '=HYPERLINK("http://x")', latencyMs: 12 })], 'csv')];
    expect(lines[0]).toBe('commandId,requestedAt,operator,role,thingName,operation,path,alarmId,status,lwm2mCode,latencyMs,endedAt,bridgeId,detail\r\n');
    expect(lines[1]).toBe(`c1,2026-03-01T10:00:00.000Z,"'=HYPERLINK(""http://x"")",,meter-1,execute,/3/0/4,,failed,,12,,,"said ""no"", twice\nthen stopped"\r\n`);
  });

  it('writes NDJSON, one object per line without empty fields', () => {
    const lines = [...auditLines([row({}), row({ commandId: 'c2', lwm2mCode: '4.04' })], 'ndjson')];
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[1]!)).toEqual({ commandId: 'c2', requestedAt: '2026-03-01T10:00:00.000Z', operator: 'ada', thingName: 'meter-1', operation: 'execute', path: '/3/0/4', status: 'failed', lwm2mCode: '4.04' });
  });
});

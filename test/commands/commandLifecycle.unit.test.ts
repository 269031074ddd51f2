import { describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../events/catalog/index.ts';
import type { NewEvent } from '../../events/envelope.ts';
import { commandEvent } from '../../functions/commands/commandEvents.ts';
import { commandStateOf, decideAnswer, decideExpiry, type AnswerSender, type CommandState } from '../../functions/commands/commandLifecycle.ts';
import type { CommandResponseMessage } from '../../schemas/bridge/commandMessages.ts';

const T0 = '2026-03-01T10:00:00.000Z';
const operator = { kind: 'user', id: 'ada@example.com', role: 'operator' } as const;
const system = { kind: 'system', id: 'commands' } as const;

/** Stores events as the store would: positions and recorded times. */
const stored = (events: readonly NewEvent[], recordedAt = T0): DomainEvent[] =>
  events.map((e, i) => ({ ...e, streamId: 'command-c1', streamPosition: i + 1, recordedAt }) as DomainEvent);

const requested = (expiresAt = '2026-03-01T10:01:00.000Z') =>
  commandEvent('CommandRequested', { commandId: 'c1', thingName: 'meter-1', operation: 'read', path: '/3303/0/5700', expiresAt }, 'c1:requested', operator);
const published = commandEvent('CommandPublished', { commandId: 'c1', thingName: 'meter-1', bridgeId: 'b1', queueMode: false, topic: 'cmd/lwm2m/meter-1/req/c1' }, 'c1:published', system);

const stateOf = (...events: NewEvent[]): CommandState | undefined => commandStateOf(stored(events), events.length);

const answer = (m: Partial<CommandResponseMessage> = {}): CommandResponseMessage => ({ commandId: 'c1', bridgeId: 'b1', status: 'succeeded', at: T0, ...m });
const fromB1: AnswerSender = { kind: 'bridge', bridgeId: 'b1' };
const at = (ms: number) => new Date(Date.parse(T0) + ms);
const decide = (state: CommandState | undefined, message: CommandResponseMessage, sender: AnswerSender = fromB1, topicThing = 'meter-1') =>
  decideAnswer(state, { topicThing, topicCommandId: 'c1', message, sender, receivedAt: at(250) });

describe('answers from bridges', () => {
  it('turns a success into CommandSucceeded with the values, the default code for a read, and the latency from the request', () => {
    const values = [{ path: '/3303/0/5700', value: { kind: 'number' as const, v: 21.5 } }];
    const d = decide(stateOf(requested(), published), answer({ values }));
    expect(d.kind).toBe('apply');
    if (d.kind !== 'apply') return;
    expect(d.events).toHaveLength(1);
    expect(d.events[0]).toMatchObject({ eventId: 'c1:succeeded', type: 'CommandSucceeded', actor: { kind: 'system', id: 'bridge:b1' }, data: { lwm2mCode: '2.05', latencyMs: 250, result: { values } } });
  });

  it('records queued and dispatched before the final answer', () => {
    expect(decide(stateOf(requested(), published), answer({ status: 'queued' }))).toMatchObject({ kind: 'apply', events: [{ type: 'CommandQueued', data: { bridgeId: 'b1' } }] });
    expect(decide(stateOf(requested(), published), answer({ status: 'dispatched' }))).toMatchObject({ kind: 'apply', events: [{ type: 'CommandDispatched' }] });
  });

  it('turns a failure into CommandFailed with the LwM2M code, and refuses a failure without one', () => {
    expect(decide(stateOf(requested(), published), answer({ status: 'failed', lwm2mCode: '4.04', message: 'Not Found' }))).toMatchObject({
      kind: 'apply',
      events: [{ type: 'CommandFailed', data: { lwm2mCode: '4.04', message: 'Not Found', latencyMs: 250 } }],
    });
    expect(decide(stateOf(requested(), published), answer({ status: 'failed' }))).toMatchObject({ kind: 'reject', reason: expect.stringContaining('must carry lwm2mCode') as unknown });
  });

  it('refuses a code that contradicts the status', () => {
    expect(decide(stateOf(requested(), published), answer({ status: 'succeeded', lwm2mCode: '4.05' }))).toMatchObject({ kind: 'reject', reason: expect.stringContaining('2.xx') as unknown });
    expect(decide(stateOf(requested(), published), answer({ status: 'failed', lwm2mCode: '2.05' }))).toMatchObject({ kind: 'reject', reason: expect.stringContaining('send "succeeded"') as unknown });
  });

  it('treats a redelivered answer as a duplicate, not a second fact', () => {
    const succeeded = commandEvent('CommandSucceeded', { commandId: 'c1', thingName: 'meter-1', lwm2mCode: '2.05', latencyMs: 10 }, 'c1:succeeded', system);
    expect(decide(stateOf(requested(), published, succeeded), answer())).toEqual({ kind: 'duplicate' });
  });

  it('refuses a different answer after the command ended, naming how it ended', () => {
    const timedOut = commandEvent('CommandTimedOut', { commandId: 'c1', thingName: 'meter-1', afterMs: 60_000 }, 'c1:timed-out', system);
    const d = decide(stateOf(requested(), published, timedOut), answer());
    expect(d).toMatchObject({ kind: 'reject', reason: expect.stringMatching(/already ended \(timed-out/) as unknown });
  });

  it('refuses answers for unknown commands, from bridges that were not asked, and on another device’s topic', () => {
    expect(decide(undefined, answer())).toMatchObject({ kind: 'reject', reason: expect.stringContaining('no command c1 was ever requested') as unknown });
    expect(decide(stateOf(requested(), published), answer({ bridgeId: 'b2' }), { kind: 'bridge', bridgeId: 'b2' })).toMatchObject({
      kind: 'reject',
      reason: expect.stringContaining('bridge b2 was not asked: command c1 went to bridge b1') as unknown,
    });
    expect(decide(stateOf(requested(), published), answer({ bridgeId: 'b1' }), { kind: 'bridge', bridgeId: 'b2' })).toMatchObject({ kind: 'reject', reason: expect.stringContaining('claims to come from bridge b1') as unknown });
    expect(decide(stateOf(requested(), published), answer(), fromB1, 'meter-2')).toMatchObject({ kind: 'reject', reason: expect.stringContaining('was sent to meter-1, not to meter-2') as unknown });
    const ignored = commandEvent('CommandIgnored', { commandId: 'c1', thingName: 'meter-1', reason: 'no bridge holds meter-1' }, 'c1:ignored', system);
    expect(decide(stateOf(requested(), ignored), answer())).toMatchObject({ kind: 'reject', reason: expect.stringContaining('sent to no bridge') as unknown });
  });

  it('accepts the device answering its own command', () => {
    const d = decide(stateOf(requested(), published), answer({ bridgeId: 'self' }), { kind: 'device', thingName: 'meter-1' });
    expect(d).toMatchObject({ kind: 'apply', events: [{ type: 'CommandSucceeded', actor: { kind: 'device', id: 'meter-1' } }] });
  });
});

describe('expiry', () => {
  it('times out an open command once its expiry has passed, and not before', () => {
    const state = stateOf(requested('2026-03-01T10:00:05.000Z'), published)!;
    expect(decideExpiry(state, at(4_999))).toEqual([]);
    expect(decideExpiry(state, at(5_000))).toMatchObject([{ eventId: 'c1:timed-out', type: 'CommandTimedOut', data: { afterMs: 5_000 } }]);
  });

  it('leaves a command that already ended alone', () => {
    const failed = commandEvent('CommandFailed', { commandId: 'c1', thingName: 'meter-1', lwm2mCode: '4.04', message: '', latencyMs: 3 }, 'c1:failed', system);
    expect(decideExpiry(stateOf(requested('2026-03-01T10:00:05.000Z'), published, failed)!, at(60_000))).toEqual([]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor, NewEvent, StoredEvent } from '../../events/envelope.ts';
import { commandAuditProjection, type CommandAuditRow } from '../../events/projections/commandAudit.ts';
import { foldProjection } from '../../events/projections/projection.ts';
import { upcast } from '../../events/upcasting.ts';
import { AuditCursorError, type AuditFilter } from '../../functions/commands/auditCursor.ts';
import type { CommandAuditReads } from '../../functions/commands/commandAuditPort.ts';
import { newEvent } from '../support/events.ts';

/** One empty audit, as an adapter's test file builds it. */
export interface CommandAuditFixture {
  readonly audit: CommandAuditReads;
  /** Folds these stored events into the adapter's rows, as its projector would; resolves once they are readable. */
  record(events: readonly StoredEvent[]): Promise<void>;
}

export interface CommandAuditFactory {
  create(): Promise<CommandAuditFixture>;
  dispose?(): Promise<void>;
}

const THINGS = ['meter-1', 'meter-2', 'pump-7'] as const;
const OPERATORS = ['ada', 'grace'] as const;
const BASE = Date.parse('2026-04-01T08:00:00.000Z');
const at = (minutes: number) => new Date(BASE + minutes * 60_000).toISOString();

const stored = (streamId: string, position: number, recordedAt: string, e: NewEvent): StoredEvent => ({ ...e, streamId, streamPosition: position, recordedAt });

/** A command requested at `minute`, and published to bridge b-1, in its own stream. */
const requested = (id: string, thingName: string, operator: string, minute: number, expiresInMinutes = 1): StoredEvent[] => {
  const actor: Actor = { kind: 'user', id: operator, role: 'operator' };
  const base = { commandId: id, thingName };
  return [
    stored(`command-${id}`, 1, at(minute), newEvent('CommandRequested', { ...base, operation: 'read', path: '/3/0/0', expiresAt: at(minute + expiresInMinutes) }, { actor })),
    stored(`command-${id}`, 2, at(minute), newEvent('CommandPublished', { ...base, bridgeId: 'b-1', queueMode: false, topic: `cmd/lwm2m/${thingName}/req/${id}` })),
  ];
};

/**
 * The command-audit port (functions/commands/commandAuditPort.ts), the same cases for every
 * adapter: a command by id, pages newest first under every filter combination equal to a plain
 * filter over the folded rows, cursors bound to their filters, and the open commands due to expire.
 */
export const testCommandAudit = (name: string, factory: CommandAuditFactory) =>
  describe(`command audit port: ${name}`, () => {
    let fixture: CommandAuditFixture;
    const recorded: StoredEvent[] = [];
    const record = async (events: readonly StoredEvent[]) => {
      recorded.push(...events);
      await fixture.record(events);
    };
    /** The reference: the projection folded in memory, filtered and sorted plainly. */
    const expected = (filter: AuditFilter) =>
      [...foldProjection(commandAuditProjection, recorded.map(upcast)).values()]
        .filter((r) => filter.thingName === undefined || r.thingName === filter.thingName)
        .filter((r) => filter.operator === undefined || r.operator === filter.operator)
        .filter((r) => filter.from === undefined || r.requestedAt >= filter.from)
        .filter((r) => filter.to === undefined || r.requestedAt < filter.to)
        .sort((a, b) => (a.requestedAt === b.requestedAt ? (a.commandId < b.commandId ? 1 : -1) : a.requestedAt < b.requestedAt ? 1 : -1));

    beforeAll(async () => {
      fixture = await factory.create();
      // 30 commands over 3 devices and 2 operators, two per minute (so requestedAt ties are ordered by id).
      const events: StoredEvent[] = [];
      for (let i = 0; i < 30; i++) events.push(...requested(`c-${String(i).padStart(2, '0')}`, THINGS[i % 3]!, OPERATORS[i % 2]!, Math.floor(i / 2)));
      // c-00 succeeded, c-01 was ignored; an alarm acknowledgement is audited beside them.
      events.push(stored('command-c-00', 3, at(0.5), newEvent('CommandSucceeded', { commandId: 'c-00', thingName: 'meter-1', lwm2mCode: '2.05', latencyMs: 420 })));
      events.push(stored('command-c-01', 3, at(0.5), newEvent('CommandIgnored', { commandId: 'c-01', thingName: 'meter-2', reason: 'no bridge holds meter-2' })));
      events.push(
        stored('device-pump-7', 4, at(3), newEvent('AlarmAcknowledged', { thingName: 'pump-7', alarmId: 'leak', commandId: 'a-1', note: 'on it' }, { actor: { kind: 'user', id: 'grace', role: 'operator' } })),
      );
      await record(events);
    });
    afterAll(async () => {
      await factory.dispose?.();
    });

    it('reads one command by id, with its outcome, and nothing for an id it never saw', async () => {
      await expect(fixture.audit.row('c-00')).resolves.toMatchObject({ commandId: 'c-00', thingName: 'meter-1', operator: 'ada', status: 'succeeded', open: false, latencyMs: 420, lwm2mCode: '2.05', bridgeId: 'b-1' });
      await expect(fixture.audit.row('a-1')).resolves.toMatchObject({ operation: 'acknowledge-alarm', alarmId: 'leak', status: 'succeeded', streamId: 'device-pump-7', streamPosition: 4 });
      await expect(fixture.audit.row('c-99')).resolves.toBeUndefined();
    });

    const filters: [string, AuditFilter][] = [
      ['everything', {}],
      ['one device', { thingName: 'meter-1' }],
      ['one operator', { operator: 'grace' }],
      ['a device and an operator', { thingName: 'pump-7', operator: 'grace' }],
      ['a time range', { from: at(3), to: at(9) }],
      ['a device from a time on', { thingName: 'meter-2', from: at(6) }],
      ['an operator until a time', { operator: 'ada', to: at(5) }],
      ['a device, an operator and a range', { thingName: 'meter-1', operator: 'ada', from: at(1), to: at(14) }],
      ['nothing matching', { thingName: 'nobody' }],
    ];
    for (const [what, filter] of filters) {
      it(`pages ${what} newest first, page after page, as a plain filter over the rows orders them`, async () => {
        const want = expected(filter);
        const got: CommandAuditRow[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await fixture.audit.page(filter, 4, cursor);
          expect(page.items.length).toBeLessThanOrEqual(4);
          if (page.nextCursor !== undefined) expect(page.items).toHaveLength(4);
          got.push(...page.items);
          cursor = page.nextCursor;
          if (++pages > 20) throw new Error('paging did not end');
        } while (cursor !== undefined);
        expect(got).toEqual(want);
        const all: CommandAuditRow[] = [];
        for await (const row of fixture.audit.rows(filter, 3)) all.push(row);
        expect(all).toEqual(want);
      });
    }

    it('refuses a cursor made for other filters, and one it did not make', async () => {
      const first = await fixture.audit.page({ thingName: 'meter-1' }, 2);
      expect(first.nextCursor).toBeDefined();
      await expect(fixture.audit.page({ thingName: 'meter-2' }, 2, first.nextCursor)).rejects.toBeInstanceOf(AuditCursorError);
      await expect(fixture.audit.page({}, 2, 'bm90IGEgY3Vyc29y')).rejects.toMatchObject({ name: 'AuditCursorError', error: { field: 'cursor' } });
    });

    it('lists the open commands past their expiry, soonest first, and forgets them once they end', async () => {
      // Open: c-02..c-29 (c-00 succeeded, c-01 ignored); c-i expires at minute floor(i/2) + 1.
      // Soonest first; commands that expire at the same moment come in any order.
      const due = await fixture.audit.due(new Date(at(3)), 100);
      expect(due.map((d) => d.expiresAt)).toEqual([at(2), at(2), at(3), at(3)]);
      expect(due.map((d) => d.commandId).sort()).toEqual(['c-02', 'c-03', 'c-04', 'c-05']);
      await expect(fixture.audit.due(new Date(at(3)), 3)).resolves.toHaveLength(3);
      await expect(fixture.audit.nextExpiry()).resolves.toBe(at(2));
      await record([
        stored('command-c-02', 3, at(2), newEvent('CommandTimedOut', { commandId: 'c-02', thingName: 'pump-7', afterMs: 60_000 })),
        stored('command-c-03', 3, at(2), newEvent('CommandFailed', { commandId: 'c-03', thingName: 'meter-1', lwm2mCode: '4.04', message: 'not found', latencyMs: 3 })),
      ]);
      const left = await fixture.audit.due(new Date(at(3)), 100);
      expect([...left].sort((a, b) => a.commandId.localeCompare(b.commandId))).toEqual([
        { commandId: 'c-04', expiresAt: at(3) },
        { commandId: 'c-05', expiresAt: at(3) },
      ]);
      await expect(fixture.audit.nextExpiry()).resolves.toBe(at(3));
      await expect(fixture.audit.row('c-02')).resolves.toMatchObject({ status: 'timed-out', open: false });
    });
  });

import type { z } from 'zod';
import { IsoTime, ThingName } from '../../events/catalog/common.ts';
import { DeviceHistoryPageSchema, DeviceStateViewSchema } from '../deviceViews/deviceViewSchemas.ts';
import type { CliCommand } from './cliCommand.ts';
import { EXIT, UsageError } from './cliErrors.ts';
import { compact, formatTable, truncate } from './table.ts';

type HistoryEvent = z.infer<typeof DeviceHistoryPageSchema>['items'][number];
type StateView = z.infer<typeof DeviceStateViewSchema>;

const PAGE = 500;
const MAX_EVENTS = 10_000;

/** An instant as the API takes it; "now" is the present. */
export const instantOf = (text: string, option: string, now: Date): string => {
  if (text === 'now') return now.toISOString();
  if (!IsoTime.safeParse(text).success || Number.isNaN(Date.parse(text))) {
    throw new UsageError(`${option} ${JSON.stringify(text.slice(0, 60))} is not an ISO 8601 time with a zone.`, `Write ${option} like 2026-03-01T12:00:00Z or 2026-03-01T13:00:00+01:00 (or "now").`);
  }
  return new Date(Date.parse(text)).toISOString();
};

const valueText = (value: unknown): string => {
  const v = value as { kind?: string; v?: unknown } | undefined;
  return v && 'v' in v ? (typeof v.v === 'string' ? JSON.stringify(v.v) : String(v.v)) : compact(value, 40);
};

/** One line about an event's data: the values of a report, the code of an alarm, else compact JSON. */
export const summarizeEvent = (event: Pick<HistoryEvent, 'type' | 'data' | 'unreadable'>): string => {
  if (event.unreadable !== undefined) return `unreadable: ${event.unreadable}`;
  const data = (event.data ?? {}) as Record<string, unknown>;
  if (Array.isArray(data.values)) {
    return truncate(
      (data.values as { name?: string; path?: string; value?: unknown; unit?: string }[]).map((r) => `${r.path ?? r.name ?? '?'}=${valueText(r.value)}${r.unit ? ` ${r.unit}` : ''}`).join(', '),
      120,
    );
  }
  const { thingName: _thingName, ...rest } = data;
  return compact(rest, 120);
};

const actorText = (actor: HistoryEvent['actor']) => {
  const a = actor as { kind?: string; id?: string; role?: string };
  return `${a.kind ?? '?'}:${a.id ?? '?'}${a.role ? ` (${a.role})` : ''}`;
};

/** `fleet device history <id> [--until <time>]`: the device's events and its state as of that time. */
export const deviceHistoryCommand: CliCommand = {
  path: ['device', 'history'],
  summary: "A device's events, and its state as of a time",
  description: [
    "Reads the device's stream (GET /devices/<id>/history) up to --until, oldest first: the last --limit",
    'events recorded at or before it. Then its state as of that instant (GET /devices/<id>/state?at=),',
    'replayed from the same events, or the live state without --until. --json prints',
    '{ thingName, until?, events, more, state }, where state is what the state route answered.',
  ].join('\n'),
  positionals: [{ name: 'id', description: 'The thing name, e.g. meter-0001', required: true }],
  options: [
    { name: 'until', kind: 'string', valueName: 'time', description: 'Events recorded at or before this instant, and the state as of it (ISO 8601 with a zone, or now).' },
    { name: 'from', kind: 'string', valueName: 'time', description: 'Only events recorded at or after this instant.' },
    { name: 'type', kind: 'string', valueName: 'types', description: 'Only these event types (comma-separated, e.g. DeviceStateReported,AlarmRaised).' },
    { name: 'limit', kind: 'integer', valueName: 'n', description: `Show the last n events, 1 to ${MAX_EVENTS}.`, defaultText: '50' },
  ],
  examples: ['fleet device history meter-0001', 'fleet device history meter-0001 --until 2026-03-01T12:00:00Z', 'fleet device history meter-0001 --type AlarmRaised,AlarmCleared --limit 200 --json'],
  role: 'viewer',
  async run(ctx) {
    const { args, io, json } = ctx;
    const thingName = args.positional('id') ?? '';
    if (!ThingName.safeParse(thingName).success) throw new UsageError(`${JSON.stringify(thingName.slice(0, 140))} is not a thing name.`, 'A thing name is 1-128 letters, digits, ":", "_" and "-", e.g. meter-0001.');
    const until = args.has('until') ? instantOf(args.string('until') ?? '', '--until', io.now()) : undefined;
    const from = args.has('from') ? instantOf(args.string('from') ?? '', '--from', io.now()) : undefined;
    const limit = args.number('limit') ?? 50;
    if (limit < 1 || limit > MAX_EVENTS) throw new UsageError(`--limit ${limit} is outside 1..${MAX_EVENTS}.`, 'Narrow the window with --from and --until instead.');
    if (from !== undefined && until !== undefined && Date.parse(from) > Date.parse(until)) throw new UsageError(`--from ${from} is after --until ${until}.`, 'Give --from before --until.');
    const api = await ctx.api();
    const path = `/devices/${encodeURIComponent(thingName)}`;

    // Newest first from --until back, so the last `limit` events cost `limit` reads, not the whole stream.
    // `to` is exclusive and `at` inclusive: one millisecond past --until makes them cut at the same event.
    const query = new URLSearchParams({ direction: 'backwards' });
    if (until !== undefined) query.set('to', new Date(Date.parse(until) + 1).toISOString());
    if (from !== undefined) query.set('from', from);
    const type = args.string('type');
    if (type !== undefined) query.set('type', type);
    const newestFirst: HistoryEvent[] = [];
    let more = false;
    for (;;) {
      query.set('limit', String(Math.min(PAGE, limit - newestFirst.length)));
      const page = await api.json('GET', `${path}/history`, DeviceHistoryPageSchema, { query });
      newestFirst.push(...page.items);
      if (page.nextCursor === undefined) break;
      if (newestFirst.length >= limit) {
        more = true;
        break;
      }
      query.set('cursor', page.nextCursor);
    }
    const events = newestFirst.reverse();
    const state: StateView = await api.json('GET', `${path}/state`, DeviceStateViewSchema, { query: until === undefined ? undefined : { at: until } });

    if (json) {
      ctx.printJson({ thingName, ...(until === undefined ? {} : { until }), events, more, state });
      return EXIT.ok;
    }
    ctx.print(`${thingName}: ${events.length} event${events.length === 1 ? '' : 's'}${until === undefined ? '' : ` recorded at or before ${until}`}${more ? ` (the last ${limit}; older ones exist: raise --limit or give --from)` : ''}`);
    if (events.length > 0) {
      ctx.print(formatTable(['#', 'recordedAt', 'type', 'actor', 'data'], events.map((e) => [String(e.streamPosition), e.recordedAt, e.type, actorText(e.actor), summarizeEvent(e)])));
    }
    const asOf = state.source === 'replay' ? `as of ${state.at ?? until} (replayed to stream position ${state.streamPosition ?? 0})` : 'now (live projection)';
    ctx.print(`\nState ${asOf}:`);
    if (state.state === null) {
      ctx.print('  none reported');
    } else {
      ctx.print(
        formatTable(
          ['resource', 'value', 'time'],
          Object.entries(state.state.resources).map(([resource, r]) => [resource, `${valueText(r.value)}${r.unit ? ` ${r.unit}` : ''}`, r.time]),
        ),
      );
      ctx.print(`  last seen ${state.state.lastSeen}, ${state.state.messages} message${state.state.messages === 1 ? '' : 's'}`);
    }
    return EXIT.ok;
  },
};

import { describe, expect, it } from 'vitest';
import { encodeCursor, fingerprintOf } from '../../functions/deviceViews/viewCursor.ts';
import { parseAlarmsQuery, parseHistoryQuery, parseRejectionsQuery, parseStateQuery, VIEW_LIMITS } from '../../functions/deviceViews/viewQueries.ts';
import type { QueryResult } from '../../functions/deviceViews/queryParams.ts';

const errorsOf = <T>(result: QueryResult<T>) => {
  if (result.ok) throw new Error(`expected errors, got ${JSON.stringify(result.query)}`);
  return result.errors;
};
const queryOf = <T>(result: QueryResult<T>): T => {
  if (!result.ok) throw new Error(`expected a query, got ${JSON.stringify(result.errors)}`);
  return result.query;
};

describe('the query rules, each named with its parameter', () => {
  const bad: [string, () => QueryResult<unknown>, string, string][] = [
    ['an unknown parameter, with the likely one', () => parseHistoryQuery('/x?limt=5', 'm'), 'limt', 'unknown-parameter'],
    ['a parameter given twice', () => parseHistoryQuery('/x?limit=5&limit=500', 'm'), 'limit', 'repeated'],
    ['a limit that is not a whole number', () => parseHistoryQuery('/x?limit=5.5', 'm'), 'limit', 'integer'],
    ['a negative limit', () => parseHistoryQuery('/x?limit=-1', 'm'), 'limit', 'integer'],
    ['a limit of 0', () => parseHistoryQuery('/x?limit=0', 'm'), 'limit', 'range'],
    ['a limit above the maximum', () => parseAlarmsQuery(`/x?limit=${VIEW_LIMITS.alarms.maxLimit + 1}`, 'm'), 'limit', 'range'],
    ['an empty limit', () => parseRejectionsQuery('/x?limit='), 'limit', 'integer'],
    ['a time without a zone', () => parseStateQuery('/x?at=2026-03-01T12:00:00'), 'at', 'iso-time'],
    ['a date alone', () => parseStateQuery('/x?at=2026-03-01'), 'at', 'iso-time'],
    ['epoch seconds', () => parseHistoryQuery('/x?from=1767225600', 'm'), 'from', 'iso-time'],
    ['a day that does not exist', () => parseHistoryQuery('/x?to=2026-02-30T00:00:00Z', 'm'), 'to', 'iso-time'],
    ['a to before from', () => parseHistoryQuery('/x?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z', 'm'), 'to', 'after-from'],
    ['an event type not in the catalog', () => parseHistoryQuery('/x?type=DeviceStateReported,DeviceExploded', 'm'), 'type', 'one-of'],
    ['too many types', () => parseHistoryQuery(`/x?type=${Array.from({ length: 21 }, () => 'AlarmRaised').join(',')}`, 'm'), 'type', 'max-items'],
    ['an unknown direction', () => parseHistoryQuery('/x?direction=sideways', 'm'), 'direction', 'one-of'],
    ['an unknown alarm status', () => parseAlarmsQuery('/x?status=open', 'm'), 'status', 'one-of'],
    ['an unknown stage', () => parseRejectionsQuery('/x?stage=parse'), 'stage', 'one-of'],
    ['a thing name with a slash', () => parseRejectionsQuery('/x?thingName=a%2Fb'), 'thingName', 'thing-name'],
    ['an unknown include', () => parseRejectionsQuery('/x?include=bytes'), 'include', 'one-of'],
    ['a large page with payloads', () => parseRejectionsQuery('/x?include=payload&limit=21'), 'limit', 'max-with-payload'],
    ['a cursor that is not ours', () => parseHistoryQuery('/x?cursor=bm9wZQ', 'm'), 'cursor', 'malformed'],
    ['an over-long cursor', () => parseAlarmsQuery(`/x?cursor=${'a'.repeat(600)}`, 'm'), 'cursor', 'length'],
    ['any parameter on the live state but at', () => parseStateQuery('/x?limit=5'), 'limit', 'unknown-parameter'],
  ];

  it.each(bad)('refuses %s', (_name, parse, field, rule) => {
    const errors = errorsOf(parse());
    expect(errors).toEqual([expect.objectContaining({ field, rule })]);
    expect(errors[0]!.message.length).toBeGreaterThan(10);
    expect(errors[0]!.hint.length).toBeGreaterThan(10);
  });

  it('suggests the parameter a typo was meant to be', () => {
    expect(errorsOf(parseHistoryQuery('/x?limt=5', 'm'))[0]!.hint).toBe('Did you mean limit?');
    expect(errorsOf(parseAlarmsQuery('/x?Status=active', 'm'))[0]!.hint).toBe('Did you mean status?');
    expect(errorsOf(parseRejectionsQuery('/x?colour=red'))[0]!.hint).toContain('Use only thingName, stage, limit, cursor, include');
  });

  it('reports every wrong parameter at once', () => {
    const errors = errorsOf(parseHistoryQuery('/x?limit=9999&from=yesterday&direction=up&color=red', 'm'));
    expect(errors.map((e) => `${e.field}:${e.rule}`).sort()).toEqual(['color:unknown-parameter', 'direction:one-of', 'from:iso-time', 'limit:range']);
  });

  it('refuses a cursor made for other filters, and takes one made for these', () => {
    const other = encodeCursor(fingerprintOf('history', { thingName: 'm', direction: 'backwards' }), 10);
    expect(errorsOf(parseHistoryQuery(`/x?cursor=${other}`, 'm'))).toEqual([expect.objectContaining({ field: 'cursor', rule: 'other-query' })]);
    const first = queryOf(parseHistoryQuery('/x?direction=backwards&limit=3', 'm'));
    const next = queryOf(parseHistoryQuery(`/x?direction=backwards&limit=7&cursor=${encodeCursor(first.fingerprint, 10)}`, 'm'));
    expect(next).toMatchObject({ start: 10, limit: 7, direction: 'backwards' });
    // The same cursor for another device is another query.
    expect(errorsOf(parseHistoryQuery(`/x?direction=backwards&cursor=${encodeCursor(first.fingerprint, 10)}`, 'other'))[0]!.rule).toBe('other-query');
    // A cursor with a position of the wrong shape is malformed, not a crash.
    expect(errorsOf(parseHistoryQuery(`/x?direction=backwards&cursor=${encodeCursor(first.fingerprint, 'ten')}`, 'm'))[0]!.rule).toBe('malformed');
  });

  it('reads valid queries into values with their defaults', () => {
    expect(queryOf(parseStateQuery('/x?at=2026-03-01T13:00:00%2B01:00')).at).toEqual({ iso: '2026-03-01T12:00:00.000Z', ms: Date.parse('2026-03-01T12:00:00Z') });
    expect(queryOf(parseStateQuery('/x'))).toEqual({});
    expect(queryOf(parseHistoryQuery('/x?type=AlarmRaised,AlarmCleared,AlarmRaised', 'm'))).toMatchObject({ limit: 50, direction: 'forwards', types: ['AlarmCleared', 'AlarmRaised'] });
    expect(queryOf(parseAlarmsQuery('/x', 'm'))).toMatchObject({ status: 'all', limit: VIEW_LIMITS.alarms.defaultLimit });
    expect(queryOf(parseRejectionsQuery('/x?include=payload'))).toMatchObject({ includePayload: true, limit: VIEW_LIMITS.rejections.maxLimitWithPayload });
    expect(queryOf(parseRejectionsQuery('/x?stage=unknown-device&thingName=m-1&limit=500'))).toMatchObject({ stage: 'unknown-device', thingName: 'm-1', limit: 500, includePayload: false });
  });
});

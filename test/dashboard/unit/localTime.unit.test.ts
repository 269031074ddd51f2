import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatLocal, isoFromLocalInput, localInputFromIso } from '../../../functions/dashboard/app/components/localTime.ts';

// A zone with an offset and summer time, so that local and UTC differ (Node applies TZ when it is set).
const saved = process.env.TZ;
beforeAll(() => {
  process.env.TZ = 'Europe/Stockholm';
});
afterAll(() => {
  if (saved === undefined) delete process.env.TZ;
  else process.env.TZ = saved;
});

describe('times between datetime-local inputs and the API', () => {
  it('reads a datetime-local value as local time and sends the instant in UTC', () => {
    expect(isoFromLocalInput('2026-01-15T13:00')).toBe('2026-01-15T12:00:00.000Z');
    expect(isoFromLocalInput('2026-07-15T13:00:30')).toBe('2026-07-15T11:00:30.000Z');
  });

  it('shows an instant in a datetime-local input in local time, to the second', () => {
    expect(localInputFromIso('2026-07-15T11:00:30.000Z')).toBe('2026-07-15T13:00:30');
    expect(localInputFromIso(isoFromLocalInput('2026-01-15T09:05:07'))).toBe('2026-01-15T09:05:07');
  });

  it('refuses what is not a local date-time rather than guessing', () => {
    for (const bad of ['', '2026-01-15', '2026-01-15T13:00Z', '15/01/2026 13:00', 'soon']) expect(isoFromLocalInput(bad)).toBeUndefined();
    expect(localInputFromIso(undefined)).toBe('');
    expect(localInputFromIso('not a time')).toBe('');
  });

  it('formats for the reader’s locale and leaves non-times as they are', () => {
    expect(formatLocal('2026-01-15T12:00:00.000Z', 'en-GB')).toBe('15 Jan 2026, 13:00:00');
    expect(formatLocal('garbage', 'en-GB')).toBe('garbage');
  });
});

import { describe, expect, it } from 'vitest';
import { CommandDetailSchema } from '../../../functions/commands/commandApiSchemas.ts';
import { codeText } from '../../../functions/dashboard/app/components/coapCodes.ts';
import { describeOutcome, isFinal } from '../../../functions/dashboard/app/pages/device/commandOutcome.ts';
import { DEFAULT_OBJECT_MODEL as OBJECT_MODEL } from '../../../schemas/lwm2m/objects/model.ts';

const row = {
  commandId: 'c-1',
  thingName: 'lamp-1',
  operation: 'read',
  path: '/3/0/0',
  operator: 'ada',
  operatorKind: 'user',
  role: 'operator',
  requestedAt: '2026-03-01T12:00:00.000Z',
  expiresAt: '2026-03-01T12:01:00.000Z',
  open: true,
  streamId: 'command-c-1',
  streamPosition: 1,
};
const entry = (type: string, position: number, data: Record<string, unknown>) => ({ type, at: '2026-03-01T12:00:00.100Z', position, actor: { kind: 'system', id: 'bridge:b' }, data });

/** A detail as GET /commands/:id answers it, checked against the route's schema. */
const detail = (command: Record<string, unknown>, lifecycle: ReturnType<typeof entry>[] = []) => CommandDetailSchema.parse({ command: { ...row, ...command }, lifecycle });

describe('the command outcome the form announces', () => {
  it('names the values a read returned, from the model', () => {
    const outcome = describeOutcome(
      detail({ status: 'succeeded', open: false, lwm2mCode: '2.05', latencyMs: 42.4 }, [
        entry('CommandRequested', 1, {}),
        entry('CommandSucceeded', 2, { lwm2mCode: '2.05', result: { values: [{ path: '/3/0/0', value: { kind: 'string', v: 'LwM2M Fleet Simulator' } }, { path: '/3/0/13', value: { kind: 'time', v: 1767225600 } }] } }),
      ]),
      OBJECT_MODEL,
    );
    expect(outcome).toMatchObject({ final: true, tone: 'good', headline: 'Succeeded (2.05 Content) in 42 ms.' });
    expect(outcome.values).toEqual([
      { path: '/3/0/0', name: 'Device / Manufacturer', text: 'LwM2M Fleet Simulator' },
      { path: '/3/0/13', name: 'Device / Current Time', text: '2026-01-01T00:00:00Z' },
    ]);
  });

  it('says the LwM2M code of a failure, a timeout, and why an ignored command was not sent', () => {
    expect(describeOutcome(detail({ status: 'failed', open: false, lwm2mCode: '4.04', detail: 'no such instance' }), OBJECT_MODEL)).toMatchObject({
      tone: 'bad',
      headline: 'Failed: LwM2M code 4.04 Not Found.',
      detail: 'no such instance',
    });
    expect(describeOutcome(detail({ status: 'failed', open: false, lwm2mCode: 'timeout' }), OBJECT_MODEL).headline).toBe('Failed: the device never answered.');
    expect(describeOutcome(detail({ status: 'timed-out', open: false }), OBJECT_MODEL).headline).toBe('Timed out: no answer came before it expired at 2026-03-01T12:01:00.000Z.');
    expect(describeOutcome(detail({ status: 'ignored', open: false, detail: 'no bridge holds lamp-1' }), OBJECT_MODEL)).toMatchObject({
      final: true,
      headline: 'Ignored: nothing was sent, no bridge holds the device.',
      detail: 'no bridge holds lamp-1',
    });
  });

  it('keeps following a command that has not ended', () => {
    for (const status of ['requested', 'published', 'queued', 'dispatched']) {
      expect(describeOutcome(detail({ status }), OBJECT_MODEL)).toMatchObject({ final: false, tone: 'pending' });
      expect(isFinal(status)).toBe(false);
    }
    expect(['succeeded', 'failed', 'timed-out', 'ignored'].every(isFinal)).toBe(true);
  });

  it('names CoAP codes it knows and passes others through', () => {
    expect(codeText('2.04')).toBe('2.04 Changed');
    expect(codeText('4.99')).toBe('4.99');
    expect(codeText(undefined)).toBeUndefined();
  });
});

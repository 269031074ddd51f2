import { describe, expect, it } from 'vitest';
import { manualScheduler } from '../../functions/lwm2m/scheduler.ts';
import { AttributeStore } from '../../functions/simulator/notificationAttributes.ts';
import { Observations } from '../../functions/simulator/observations.ts';

/** Observations over a value the test sets, recording what would have been sent and when. */
const setup = () => {
  const clock = manualScheduler();
  const attributes = new AttributeStore();
  let value = 20;
  const sent: { at: number; value: number; confirmable: boolean | undefined }[] = [];
  let verdict: 'keep' | 'drop' = 'keep';
  const observations = new Observations({
    scheduler: clock,
    attributes: (path) => attributes.effective(path, { pmin: undefined, pmax: undefined }),
    numericValue: () => value,
    send: (_observation, confirmable) => {
      sent.push({ at: clock.now() - start, value, confirmable });
      return Promise.resolve(verdict);
    },
  });
  const start = clock.now();
  const set = (v: number) => {
    value = v;
    observations.changed(['/3303/0/5700']);
  };
  return { clock, attributes, observations, sent, set, dropNext: () => (verdict = 'drop') };
};

const TOKEN = Buffer.from('0102030405060708', 'hex');

describe('when an observation notifies', () => {
  it('notifies on every change under the observed path and ignores changes elsewhere', () => {
    const { observations, sent, set } = setup();
    observations.add(TOKEN, [3303, 0], 112);
    set(21);
    observations.changed(['/3/0/13']);
    observations.changed(['/3303']);
    expect(sent.map((s) => s.value)).toEqual([21, 21]);
  });

  it('holds changes inside pmin and sends the latest when it ends', () => {
    const { observations, attributes, sent, set, clock } = setup();
    attributes.set([3303, 0, 5700], { pmin: 10 });
    observations.add(TOKEN, [3303, 0, 5700], 0);
    set(21);
    set(22);
    clock.advance(9_999);
    expect(sent).toEqual([]);
    clock.advance(1);
    expect(sent).toEqual([{ at: 10_000, value: 22, confirmable: undefined }]);
  });

  it('sends at pmax without a change, and a change resets the pmax period', () => {
    const { observations, attributes, sent, set, clock } = setup();
    attributes.set([3303, 0, 5700], { pmax: 30 });
    observations.add(TOKEN, [3303, 0, 5700], 0);
    clock.advance(30_000);
    clock.advance(10_000);
    set(25);
    clock.advance(29_999);
    expect(sent.map((s) => s.at)).toEqual([30_000, 40_000]);
    clock.advance(1);
    expect(sent.map((s) => s.at)).toEqual([30_000, 40_000, 70_000]);
  });

  it('ignores pmax below pmin, as the spec says', () => {
    const { observations, attributes, sent, clock } = setup();
    attributes.set([3303, 0, 5700], { pmin: 60, pmax: 30 });
    observations.add(TOKEN, [3303, 0, 5700], 0);
    clock.advance(120_000);
    expect(sent).toEqual([]);
  });

  it('with gt and lt, notifies crossings in either direction only', () => {
    const { observations, attributes, sent, set } = setup();
    attributes.set([3303, 0, 5700], { gt: 30, lt: 10 });
    observations.add(TOKEN, [3303, 0, 5700], 0);
    for (const v of [25, 31, 35, 29, 15, 9, 5, 11]) set(v);
    expect(sent.map((s) => s.value)).toEqual([31, 29, 9, 11]);
  });

  it('with st, measures the step from the last value notified', () => {
    const { observations, attributes, sent, set } = setup();
    attributes.set([3303, 0, 5700], { st: 1 });
    observations.add(TOKEN, [3303, 0, 5700], 0);
    for (const v of [20.5, 20.9, 21.2, 21.5, 22.3]) set(v);
    expect(sent.map((s) => s.value)).toEqual([21.2, 22.3]);
  });

  it('passes con through and forgets an observation its send says is over', async () => {
    const { observations, attributes, sent, set, dropNext } = setup();
    attributes.set([3303, 0, 5700], { con: 0 });
    observations.add(TOKEN, [3303, 0, 5700], 0);
    dropNext();
    set(30);
    expect(sent).toEqual([{ at: 0, value: 30, confirmable: false }]);
    await Promise.resolve();
    expect(observations.size).toBe(0);
    set(31);
    expect(sent).toHaveLength(1);
  });

  it('replaces an observation on the same token, and clear cancels every timer', () => {
    const { observations, attributes, clock } = setup();
    attributes.set([3303, 0, 5700], { pmax: 5 });
    observations.add(TOKEN, [3303, 0, 5700], 0);
    observations.add(TOKEN, [3303, 0, 5601], 0);
    expect(observations.size).toBe(1);
    expect(observations.all()[0]!.pathText).toBe('/3303/0/5601');
    observations.add(Buffer.from('aa', 'hex'), [3303, 0, 5700], 0);
    expect(clock.pending()).toBe(1);
    observations.clear();
    expect(observations.size).toBe(0);
    expect(clock.pending()).toBe(0);
  });
});

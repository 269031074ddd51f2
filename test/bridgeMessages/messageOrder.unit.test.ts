import { describe, expect, it } from 'vitest';
import { MessageOrder } from '../../functions/bridgeMessages/messageOrder.ts';

/** A piece of work the test finishes by hand, recording when it started and ended. */
const gate = (log: string[], name: string) => {
  let open: () => void = () => undefined;
  let fail: (error: Error) => void = () => undefined;
  const released = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return {
    work: async () => {
      log.push(`start ${name}`);
      await released;
      log.push(`end ${name}`);
      return name;
    },
    open: () => open(),
    fail: (error: Error) => fail(error),
  };
};

/** Lets every queued continuation run (promise chains a few links long). */
const drain = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe('MessageOrder: concurrent across devices, in order per device, a status alone', () => {
  it('starts the messages of different devices at once', async () => {
    const order = new MessageOrder();
    const log: string[] = [];
    const a = gate(log, 'a1');
    const b = gate(log, 'b1');
    const results = [order.forKey('a', a.work), order.forKey('b', b.work)];
    await drain();
    expect(log).toEqual(['start a1', 'start b1']);
    b.open();
    a.open();
    expect(await Promise.all(results)).toEqual(['a1', 'b1']);
  });

  it("holds a device's second message until its first is done, however the two would race", async () => {
    const order = new MessageOrder();
    const log: string[] = [];
    const register = gate(log, 'register');
    const update = gate(log, 'update');
    const deregister = gate(log, 'deregister');
    const done = [order.forKey('lamp-1', register.work), order.forKey('lamp-1', update.work), order.forKey('lamp-1', deregister.work)];
    await drain();
    expect(log).toEqual(['start register']);
    // The later ones are ready first: they still wait their turn.
    deregister.open();
    update.open();
    await drain();
    expect(log).toEqual(['start register']);
    register.open();
    await Promise.all(done);
    expect(log).toEqual(['start register', 'end register', 'start update', 'end update', 'start deregister', 'end deregister']);
    expect(order.pending).toBe(0);
  });

  it('keeps the order of every device among many interleaved messages', async () => {
    const order = new MessageOrder();
    const seen = new Map<string, number[]>();
    // Each message takes a different number of turns, so without the order later ones would finish first.
    const message = (device: string, n: number) =>
      order.forKey(device, async () => {
        for (let i = 0; i < (7 * n + device.length) % 5; i++) await Promise.resolve();
        seen.set(device, [...(seen.get(device) ?? []), n]);
      });
    const all: Promise<void>[] = [];
    for (let n = 0; n < 20; n++) for (const device of ['a', 'bb', 'ccc', 'dddd']) all.push(message(device, n));
    await Promise.all(all);
    for (const device of ['a', 'bb', 'ccc', 'dddd']) expect(seen.get(device)).toEqual(Array.from({ length: 20 }, (_, n) => n));
  });

  it('runs a status after everything before it and before everything after it', async () => {
    const order = new MessageOrder();
    const log: string[] = [];
    const a = gate(log, 'a');
    const b = gate(log, 'b');
    const offline = gate(log, 'offline');
    const later = gate(log, 'a-later');
    const done = [order.forKey('a', a.work), order.forKey('b', b.work), order.alone(offline.work), order.forKey('a', later.work)];
    await drain();
    expect(log).toEqual(['start a', 'start b']);
    later.open();
    offline.open();
    a.open();
    await drain();
    expect(log).toEqual(['start a', 'start b', 'end a']);
    b.open();
    await Promise.all(done);
    expect(log).toEqual(['start a', 'start b', 'end a', 'end b', 'start offline', 'end offline', 'start a-later', 'end a-later']);
  });

  it('passes a failure to its own caller and lets the next message of the device run', async () => {
    const order = new MessageOrder();
    const log: string[] = [];
    const first = gate(log, 'first');
    const second = gate(log, 'second');
    const failed = order.forKey('lamp-1', first.work);
    const next = order.forKey('lamp-1', second.work);
    first.fail(new Error('the store refused it'));
    await expect(failed).rejects.toThrow('the store refused it');
    second.open();
    await expect(next).resolves.toBe('second');
    expect(log).toEqual(['start first', 'start second', 'end second']);
  });
});

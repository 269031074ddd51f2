import { describe, expect, it } from 'vitest';
import { PublishRefused, PublishWindow } from '../../functions/bridge/publishWindow.ts';

/** A fake broker link that acknowledges each publish when the test says so. */
const link = () => {
  const sent: string[] = [];
  const acks = new Map<string, { ack: () => void; nack: (error: Error) => void }>();
  let inFlight = 0;
  let mostInFlight = 0;
  const send = (message: string) =>
    new Promise<void>((resolve, reject) => {
      sent.push(message);
      inFlight += 1;
      mostInFlight = Math.max(mostInFlight, inFlight);
      const settle = () => (inFlight -= 1);
      acks.set(message, {
        ack: () => {
          settle();
          resolve();
        },
        nack: (error) => {
          settle();
          reject(error);
        },
      });
    });
  return { send, sent, ack: (m: string) => acks.get(m)!.ack(), nack: (m: string, e: Error) => acks.get(m)!.nack(e), mostInFlight: () => mostInFlight };
};

const drain = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe('PublishWindow: a bounded window of QoS 1 publishes in flight', () => {
  it('never has more than maxInFlight awaiting PUBACK, and starts the rest in the order they came', async () => {
    const broker = link();
    const window = new PublishWindow(broker.send, { maxInFlight: 3, maxQueued: 100 });
    const messages = Array.from({ length: 10 }, (_, i) => `m${i}`);
    const done = messages.map((m) => window.submit(m));
    expect(broker.sent).toEqual(['m0', 'm1', 'm2']);
    expect([window.inFlight, window.queued]).toEqual([3, 7]);
    // Acknowledged out of order (a broker acknowledges in order; the window must not depend on it).
    broker.ack('m1');
    await drain();
    expect(broker.sent).toEqual(['m0', 'm1', 'm2', 'm3']);
    for (const m of messages.filter((m) => m !== 'm1')) {
      broker.ack(m);
      await drain();
    }
    await Promise.all(done);
    expect(broker.sent).toEqual(messages);
    expect(broker.mostInFlight()).toBe(3);
    expect([window.inFlight, window.queued]).toEqual([0, 0]);
  });

  it('refuses a publish at once when maxQueued already wait, and takes more once they drain', async () => {
    const broker = link();
    const window = new PublishWindow(broker.send, { maxInFlight: 1, maxQueued: 2 });
    const accepted = ['a', 'b', 'c'].map((m) => window.submit(m));
    await expect(window.submit('d')).rejects.toBeInstanceOf(PublishRefused);
    await expect(window.submit('d')).rejects.toThrow(/2 messages already wait behind 1 unacknowledged/);
    for (const m of ['a', 'b', 'c']) {
      broker.ack(m);
      await drain();
    }
    await Promise.all(accepted);
    const late = window.submit('e');
    broker.ack('e');
    await late;
    expect(broker.sent).toEqual(['a', 'b', 'c', 'e']);
  });

  it('passes a failed publish to its caller and frees its place', async () => {
    const broker = link();
    const window = new PublishWindow(broker.send, { maxInFlight: 1, maxQueued: 10 });
    const first = window.submit('a');
    const second = window.submit('b');
    broker.nack('a', new Error('connection lost'));
    await expect(first).rejects.toThrow('connection lost');
    await drain();
    broker.ack('b');
    await expect(second).resolves.toBeUndefined();
  });

  it('on close refuses what waits and what comes later, while what is in flight still settles', async () => {
    const broker = link();
    const window = new PublishWindow(broker.send, { maxInFlight: 1, maxQueued: 10 });
    const inFlight = window.submit('a');
    const waiting = window.submit('b');
    window.close('the bridge disconnected');
    await expect(waiting).rejects.toThrow('the bridge disconnected');
    await expect(window.submit('c')).rejects.toThrow('the bridge disconnected');
    broker.ack('a');
    await expect(inFlight).resolves.toBeUndefined();
    expect(broker.sent).toEqual(['a']);
  });

  it('refuses limits that make no sense, saying what to give', () => {
    const send = () => Promise.resolve();
    expect(() => new PublishWindow(send, { maxInFlight: 0, maxQueued: 1 })).toThrow(/maxInFlight 0 .* at least 1/);
    expect(() => new PublishWindow(send, { maxInFlight: 1.5, maxQueued: 1 })).toThrow(/maxInFlight 1.5/);
    expect(() => new PublishWindow(send, { maxInFlight: 1, maxQueued: -1 })).toThrow(/maxQueued -1 .* at least 0/);
  });
});

import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSubscriptionsFile } from '../../functions/subscriptions/subscriptionConfig.ts';
import { provisioned } from '../support/events.ts';
import { startReceiver, type Receiver } from './receiver.ts';
import { openStore, outcomeLog, removeTempDirs, SECRET, startSubscriptions, tempDbFile } from './support.ts';

const receivers: Receiver[] = [];
afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  removeTempDirs();
});

const ACKED_BEFORE_KILL = 5;

/** Runs the delivering child until it has acknowledged `acks` deliveries and one more is held by the receiver, then SIGKILLs it. */
const runChild = (dbFile: string, subscriptionsFile: string, receiver: Receiver, acks: number) =>
  new Promise<{ acked: string[]; signal: NodeJS.Signals | null }>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'deliveringChild.ts')], {
      env: { ...process.env, FLEET_TEST_DB: dbFile, FLEET_SUBSCRIPTIONS_FILE: subscriptionsFile },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const acked: string[] = [];
    let killed = false;
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.startsWith('delivered ')) return;
      acked.push(line.slice('delivered '.length));
      if (acked.length === acks && !killed) {
        killed = true;
        // At least one more request reached the receiver and is held: it is in flight when the process dies.
        void receiver.until(acks + 1).then(() => child.kill('SIGKILL'));
      }
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => resolve({ acked, signal }));
  });

describe('webhook subscriptions under a crash', () => {
  it('kill -9 mid-delivery: after the restart every event arrives, acknowledged ones exactly once, and only unacknowledged ones twice', async () => {
    const dbFile = tempDbFile();
    const subscriptionsFile = join(dirname(dbFile), 'subscriptions.json');
    // Answers the first deliveries, then holds every later one, so no acknowledgement can follow the kill.
    const receiver = await startReceiver((_req, i) => (i < ACKED_BEFORE_KILL ? { status: 200 } : 'hold'));
    receivers.push(receiver);
    writeFileSync(
      subscriptionsFile,
      JSON.stringify({
        subscriptions: [{ name: 'all-provisioned', pattern: { 'detail-type': ['DeviceProvisioned'] }, target: { url: receiver.url }, secret: SECRET, startFrom: 'beginning' }],
      }),
    );

    const store = openStore(dbFile);
    const stored = [];
    for (let i = 0; i < 12; i++) stored.push((await store.events.append({ streamId: `device-m${i}`, expectedVersion: 0, events: [provisioned(`m${i}`)] })).events[0]!);
    store.db.close();

    const run = await runChild(dbFile, subscriptionsFile, receiver, ACKED_BEFORE_KILL);
    expect(run.signal).toBe('SIGKILL');
    expect(run.acked).toHaveLength(ACKED_BEFORE_KILL);
    const heldAtKill = receiver.received.slice(ACKED_BEFORE_KILL).map((q) => q.headers['x-fleet-event-id'] as string);
    expect(heldAtKill.length).toBeGreaterThan(0);

    receiver.answerWith(() => ({ status: 200 }));
    const reopened = openStore(dbFile);
    const log = outcomeLog();
    const again = startSubscriptions(reopened, loadSubscriptionsFile(subscriptionsFile), log);
    await log.until((l) => l.filter((o) => o.kind === 'delivered').length === stored.length - ACKED_BEFORE_KILL);
    await again.engine.settled();
    expect(again.engine.pending().size).toBe(0);

    const times = new Map<string, number>();
    for (const q of receiver.received) {
      const id = q.headers['x-fleet-event-id'] as string;
      times.set(id, (times.get(id) ?? 0) + 1);
    }
    expect([...times.keys()].sort()).toEqual(stored.map((e) => e.eventId).sort());
    for (const id of run.acked) expect(times.get(id)).toBe(1);
    const repeated = [...times].filter(([, n]) => n > 1).map(([id]) => id);
    expect(repeated.sort()).toEqual([...heldAtKill].sort());
    expect([...times.values()].every((n) => n <= 2)).toBe(true);
    await again.stop();
    reopened.db.close();
  });
});

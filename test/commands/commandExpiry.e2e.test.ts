import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CommandAcceptedSchema } from '../../functions/commands/commandApiSchemas.ts';
import { openSqlite } from '../../functions/eventStore/sqliteDatabase.ts';
import { createSqliteEventStore } from '../../functions/eventStore/sqliteEventStore.ts';
import { systemClock } from '../../functions/shared/clock.ts';
import { apiFetch } from '../support/api.ts';
import { addDevice, startCommandSystem, waitForEvent, type CommandSystem } from './support.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'e2e-command-expiry-'));
const running: CommandSystem[] = [];

afterAll(async () => {
  for (const r of running) await r.system.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const send = async ({ system }: CommandSystem, timeoutSeconds: number) => {
  const res = await apiFetch(system, '/commands', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ thingName: 'far-away', operation: 'read', path: '/3/0/9', timeoutSeconds }) }, 'operator');
  expect(res.status).toBe(202);
  return CommandAcceptedSchema.parse(await res.json());
};

describe('command expiry across a restart', () => {
  it('times out, after a restart, a command the stopped process published, and leaves a later one open until its own expiry', async () => {
    // The device is held by a bridge that is not connected: the request goes out and nobody answers.
    const first = await startCommandSystem(dataDir, { minTimeoutSeconds: 0.05 });
    running.push(first);
    await addDevice(first.system, 'far-away', { bridgeId: 'b9' });
    await first.system.projections.settled();
    const soon = await send(first, 2);
    const later = await send(first, 600);
    expect([soon.status, later.status]).toEqual(['published', 'published']);
    await first.system.stop();
    running.pop();
    // Read the file between the two processes: the first one stopped before the expiry and never timed it out.
    const db = openSqlite({ file: join(dataDir, 'fleet.db') });
    const between = await createSqliteEventStore(db, systemClock).readStream(`command-${soon.commandId}`);
    db.close();
    expect(between.map((e) => e.type)).toEqual(['CommandRequested', 'CommandPublished']);
    // Nothing the first process knew in memory survives: only the store and the projection.
    const second = await startCommandSystem(dataDir, { minTimeoutSeconds: 0.05 });
    running.push(second);
    const events = await waitForEvent(second.system, `command-${soon.commandId}`, (e) => e.type === 'CommandTimedOut', 'the restarted system times the command out');
    expect(events.map((e) => e.type)).toEqual(['CommandRequested', 'CommandPublished', 'CommandTimedOut']);
    expect(Date.parse(events[2]!.recordedAt)).toBeGreaterThanOrEqual(Date.parse(soon.expiresAt));
    await second.system.projections.settled();
    expect(second.commands.audit.row(later.commandId)).toMatchObject({ status: 'published', open: true });
    expect(second.commands.audit.nextExpiry()).toBe(later.expiresAt);
    expect(await second.commands.sweeper.sweep()).toBe(0);
  });
});

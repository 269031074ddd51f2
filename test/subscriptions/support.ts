import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite } from '../../functions/eventStore/sqliteDatabase.ts';
import { createSqliteEventStore } from '../../functions/eventStore/sqliteEventStore.ts';
import { parseSubscriptions } from '../../functions/subscriptions/subscriptionConfig.ts';
import { createWebhookSubscriptions, type DeliveryOutcome, type WebhookSubscriptionsOptions } from '../../functions/subscriptions/webhookSubscriptions.ts';

export const SECRET = 'test-secret-0123456789abcdef';

const dirs: string[] = [];
export const removeTempDirs = () => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));

export const tempDbFile = () => {
  const dir = mkdtempSync(join(tmpdir(), 'subscriptions-'));
  dirs.push(dir);
  return join(dir, 'fleet.db');
};

export const openStore = (file: string) => {
  const db = openSqlite({ file });
  return { db, events: createSqliteEventStore(db) };
};

/** Subscriptions from the file format, so tests go through the same checks as a real file. */
export const subscriptionsFile = (...subscriptions: Record<string, unknown>[]) =>
  parseSubscriptions(JSON.stringify({ subscriptions: subscriptions.map((s) => ({ secret: SECRET, ...s })) }), 'test');

/** Collects delivery outcomes; `until` resolves when a condition over them holds. */
export const outcomeLog = () => {
  const list: DeliveryOutcome[] = [];
  const waiters: { test: (l: readonly DeliveryOutcome[]) => boolean; resolve: () => void }[] = [];
  return {
    list,
    record(outcome: DeliveryOutcome) {
      list.push(outcome);
      for (const w of [...waiters]) {
        if (w.test(list)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    },
    until: (test: (l: readonly DeliveryOutcome[]) => boolean) =>
      new Promise<void>((resolve) => {
        if (test(list)) resolve();
        else waiters.push({ test, resolve });
      }),
    count: (kind: DeliveryOutcome['kind']) => list.filter((o) => o.kind === kind).length,
  };
};

export type OutcomeLog = ReturnType<typeof outcomeLog>;

/** Webhook subscriptions over a store, woken by its appends, with millisecond backoff for tests. */
export const startSubscriptions = (
  store: ReturnType<typeof openStore>,
  subscriptions: WebhookSubscriptionsOptions['subscriptions'],
  log: OutcomeLog,
  extra: Partial<WebhookSubscriptionsOptions> = {},
) => {
  const engine = createWebhookSubscriptions({
    db: store.db,
    events: store.events,
    subscriptions,
    backoff: { baseDelayMs: 2, maxDelayMs: 10 },
    onOutcome: (o) => log.record(o),
    ...extra,
  });
  const unsubscribe = store.events.onAppended(() => engine.notify());
  return {
    engine,
    async stop() {
      unsubscribe();
      await engine.stop();
    },
  };
};

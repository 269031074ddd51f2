/**
 * A child process for the crash test: runs webhook subscriptions over the SQLite file in
 * FLEET_TEST_DB with the subscriptions in FLEET_SUBSCRIPTIONS_FILE, and prints
 * `delivered <eventId>` once each delivery is acknowledged (after its row is deleted). The parent
 * kills it with SIGKILL at a moment of its choosing.
 */
import { openSqlite } from '../../functions/eventStore/sqliteDatabase.ts';
import { createSqliteEventStore } from '../../functions/eventStore/sqliteEventStore.ts';
import { loadSubscriptionsFile } from '../../functions/subscriptions/subscriptionConfig.ts';
import { createWebhookSubscriptions } from '../../functions/subscriptions/webhookSubscriptions.ts';

const db = openSqlite({ file: process.env.FLEET_TEST_DB! });
const events = createSqliteEventStore(db);
createWebhookSubscriptions({
  db,
  events,
  subscriptions: loadSubscriptionsFile(process.env.FLEET_SUBSCRIPTIONS_FILE!),
  backoff: { baseDelayMs: 2, maxDelayMs: 10 },
  onOutcome: (o) => {
    if (o.kind === 'delivered') process.stdout.write(`delivered ${o.eventId}\n`);
  },
});
process.stdout.write('ready\n');
// Keep running until killed, even with nothing left to do.
setInterval(() => undefined, 60_000);

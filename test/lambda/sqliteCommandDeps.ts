import type { AlarmRow } from '../../events/projections/alarms.ts';
import { alarmKey } from '../../events/projections/alarms.ts';
import { asyncCommandAudit } from '../../functions/commands/commandAuditPort.ts';
import { sessionsHolderLookup } from '../../functions/commands/deviceHolder.ts';
import { createSqliteCommandAudit } from '../../functions/commands/sqliteCommandAudit.ts';
import type { SqliteDatabase } from '../../functions/eventStore/sqliteDatabase.ts';
import type { AwsCommandDeps } from '../../functions/lambda/awsApi.ts';
import { createSqliteProjectionStore } from '../../functions/projections/sqliteProjectionStore.ts';
import { systemClock } from '../../functions/shared/clock.ts';

/**
 * The command routes' ports over a SQLite projection store, for tests of buildAwsApi that are about
 * other routes (the command routes on DynamoDB have their own test, commandsApiOnAws.int.test.ts).
 * Commands are refused by the publisher: nothing in these tests listens.
 */
export const sqliteCommandDeps = (db: SqliteDatabase): AwsCommandDeps => {
  const store = createSqliteProjectionStore(db);
  return {
    audit: asyncCommandAudit(createSqliteCommandAudit(db)),
    holderOf: sessionsHolderLookup(store),
    publisher: { publish: () => Promise.reject(new Error('no broker in this test')) },
    alarmOf: (thingName, alarmId) => Promise.resolve(store.getRow('alarms', alarmKey(thingName, alarmId)) as AlarmRow | undefined),
    clock: systemClock,
  };
};

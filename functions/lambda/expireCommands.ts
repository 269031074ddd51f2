import { expireCommand } from '../commands/commandExpiry.ts';
import { sweepDueCommands } from '../commands/sweepDueCommands.ts';
import { systemClock } from '../shared/clock.ts';
import { awsCommandAudit, awsEventStore } from './awsAdapters.ts';
import { logger, observed } from './observability.ts';

// Composition root of the command expiry sweep, run every minute by an EventBridge schedule: the
// open commands past their expiry (the audit table's openByExpiry index) are timed out through
// the same expireCommand the embedded sweeper uses. A sweep that fails throws, so the rule's
// retries and dead-letter queue keep the run; the next minute's sweep finds the same commands anyway.
const audit = awsCommandAudit();
const sweep = sweepDueCommands({
  clock: systemClock,
  due: (now, limit) => audit.due(now, limit),
  expire: expireCommand({ events: awsEventStore(), clock: systemClock }),
});

export const handler = observed(
  async (): Promise<{ due: number; expired: number }> => {
    const result = await sweep();
    if (result.expired > 0) logger.info('commands timed out', { ...result });
    return result;
  },
  { result: (r) => ({ CommandsExpired: r.expired }) },
);

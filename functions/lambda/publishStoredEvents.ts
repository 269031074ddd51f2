import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { createEventBridgeBus } from '../bus/eventBridgeBus.ts';
import { LAMBDA_ENV, requiredEnv } from './env.ts';
import { counted, logger, observed } from './observability.ts';
import { publishStoredEvents } from './storedEventPublisher.ts';

// Composition root of the outbox on the event store's stream: config and client once per container.
const bus = createEventBridgeBus({ client: new EventBridgeClient({}), eventBusName: requiredEnv(LAMBDA_ENV.eventBusName) });

// The handler answers with the record to retry from, not with counts: the bus's puts are counted instead.
const put = counted(
  bus.put.bind(bus),
  (result) => ({
    EventsPublished: result.Entries.filter((e) => e.ErrorCode === undefined).length,
    PublishFailures: result.Entries.filter((e) => e.ErrorCode !== undefined).length,
  }),
  () => ({ PublishFailures: 1 }),
);

export const handler = observed(publishStoredEvents({ bus: { put }, log: (message) => logger.error(message) }));

import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { createEventBridgeBus } from '../bus/eventBridgeBus.ts';
import { LAMBDA_ENV, requiredEnv } from './env.ts';
import { publishStoredEvents } from './storedEventPublisher.ts';

// Composition root of the outbox on the event store's stream: config and client once per container.
const bus = createEventBridgeBus({ client: new EventBridgeClient({}), eventBusName: requiredEnv(LAMBDA_ENV.eventBusName) });

export const handler = publishStoredEvents({ bus });

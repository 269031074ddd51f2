import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { createEventBridgeBus } from '../bus/eventBridgeBus.ts';
import { LAMBDA_ENV, requiredEnv } from './env.ts';
import { decodeIotRuleMessage } from './iotRuleMessage.ts';
import { observed } from './observability.ts';

// Composition root of the device-data IoT rules' Lambda action: config and clients once per container.
const bus = createEventBridgeBus({ client: new EventBridgeClient({}), eventBusName: requiredEnv(LAMBDA_ENV.eventBusName) });

export const handler = observed(decodeIotRuleMessage({ bus }), {
  result: (r) => (r.rejected ? { MessagesRejected: 1 } : { MessagesDecoded: 1 }),
});

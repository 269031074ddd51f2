import { awsEventStore } from './awsAdapters.ts';
import { handleCommandAnswerRule } from './commandAnswerRule.ts';

// Composition root of the command-answer rule's Lambda action (cmd/lwm2m/+/res/+).
export const handler = handleCommandAnswerRule({ events: awsEventStore() });

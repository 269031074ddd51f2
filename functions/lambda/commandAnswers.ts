import { awsEventStore } from './awsAdapters.ts';
import { handleCommandAnswerRule } from './commandAnswerRule.ts';
import { observed } from './observability.ts';

// Composition root of the command-answer rule's Lambda action (cmd/lwm2m/+/res/+).
const OUTCOME_METRIC = { applied: 'CommandAnswersApplied', duplicate: 'CommandAnswersDuplicate', rejected: 'CommandAnswersRejected' } as const;

export const handler = observed(handleCommandAnswerRule({ events: awsEventStore() }), { result: (r) => ({ [OUTCOME_METRIC[r.kind]]: 1 }) });

import { PutEventsCommand, type PutEventsCommandOutput, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { Bus, BusEntry, PutResult, PutResultEntry } from './bus.ts';
import { checkEntry, checkEntryCount } from './putEventsLimits.ts';

/** The one call this adapter makes; an EventBridgeClient satisfies it, and so does a test double. */
export interface PutEventsSender {
  send(command: PutEventsCommand): Promise<PutEventsCommandOutput>;
}

export interface EventBridgeBusOptions {
  client: PutEventsSender;
  /** Name or ARN of the bus the CDK app created. */
  eventBusName: string;
}

const toRequestEntry = (entry: BusEntry, detailJson: string, eventBusName: string): PutEventsRequestEntry => ({
  Source: entry.Source,
  DetailType: entry.DetailType,
  Detail: detailJson,
  EventBusName: eventBusName,
  ...(entry.Resources ? { Resources: [...entry.Resources] } : {}),
  ...(entry.Time ? { Time: entry.Time } : {}),
});

/**
 * The AWS adapter of the Bus port: PutEvents on an EventBridge bus. Entries that would fail the
 * API's own checks fail here with the same error codes without being sent; the rest go in one request
 * and EventBridge's per-entry outcome is reported in the caller's order.
 */
export const createEventBridgeBus = ({ client, eventBusName }: EventBridgeBusOptions): Bus => ({
  async put(entries) {
    checkEntryCount(entries);
    const checked = (entries as unknown[]).map(checkEntry);
    const results: PutResultEntry[] = checked.map((c) => (c.ok ? {} : { ...c.error }));
    const sentAt: number[] = [];
    const request: PutEventsRequestEntry[] = [];
    checked.forEach((c, i) => {
      if (!c.ok) return;
      sentAt.push(i);
      request.push(toRequestEntry(c.entry, c.detailJson, eventBusName));
    });
    if (request.length > 0) {
      const output = await client.send(new PutEventsCommand({ Entries: request }));
      const answered = output.Entries ?? [];
      sentAt.forEach((position, k) => {
        const answer = answered[k];
        if (answer?.ErrorCode !== undefined) {
          results[position] = { ErrorCode: answer.ErrorCode, ErrorMessage: answer.ErrorMessage ?? answer.ErrorCode };
        } else if (answer?.EventId !== undefined) {
          results[position] = { EventId: answer.EventId };
        } else {
          // Never report an event as published when EventBridge did not say so.
          results[position] = {
            ErrorCode: 'InternalFailure',
            ErrorMessage: `EventBridge confirmed no event id for this entry (${answered.length} results for ${request.length} entries): put it again`,
          };
        }
      });
    }
    const result: PutResult = {
      FailedEntryCount: results.filter((r) => r.ErrorCode !== undefined).length,
      Entries: results,
    };
    return result;
  },
  subscribe() {
    throw new Error(
      'On AWS, subscriptions are EventBridge rules declared in the CDK app (infra/), not made at run time: add a rule with this pattern and target there',
    );
  },
});

import type { AppendRequest } from '../eventStore/eventStore.ts';
import type { BootstrapRejection } from './bootstrapDecision.ts';
import { deviceStreamId, endpointStreamId } from './bootstrapStreams.ts';
import { derivedEvent } from '../shared/derivedEvent.ts';
import { BOOTSTRAP_ACTOR } from './bootstrapActor.ts';

export interface Refusal {
  readonly endpoint: string;
  /** The endpoint names a device the fleet has a stream for (provisioned once, maybe deprovisioned since). */
  readonly known: boolean;
  readonly bridgeId: string;
  readonly reason: BootstrapRejection;
  /** The registration or request refused (bootstrapTrigger.ts). */
  readonly trigger: string;
}

/**
 * BootstrapRejected for one trigger. The bridge-message handler refuses strangers at once and the
 * workflow refuses the rest; both build the event here, so the same refusal reached by both paths
 * (a race with deprovisioning, a redelivery) has one id and is stored once.
 */
export const rejectionAppend = (r: Refusal): AppendRequest => ({
  streamId: r.known ? deviceStreamId(r.endpoint) : endpointStreamId(r.endpoint),
  expectedVersion: 'any',
  events: [
    derivedEvent(
      'BootstrapRejected',
      { endpoint: r.endpoint, ...(r.known ? { thingName: r.endpoint } : {}), bridgeId: r.bridgeId, reason: r.reason },
      [r.endpoint, r.bridgeId, r.trigger, r.reason],
      BOOTSTRAP_ACTOR,
      r.trigger,
    ),
  ],
});

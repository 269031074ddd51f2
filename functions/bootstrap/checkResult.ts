import { z } from 'zod';
import type { EventStore } from '../eventStore/eventStore.ts';
import { BootstrapInput, parseTaskInput } from './bootstrapInput.ts';
import { deviceStreamId } from './bootstrapStreams.ts';

export interface CheckResultDeps {
  readonly eventStore: Pick<EventStore, 'readStream'>;
}

export const CheckResultInput = BootstrapInput.pick({ thingName: true, bridgeId: true }).extend({
  requestId: z.string().min(1).max(64),
  fromPosition: z.number().int().nonnegative(),
  attempt: z.number().int().nonnegative(),
});

/** Every field always present (empty strings when not known): the Choice and Pass states read them by path. */
export interface Poll {
  readonly status: 'pending' | 'ok' | 'failed';
  /** How many times the result was looked for, this time included: the Choice bounds the wait with it. */
  readonly attempt: number;
  readonly lwm2mCode: string;
  readonly message: string;
}

/**
 * CheckResult: has the bridge reported how the delivery went? It looks in the device's stream
 * after the position the delivery started from, for a BootstrapResultReported with this request id
 * from the bridge the delivery went to; a result from another bridge proves nothing and is ignored.
 * No result yet is `pending`, not an error: the state machine waits and asks again.
 */
export const checkResult =
  (deps: CheckResultDeps) =>
  async (input: unknown): Promise<Poll> => {
    const { thingName, bridgeId, requestId, fromPosition, attempt } = parseTaskInput(CheckResultInput, input, 'CheckResult');
    const events = await deps.eventStore.readStream(deviceStreamId(thingName), { from: fromPosition + 1 });
    for (const event of events) {
      if (event.type !== 'BootstrapResultReported') continue;
      const data = event.data as { requestId: string; bridgeId: string; ok: boolean; lwm2mCode: string; message?: string };
      if (data.requestId !== requestId || data.bridgeId !== bridgeId) continue;
      return { status: data.ok ? 'ok' : 'failed', attempt: attempt + 1, lwm2mCode: data.lwm2mCode, message: data.message ?? '' };
    }
    return { status: 'pending', attempt: attempt + 1, lwm2mCode: '', message: '' };
  };

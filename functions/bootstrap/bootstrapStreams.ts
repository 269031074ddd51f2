import { streamIdFor } from '../../events/envelope.ts';

/**
 * Where a refusal goes when the endpoint is no device of the fleet: a stream of its own, named by
 * the endpoint, so a stranger never gets a `device-` stream (which would make it look provisioned
 * to anything that checks for one) and every refusal of that name can still be read back together.
 */
export const endpointStreamId = (endpoint: string): string => `endpoint-${endpoint}`;

/** A bridge's own facts (status changes) and the messages of it that were refused. */
export const bridgeStreamId = (bridgeId: string): string => `bridge-${bridgeId}`;

export const deviceStreamId = (thingName: string): string => streamIdFor.device(thingName);

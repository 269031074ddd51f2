import { SECURITY } from '../../../schemas/lwm2m/index.ts';
import { single, type ObjectBehaviour, type ResourceContent } from '../objectTree.ts';
import { boolean, integer, text } from './values.ts';

/** Security Mode 3: NoSec (plain CoAP); the simulator has no DTLS yet. */
const NO_SEC = 3;

/**
 * Object 0: how the device reaches its LwM2M server. Present because a real client has it, but
 * never readable or writable by the server (4.01 from the management interface) and never listed
 * in a registration (LwM2M Core 1.1 §6.2.1).
 */
export const securityBehaviour = (): ObjectBehaviour => ({ definition: SECURITY, supported: [0, 1, 2, 10] });

export const securityInstance = (serverUri: string, shortServerId: number): Map<number, ResourceContent> =>
  new Map([
    [0, single(text(serverUri))],
    [1, single(boolean(false))],
    [2, single(integer(NO_SEC))],
    [10, single(integer(shortServerId))],
  ]);

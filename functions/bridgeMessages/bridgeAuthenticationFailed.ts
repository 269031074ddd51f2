import { isDeviceThingName } from '../../schemas/topics/topics.ts';
import { authenticationFailedAppend } from '../dtls/authenticationFailures.ts';
import type { BridgeMessageDeps } from './bridgePorts.ts';
import type { BridgeMessageResult, Handling } from './handleBridgeMessage.ts';
import type { ReadBridgeMessage } from './readBridgeMessage.ts';

/** Whether the fleet knows a device of this name, in any status (deprovisioned too), as the embedded recorder's isKnownDevice. */
const isKnownDevice = async (deps: BridgeMessageDeps, thingName: string): Promise<boolean> =>
  isDeviceThingName(thingName) && (await deps.deviceStatus(thingName, 'recent')) !== undefined;

/**
 * A standalone bridge's report of refused peers becomes DeviceAuthenticationFailed, built by the
 * same function the embedded recorder appends with (functions/dtls/authenticationFailures.ts), so
 * both land in the same stream with the same data.
 *
 * The stream: the device's when the fleet knows it, `identity-<identity>` otherwise. The bridge's
 * thingName is checked rather than trusted (its PSK objects may name a device the directory never
 * had), and an identity that names a known device is that device's, as embedded; a stranger never
 * gets a `device-` stream. The event id derives from the message, so a redelivery appends nothing.
 */
export const authenticationFailed = async (h: Handling, read: Extract<ReadBridgeMessage, { kind: 'auth-failed' }>): Promise<BridgeMessageResult> => {
  const { thingName: claimed, ...report } = read.body;
  const thingName =
    claimed !== undefined ? ((await isKnownDevice(h.deps, claimed)) ? claimed : undefined) : (await isKnownDevice(h.deps, report.identity)) ? report.identity : undefined;
  const append = authenticationFailedAppend({ ...report, ...(thingName === undefined ? {} : { thingName }) }, read.bridgeId, { idParts: [h.messageId], correlationId: h.messageId });
  await h.deps.events.append(append);
  return { outcome: 'recorded', events: ['DeviceAuthenticationFailed'] };
};

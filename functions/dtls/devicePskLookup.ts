import type { DeviceStatus } from '../../events/projections/devices.ts';
import type { ObjectStore } from '../objectStore/objectStore.ts';
import { deviceForIdentity, type DevicePsk } from './devicePsk.ts';

/** The device's status as the fleet knows it; undefined for a device never provisioned. */
export type DeviceStatusOf = (thingName: string) => Promise<DeviceStatus | undefined>;

export interface DevicePskLookupDeps {
  /** The encrypted credentials area (devicePsk.ts). */
  readonly credentials: ObjectStore;
  readonly deviceStatus: DeviceStatusOf;
}

/** What a PSK identity may be (the manifest's rule): 1 to 128 printable ASCII bytes, no spaces. */
const isIdentity = (bytes: Buffer): boolean => bytes.length >= 1 && bytes.length <= 128 && bytes.every((b) => b >= 0x21 && b <= 0x7e);

/**
 * The DTLS server's pskLookup for the fleet: the PSK and device of a handshake's identity, or
 * undefined (the client then gets unknown_psk_identity) for an identity no device holds, and for a
 * device that is not in the fleet now. Deprovisioning deletes the PSK too; the status check also
 * covers a PSK stored for a manifest row whose device was never provisioned.
 */
export const createDevicePskLookup =
  (deps: DevicePskLookupDeps) =>
  async (identity: Buffer): Promise<DevicePsk | undefined> => {
    if (!isIdentity(identity)) return undefined;
    const psk = await deviceForIdentity(deps.credentials, identity.toString('ascii'));
    if (psk === undefined) return undefined;
    const status = await deps.deviceStatus(psk.thingName);
    return status === 'provisioned' || status === 'bootstrapped' ? psk : undefined;
  };

import type { Location } from '../catalog/index.ts';
import { defineProjection } from './projection.ts';

export type DeviceStatus = 'provisioned' | 'bootstrapped' | 'deprovisioned';

export interface DeviceRow {
  readonly thingName: string;
  readonly tenant: string;
  readonly location: Location;
  readonly attributes: Readonly<Record<string, string>>;
  readonly thingGroup?: string | undefined;
  readonly deviceType?: string | undefined;
  readonly certificateId?: string | undefined;
  readonly status: DeviceStatus;
  readonly provisionedAt: string;
  readonly bootstrappedAt?: string | undefined;
  readonly deprovisionedAt?: string | undefined;
  /** Set while an LwM2M server holds a registration for the device. */
  readonly registration?: { readonly bridgeId: string; readonly endpoint: string; readonly queueMode: boolean; readonly since: string } | undefined;
}

/** The device directory: what is known about every device a manifest brought in. */
export const devicesProjection = defineProjection({
  name: 'devices',
  version: 1,
  handles: [
    'DeviceProvisioned',
    'DeviceAttributesChanged',
    'DeviceBootstrapped',
    'DeviceRegistered',
    'DeviceDeregistered',
    'DeviceDeprovisioned',
  ],
  keys: (event) => [event.data.thingName],
  apply(row: DeviceRow | undefined, event): DeviceRow | undefined {
    switch (event.type) {
      case 'DeviceProvisioned': {
        const d = event.data;
        return {
          thingName: d.thingName,
          tenant: d.tenant,
          location: d.location,
          attributes: d.attributes,
          thingGroup: d.thingGroup,
          deviceType: d.deviceType,
          certificateId: d.certificateId,
          status: 'provisioned',
          provisionedAt: event.recordedAt,
        };
      }
      case 'DeviceAttributesChanged': {
        if (!row) return row;
        const d = event.data;
        const attributes = { ...row.attributes, ...d.set };
        for (const k of d.removed) delete attributes[k];
        return {
          ...row,
          attributes,
          ...(d.tenant === undefined ? {} : { tenant: d.tenant }),
          ...(d.location === undefined ? {} : { location: d.location }),
          ...(d.thingGroup === undefined ? {} : { thingGroup: d.thingGroup ?? undefined }),
          ...(d.deviceType === undefined ? {} : { deviceType: d.deviceType ?? undefined }),
        };
      }
      case 'DeviceBootstrapped':
        return row && { ...row, status: 'bootstrapped', bootstrappedAt: event.recordedAt };
      case 'DeviceRegistered':
        return (
          row && {
            ...row,
            registration: { bridgeId: event.data.bridgeId, endpoint: event.data.endpoint, queueMode: event.data.queueMode, since: event.data.registeredAt },
          }
        );
      case 'DeviceDeregistered':
        return row && { ...row, registration: undefined };
      case 'DeviceDeprovisioned':
        return row && { ...row, status: 'deprovisioned', deprovisionedAt: event.recordedAt, registration: undefined, certificateId: undefined };
      default:
        return row;
    }
  },
});

import type { DeviceSessionRow } from '../../events/projections/deviceSessions.ts';
import type { ProjectionStore } from '../projections/projectionStore.ts';

/** Which bridge can take a command for a device right now, or why none can. */
export type Holder =
  | { readonly held: true; readonly bridgeId: string; readonly queueMode: boolean }
  | { readonly held: false; readonly reason: string };

/**
 * The port the command handler asks: "who holds this device?" (the device-sessions projection
 * answers). Embedded reads SQLite synchronously; the DynamoDB adapter (dynamoDeviceHolder.ts) awaits.
 */
export type DeviceHolderLookup = (thingName: string, now: Date) => Holder | Promise<Holder>;

const ENDED: Readonly<Record<string, string>> = {
  deregistered: 'it de-registered from its LwM2M server',
  'lifetime-expired': 'its registration lifetime ran out',
  'bridge-offline': 'the bridge that held it went offline',
};

/**
 * Reads the `device-sessions` projection (bridge register/update/deregister and bridge status
 * events). A registration whose lifetime has passed without an Update counts as gone even before
 * the bridge says so: the LwM2M server has dropped it, so the command could not be delivered.
 */
/** The answer a session row gives at `now`, whichever store it came from. */
export const holderFromRow = (row: DeviceSessionRow | undefined, thingName: string, now: Date): Holder => {
  if (!row?.bridgeId || (!row.registered && row.endedReason === undefined)) {
    return { held: false, reason: `no bridge holds ${thingName}: it has not registered with an LwM2M server` };
  }
  if (!row.registered) {
    return { held: false, reason: `no bridge holds ${thingName}: ${ENDED[row.endedReason ?? ''] ?? 'its registration ended'}${row.endedAt ? ` at ${row.endedAt}` : ''}` };
  }
  if (row.expiresAt !== undefined && Date.parse(row.expiresAt) < now.getTime()) {
    return { held: false, reason: `no bridge holds ${thingName}: its registration expired at ${row.expiresAt} without an Update` };
  }
  return { held: true, bridgeId: row.bridgeId, queueMode: row.queueMode };
};

export const sessionsHolderLookup =
  (store: Pick<ProjectionStore, 'getRow'>, projection = 'device-sessions'): DeviceHolderLookup =>
  (thingName, now) =>
    holderFromRow(store.getRow(projection, thingName) as DeviceSessionRow | undefined, thingName, now);

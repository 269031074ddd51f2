import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DeviceRow, DeviceStatus } from '../../events/projections/devices.ts';
import type { BridgeMessageDeps } from '../bridgeMessages/bridgePorts.ts';
import { ingestThroughBus } from '../bridgeMessages/ingestThroughBus.ts';
import type { Bus } from '../bus/bus.ts';
import type { EventStore } from '../eventStore/eventStore.ts';
import { dynamoSessionsHeldBy } from '../projections/dynamoDeviceSessions.ts';
import { PROJECTION_ROW_KEY } from '../projections/projectionTableDesign.ts';
import { readDeviceRecord } from '../provisioning/deviceRecord.ts';

export interface AwsBridgePortsOptions {
  readonly events: EventStore;
  /** The directory projection table (devices projection rows, functions/projections/dynamoProjectionTables.ts). */
  readonly directory: { readonly client: Pick<DynamoDBDocumentClient, 'send'>; readonly tableName: string };
  /** The device-sessions projection table: which devices a bridge that went offline held. */
  readonly sessions: { readonly client: Pick<DynamoDBDocumentClient, 'send'>; readonly tableName: string };
  /** The fleet bus, where the ingest rule appends what the decode step puts (ingestThroughBus). */
  readonly bus: Pick<Bus, 'put'>;
  readonly startBootstrap: BridgeMessageDeps['startBootstrap'];
}

const directoryStatus = async (o: AwsBridgePortsOptions['directory'], thingName: string): Promise<DeviceStatus | undefined> => {
  const out = await o.client.send(new GetCommand({ TableName: o.tableName, Key: { [PROJECTION_ROW_KEY]: thingName }, ProjectionExpression: '#row', ExpressionAttributeNames: { '#row': 'row' } }));
  const text: unknown = out.Item?.row;
  if (typeof text !== 'string') return undefined;
  try {
    return (JSON.parse(text) as Partial<DeviceRow>).status;
  } catch {
    // A row this adapter cannot read is treated as unknown: the device's own stream answers instead.
    return undefined;
  }
};

/**
 * The bridge-message handler's ports on AWS, so the Lambda behind the bridge rules runs the very
 * handler (and bootstrap trigger decision) the embedded broker runs:
 *
 * - deviceStatus `exact` (a registration or bootstrap request, which may start a bootstrap) folds the
 *   device's own stream, never behind; `recent` (notify, send, update) reads the directory table
 *   and falls back to the stream for a device the table does not know yet, so a new device is not
 *   turned away by a projection a moment behind.
 * - sessionsHeldBy queries the device-sessions table's byBridge index (dynamoDeviceSessions.ts), so
 *   a bridge's offline status ends the sessions it held, as embedded.
 * - ingestState puts the decode step's entries on the fleet bus, where the ingest rule appends
 *   them, exactly as a device's own message goes.
 * - startBootstrap starts the bootstrap state machine (startBootstrapExecution.ts).
 */
export const awsBridgePorts = (o: AwsBridgePortsOptions): BridgeMessageDeps => ({
  events: o.events,
  async deviceStatus(thingName, freshness) {
    if (freshness === 'recent') {
      const status = await directoryStatus(o.directory, thingName);
      if (status !== undefined) return status;
    }
    return (await readDeviceRecord(o.events, thingName)).row?.status;
  },
  sessionsHeldBy: dynamoSessionsHeldBy(o.sessions),
  ingestState: ingestThroughBus(o.bus),
  startBootstrap: o.startBootstrap,
});

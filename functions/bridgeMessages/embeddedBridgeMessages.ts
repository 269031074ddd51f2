import { deviceSessionsProjection, type DeviceSessionRow } from '../../events/projections/deviceSessions.ts';
import { devicesProjection, type DeviceRow } from '../../events/projections/devices.ts';
import { BOOTSTRAP_STATE_MACHINE } from '../bootstrap/bootstrapTasks.ts';
import type { InboundMessage } from '../broker/embeddedBroker.ts';
import type { EventStore } from '../eventStore/eventStore.ts';
import type { DeviceMessage } from '../ingestion/decodeDeviceMessage.ts';
import type { ProjectionEngine } from '../projections/projectionEngine.ts';
import type { ProjectionStore } from '../projections/projectionStore.ts';
import { readDeviceRecord } from '../provisioning/deviceRecord.ts';
import type { WorkflowEngine } from '../workflows/workflowEngine.ts';
import type { BridgeMessageDeps } from './bridgePorts.ts';
import { currentDeviceRow } from './currentDeviceRow.ts';
import type { BridgeRuleMessage } from './bridgeRuleMessage.ts';

export interface EmbeddedBridgePortsOptions {
  /** Appends and stream reads; give it a group-committing store when messages arrive in bursts. */
  readonly events: EventStore;
  readonly projectionStore: ProjectionStore;
  readonly projections: Pick<ProjectionEngine, 'settled'>;
  /** The ingestion path's entrance for relayed device state (ingestThroughBus). */
  readonly ingest: (message: DeviceMessage) => Promise<void>;
  readonly workflows: Pick<WorkflowEngine, 'startExecution'>;
}

/** The bridge-message ports on one machine: SQLite store and projections, the in-process pipeline, the local engine. */
export const embeddedBridgePorts = (o: EmbeddedBridgePortsOptions): BridgeMessageDeps => ({
  events: o.events,
  async deviceStatus(thingName, freshness) {
    // Exact: the projected row plus the device's events past its checkpoint, without waiting for the engine.
    if (freshness === 'exact') return (await currentDeviceRow(o.events, o.projectionStore, thingName))?.status;
    // Recent: the projection answers (a few milliseconds behind at most); the stream is read only for
    // a name it does not know, where being behind would turn a new device away.
    const row = o.projectionStore.getRow(devicesProjection.name, thingName) as DeviceRow | undefined;
    if (row) return row.status;
    return (await readDeviceRecord(o.events, thingName)).row?.status;
  },
  async sessionsHeldBy(bridgeId) {
    // Caught up first: a registration the bridge sent just before going offline must be among them.
    await o.projections.settled();
    const held = [];
    for (const value of o.projectionStore.allRows(deviceSessionsProjection.name).values()) {
      const row = value as DeviceSessionRow;
      if (row.registered && row.bridgeId === bridgeId && row.endpoint !== undefined && row.lastUpdateAt !== undefined) {
        held.push({ thingName: row.thingName, endpoint: row.endpoint, lastUpdateAt: row.lastUpdateAt });
      }
    }
    return held;
  },
  ingestState: o.ingest,
  async startBootstrap({ name, input }) {
    await o.workflows.startExecution(BOOTSTRAP_STATE_MACHINE, input, { name });
  },
});

/** A message from the embedded broker in the shape the IoT rule gives the Lambda, so both run the same handler. */
export const toRuleMessage = (m: InboundMessage, receivedAt: Date): BridgeRuleMessage => ({
  topic: m.topic,
  clientId: m.identity.clientId,
  payloadBase64: m.payload.toString('base64'),
  receivedAt: receivedAt.getTime(),
  ...(m.packetId === undefined ? {} : { deliveryKey: `${m.identity.clientId}:${m.packetId}` }),
});

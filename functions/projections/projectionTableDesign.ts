import { alarmsProjection, type AlarmRow } from '../../events/projections/alarms.ts';
import { commandAuditProjection, type CommandAuditRow } from '../../events/projections/commandAudit.ts';
import { deviceSessionsProjection, type DeviceSessionRow } from '../../events/projections/deviceSessions.ts';
import { deviceStateProjection } from '../../events/projections/deviceState.ts';
import { devicesProjection, type DeviceRow } from '../../events/projections/devices.ts';
import type { AnyProjection } from '../../events/projections/projection.ts';
import { rejectionsProjection, type RejectionRow } from '../../events/projections/rejections.ts';

export interface ProjectionIndex {
  readonly indexName: string;
  /** Top-level string attributes copied from the row (`indexAttributes`). */
  readonly partitionKey: string;
  readonly sortKey: string;
}

export interface ProjectionTableDesign {
  readonly projection: AnyProjection;
  readonly indexes: readonly ProjectionIndex[];
  readonly indexAttributes?: (row: unknown) => Record<string, string | number | undefined>;
}

/**
 * A rejection's place in the newest-first order as one string, `receivedAt#eventId`, that sorts as
 * the pair (receivedAt, eventId) does in the SQLite adapter: every character an ISO 8601 time can
 * hold sorts after "#", so where one time is a prefix of another the shorter still sorts first.
 */
export const rejectionOrderKey = (row: Pick<RejectionRow, 'receivedAt' | 'eventId'>): string => `${row.receivedAt}#${row.eventId}`;

/** A command's place in the newest-first audit order, `requestedAt#commandId` (as rejectionOrderKey). */
export const auditOrderKey = (row: Pick<CommandAuditRow, 'requestedAt' | 'commandId'>): string => `${row.requestedAt}#${row.commandId}`;

/**
 * The one partition of the audit's time index and of its open-commands index. Commands are
 * operator actions (a few per second at most, each row written three or four times), far below
 * what one partition takes (1,000 writes/s), and one partition gives a single newest-first order.
 */
export const AUDIT_TIME_PARTITION = 'audit';
export const AUDIT_OPEN_PARTITION = 'open';

/**
 * The projection tables on AWS, as plain data so the CDK app, the projector Lambda and the tests
 * build the same tables (as dynamoTableDesign.ts does for the event store). Every table is keyed
 * by `pk` (S), the projection's row key; item layout: dynamoProjectionTables.ts.
 */
export const PROJECTION_TABLES = {
  deviceState: { projection: deviceStateProjection, indexes: [] },
  alarms: {
    projection: alarmsProjection,
    // A device's alarms, active or cleared: `alarmState` lets a query keep the active ones.
    indexes: [{ indexName: 'byThing', partitionKey: 'thingName', sortKey: 'pk' }],
    indexAttributes: (row) => ({ thingName: (row as AlarmRow).thingName, alarmState: (row as AlarmRow).state }),
  },
  directory: {
    projection: devicesProjection,
    // The directory search starts from a tenant; attributes and geography filter within it.
    indexes: [{ indexName: 'byTenant', partitionKey: 'tenant', sortKey: 'pk' }],
    indexAttributes: (row) => ({ tenant: (row as DeviceRow).tenant, status: (row as DeviceRow).status }),
  },
  rejections: {
    projection: rejectionsProjection,
    // Listed newest first, by stage or by device (unattributed rejections have no thingName, so
    // byThing is sparse); all stages together are a merge of the four byStage partitions.
    indexes: [
      { indexName: 'byStage', partitionKey: 'stage', sortKey: 'receivedKey' },
      { indexName: 'byThing', partitionKey: 'thingName', sortKey: 'receivedKey' },
    ],
    indexAttributes: (row) => ({ stage: (row as RejectionRow).stage, thingName: (row as RejectionRow).thingName, receivedKey: rejectionOrderKey(row as RejectionRow) }),
  },
  deviceSessions: {
    projection: deviceSessionsProjection,
    // The devices a bridge holds now (its offline status ends their sessions): sparse, only
    // registered rows carry `heldBy`.
    indexes: [{ indexName: 'byBridge', partitionKey: 'heldBy', sortKey: 'pk' }],
    indexAttributes: (row) => ({ heldBy: (row as DeviceSessionRow).registered ? (row as DeviceSessionRow).bridgeId : undefined }),
  },
  commandAudit: {
    projection: commandAuditProjection,
    // Newest first by device, by operator, or all of them (a time range is a key range on
    // requestedKey); the open commands by expiry, for the expiry sweep (sparse: closed rows leave it).
    indexes: [
      { indexName: 'byThing', partitionKey: 'thingName', sortKey: 'requestedKey' },
      { indexName: 'byOperator', partitionKey: 'operator', sortKey: 'requestedKey' },
      { indexName: 'byTime', partitionKey: 'auditPartition', sortKey: 'requestedKey' },
      { indexName: 'openByExpiry', partitionKey: 'openPartition', sortKey: 'expiresAt' },
    ],
    indexAttributes: (row) => {
      const r = row as CommandAuditRow;
      return {
        thingName: r.thingName,
        operator: r.operator,
        auditPartition: AUDIT_TIME_PARTITION,
        requestedKey: auditOrderKey(r),
        openPartition: r.open && r.expiresAt !== undefined ? AUDIT_OPEN_PARTITION : undefined,
        expiresAt: r.expiresAt,
      };
    },
  },
} as const satisfies Record<string, ProjectionTableDesign>;

export type ProjectionTableName = keyof typeof PROJECTION_TABLES;

/** The row key attribute of every projection table. */
export const PROJECTION_ROW_KEY = 'pk';

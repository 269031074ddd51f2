import { alarmsProjection, type AlarmRow } from '../../events/projections/alarms.ts';
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
} as const satisfies Record<string, ProjectionTableDesign>;

export type ProjectionTableName = keyof typeof PROJECTION_TABLES;

/** The row key attribute of every projection table. */
export const PROJECTION_ROW_KEY = 'pk';

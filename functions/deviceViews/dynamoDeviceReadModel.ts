import { GetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AlarmRow } from '../../events/projections/alarms.ts';
import type { DeviceStateRow } from '../../events/projections/deviceState.ts';
import type { RejectionRow } from '../../events/projections/rejections.ts';
import type { EventStore } from '../eventStore/eventStore.ts';
import { ROW_ATTRIBUTES, rowOfItem } from '../projections/dynamoProjectionRows.ts';
import { PROJECTION_ROW_KEY, PROJECTION_TABLES, rejectionOrderKey } from '../projections/projectionTableDesign.ts';
import { REJECTION_STAGES, type AlarmStatusFilter, type DeviceReadModel, type Page, type RejectionPageRequest } from './deviceReadModel.ts';
import { dynamoRejectedPayloads } from './dynamoRejectedPayloads.ts';

export interface DynamoDeviceReadModelOptions {
  readonly client: Pick<DynamoDBDocumentClient, 'send'>;
  /** The projection tables the stream projector folds (projectionTableDesign.ts). */
  readonly tables: { readonly deviceState: string; readonly alarms: string; readonly rejections: string };
  /** The event store table and port: rejected payloads are read from the events that kept them. */
  readonly eventStore: { readonly tableName: string; readonly events: Pick<EventStore, 'readStream'> };
}

const [ALARMS_BY_THING] = PROJECTION_TABLES.alarms.indexes;
const [REJECTIONS_BY_STAGE, REJECTIONS_BY_THING] = PROJECTION_TABLES.rejections.indexes;

/** Filters the alarms index can apply (alarmState is a top-level copy); acknowledgement is inside the row. */
const ALARM_STATE: Readonly<Record<AlarmStatusFilter, 'active' | 'cleared' | undefined>> = { active: 'active', cleared: 'cleared', acknowledged: undefined, all: undefined };

/** UTF-8 byte order: how DynamoDB sorts string keys, so a merge of partitions keeps their order. */
const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/**
 * The device views' projection reads on DynamoDB, over the tables the stream projector folds:
 *
 * - state: one GetItem on `DeviceState` (a tombstone, left by a deprovisioning, is no row);
 * - alarms: the `byThing` index of `Alarms`, in alarm-id order from the cursor on; active and
 *   cleared are filtered by DynamoDB, acknowledged here (it is inside the row);
 * - rejections: newest first from the `Rejections` indexes, `byThing` for a device and `byStage`
 *   for a stage; the whole list is the merge of the four stage partitions' newest, which spreads
 *   a burst of rejections over four index partitions instead of one;
 * - payloads: from the event store, by event id (dynamoRejectedPayloads.ts).
 */
export const createDynamoDeviceReadModel = (options: DynamoDeviceReadModelOptions): DeviceReadModel => {
  const { client, tables } = options;

  /**
   * Matching rows from one index partition, in its order, until `take` of them: each request reads
   * at most `take` items, so a page costs about one request unless a filter here drops rows.
   */
  const fromIndex = async <Row>(
    request: {
      readonly tableName: string;
      readonly indexName: string;
      readonly partition: readonly [attribute: string, value: string];
      readonly sortKey: string;
      readonly bound?: { readonly op: '>' | '<'; readonly value: string } | undefined;
      readonly newestFirst?: boolean;
      readonly filter?: readonly [attribute: string, value: string] | undefined;
    },
    take: number,
    keep: (row: Row) => boolean = () => true,
  ): Promise<Row[]> => {
    const names: Record<string, string> = { ...ROW_ATTRIBUTES.names, '#part': request.partition[0] };
    const values: Record<string, unknown> = { ':part': request.partition[1] };
    let keyCondition = '#part = :part';
    if (request.bound) {
      names['#sort'] = request.sortKey;
      values[':bound'] = request.bound.value;
      keyCondition += ` AND #sort ${request.bound.op} :bound`;
    }
    if (request.filter) {
      names['#filter'] = request.filter[0];
      values[':filter'] = request.filter[1];
    }
    const rows: Row[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await client.send(
        new QueryCommand({
          TableName: request.tableName,
          IndexName: request.indexName,
          KeyConditionExpression: keyCondition,
          ...(request.filter ? { FilterExpression: '#filter = :filter' } : {}),
          ProjectionExpression: ROW_ATTRIBUTES.projection,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ScanIndexForward: !request.newestFirst,
          Limit: take,
          ...(start === undefined ? {} : { ExclusiveStartKey: start }),
        }),
      );
      for (const item of out.Items ?? []) {
        const row = rowOfItem<Row>(item, request.tableName);
        if (row !== undefined && keep(row)) rows.push(row);
        if (rows.length >= take) return rows;
      }
      start = out.LastEvaluatedKey;
    } while (start !== undefined);
    return rows;
  };

  const pageOf = <T>(rows: readonly T[], limit: number): Page<T> => ({ items: rows.slice(0, limit), more: rows.length > limit });

  type RejectionIndex = typeof REJECTIONS_BY_STAGE | typeof REJECTIONS_BY_THING;
  const rejectionsOf = (request: RejectionPageRequest, take: number, index: RejectionIndex, partition: string, stage?: string) =>
    fromIndex<RejectionRow>(
      {
        tableName: tables.rejections,
        indexName: index.indexName,
        partition: [index.partitionKey, partition],
        sortKey: index.sortKey,
        newestFirst: true,
        bound: request.after ? { op: '<', value: rejectionOrderKey(request.after) } : undefined,
        filter: stage === undefined ? undefined : [REJECTIONS_BY_STAGE.partitionKey, stage],
      },
      take,
    );

  return {
    async deviceState(thingName) {
      const out = await client.send(
        new GetCommand({ TableName: tables.deviceState, Key: { [PROJECTION_ROW_KEY]: thingName }, ProjectionExpression: ROW_ATTRIBUTES.projection, ExpressionAttributeNames: ROW_ATTRIBUTES.names }),
      );
      return rowOfItem<DeviceStateRow>(out.Item, tables.deviceState);
    },

    async alarms(request) {
      const state = ALARM_STATE[request.status];
      const rows = await fromIndex<AlarmRow>(
        {
          tableName: tables.alarms,
          indexName: ALARMS_BY_THING.indexName,
          partition: [ALARMS_BY_THING.partitionKey, request.thingName],
          sortKey: ALARMS_BY_THING.sortKey,
          // Row keys are `thingName/alarmId`: after the cursor's alarm, or after the bare prefix.
          bound: { op: '>', value: `${request.thingName}/${request.afterAlarmId ?? ''}` },
          filter: state === undefined ? undefined : ['alarmState', state],
        },
        request.limit + 1,
        request.status === 'acknowledged' ? (row) => row.acknowledged !== undefined : undefined,
      );
      return pageOf(rows, request.limit);
    },

    async rejections(request) {
      const take = request.limit + 1;
      if (request.thingName !== undefined) {
        return pageOf(await rejectionsOf(request, take, REJECTIONS_BY_THING, request.thingName, request.stage), request.limit);
      }
      const stages = request.stage === undefined ? REJECTION_STAGES : [request.stage];
      const partitions = await Promise.all(stages.map((stage) => rejectionsOf(request, take, REJECTIONS_BY_STAGE, stage)));
      // The newest `take` of all lie among the newest `take` of each partition.
      const merged = partitions.flat().sort((a, b) => byteOrder(rejectionOrderKey(b), rejectionOrderKey(a)));
      return pageOf(merged.slice(0, take), request.limit);
    },

    rejectedPayloads: dynamoRejectedPayloads({ client, eventStoreTable: options.eventStore.tableName, events: options.eventStore.events }),
  };
};

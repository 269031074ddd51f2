import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { streamIdFor } from '../../events/envelope.ts';
import { alarmKey, alarmsProjection, type AlarmRow } from '../../events/projections/alarms.ts';
import { foldProjection } from '../../events/projections/projection.ts';
import { upcast } from '../../events/upcasting.ts';
import type { EventStore } from '../eventStore/eventStore.ts';
import { rowOfItem } from '../projections/dynamoProjectionRows.ts';
import { PROJECTION_ROW_KEY } from '../projections/projectionTableDesign.ts';

export interface DynamoAlarmLookupOptions {
  readonly client: Pick<DynamoDBDocumentClient, 'send'>;
  /** The alarms projection table (PROJECTION_TABLES.alarms). */
  readonly tableName: string;
  readonly events: Pick<EventStore, 'readStream'>;
}

/**
 * An alarm as of a version of its device's stream, for an acknowledgement to judge. On AWS the
 * projector runs behind the store and there is nothing to wait on (embedded waits for its engine),
 * so the row is read with its stream marker (`applied`, dynamoProjectionTables.ts) and the device's
 * events after that marker are folded on top, with the projection's own fold. Two operators
 * acknowledging at once then both judge the latest state, and the append at that version lets one win.
 */
export const dynamoAlarmLookup =
  (o: DynamoAlarmLookupOptions) =>
  async (thingName: string, alarmId: string, version: number): Promise<AlarmRow | undefined> => {
    const key = alarmKey(thingName, alarmId);
    const streamId = streamIdFor.device(thingName);
    const out = await o.client.send(
      new GetCommand({ TableName: o.tableName, Key: { [PROJECTION_ROW_KEY]: key }, ConsistentRead: true, ProjectionExpression: '#pk, #row, #applied', ExpressionAttributeNames: { '#pk': PROJECTION_ROW_KEY, '#row': 'row', '#applied': 'applied' } }),
    );
    const row = rowOfItem<AlarmRow>(out.Item, o.tableName);
    const applied = typeof out.Item?.applied === 'string' ? ((JSON.parse(out.Item.applied) as Record<string, number>)[streamId] ?? 0) : 0;
    if (applied >= version) return row;
    const behind = await o.events.readStream(streamId, { from: applied + 1 });
    const rows = new Map<string, AlarmRow>(row === undefined ? [] : [[key, row]]);
    foldProjection(alarmsProjection, behind.filter((e) => e.streamPosition <= version).map(upcast), rows);
    return rows.get(key);
  };

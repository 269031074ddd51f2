import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { NewEvent, StoredEvent } from '../../../events/envelope.ts';
import { createDynamoProjector, type ProjectionTable } from '../../../functions/projections/dynamoProjectionTables.ts';
import { projectionCreateTableInput, rowOfItem } from '../../../functions/projections/dynamoProjectionRows.ts';
import { PROJECTION_TABLES, type ProjectionTableDesign, type ProjectionTableName } from '../../../functions/projections/projectionTableDesign.ts';
import type { LocalDynamo } from '../../support/dynalite.ts';

let tableCount = 0;

/**
 * Projection tables on dynalite, as the CDK app deploys them (projectionTableDesign.ts), with the
 * stream projector's fold: what the AWS read side reads, without AWS.
 */
export const createProjectionTables = async <N extends ProjectionTableName>(dynamo: LocalDynamo, names: readonly N[], tableNames: Partial<Record<N, string>> = {}) => {
  const n = ++tableCount;
  const tables = {} as Record<N, ProjectionTable>;
  for (const name of names) {
    const tableName = tableNames[name] ?? `${name}-${n}`;
    await dynamo.client.send(new CreateTableCommand(projectionCreateTableInput(tableName, PROJECTION_TABLES[name])));
    const design: ProjectionTableDesign = PROJECTION_TABLES[name];
    tables[name] = { ...design, tableName };
  }
  const doc = DynamoDBDocumentClient.from(dynamo.client);
  const projector = createDynamoProjector({ client: doc, tables: Object.values<ProjectionTable>(tables) });

  /** Folds stored events as the stream projector does; events of different streams in parallel chunks. */
  const project = async (events: readonly StoredEvent[]) => {
    const byStream = new Map<string, StoredEvent[]>();
    for (const e of events) byStream.set(e.streamId, [...(byStream.get(e.streamId) ?? []), e]);
    const streams = [...byStream.values()];
    const chunks: StoredEvent[][] = [];
    for (let i = 0; i < streams.length; i += 100) chunks.push(streams.slice(i, i + 100).flat());
    for (let i = 0; i < chunks.length; i += 8) {
      const results = await Promise.all(chunks.slice(i, i + 8).map((c) => projector.project(c)));
      const failure = results.flatMap((r) => r.failures)[0];
      if (failure) throw failure.error;
    }
  };

  /** Every row of a table (tombstones left out), keyed by row key. */
  const rows = async <Row>(name: N): Promise<Map<string, Row>> => {
    const out = new Map<string, Row>();
    let start: Record<string, unknown> | undefined;
    do {
      const page = await doc.send(new ScanCommand({ TableName: tables[name].tableName, ...(start ? { ExclusiveStartKey: start } : {}) }));
      for (const item of page.Items ?? []) {
        const row = rowOfItem<Row>(item, tables[name].tableName);
        if (row !== undefined) out.set(String(item.pk), row);
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  };

  return { tables, doc, project, rows };
};

/**
 * Stores events the way the event store hands them to its stream: gap-free positions per stream,
 * a recorded-at time, no global position (ADR 0002). For fixtures too large for the real store.
 */
export const eventStamper = (start = Date.parse('2026-03-01T00:00:00.000Z')) => {
  const versions = new Map<string, number>();
  let ms = start;
  return (streamId: string, events: readonly NewEvent[]): StoredEvent[] => {
    const recordedAt = new Date(ms++).toISOString();
    let version = versions.get(streamId) ?? 0;
    const stored = events.map((e) => ({ ...e, streamId, streamPosition: ++version, recordedAt }));
    versions.set(streamId, version);
    return stored;
  };
};

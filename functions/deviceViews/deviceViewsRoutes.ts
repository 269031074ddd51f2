import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { streamIdFor } from '../../events/envelope.ts';
import { deviceStateProjection } from '../../events/projections/deviceState.ts';
import type { EventStore } from '../eventStore/eventStore.ts';
import { deviceNotFoundProblem, sendProblem } from '../directory/problemDetails.ts';
import type { DeviceReadModel } from './deviceReadModel.ts';
import { readHistory, type HistoryOptions } from './deviceHistory.ts';
import { thingNameParam, type QueryResult } from './queryParams.ts';
import { replayRowAsOf } from './replayAsOf.ts';
import { encodeCursor } from './viewCursor.ts';
import { invalidParametersProblem } from './viewProblems.ts';
import { parseAlarmsQuery, parseHistoryQuery, parseRejectionsQuery, parseStateQuery } from './viewQueries.ts';

export interface DeviceViewsRoutesOptions {
  readonly events: Pick<EventStore, 'readStream' | 'streamVersion'>;
  readonly readModel: DeviceReadModel;
  readonly history?: HistoryOptions;
}

type DeviceRequest = FastifyRequest<{ Params: { thingName: string } }>;

/**
 * The device read views, all GET: the state (live, or as of an instant by replay), the history
 * (the device's stream, upcast, paged either way), the alarms, and rejected messages. Bad input is
 * 400 problem+json naming each parameter and rule; a device with no events at all is 404. Nothing
 * reads more than a page (or, for a replay, a page at a time) into memory.
 *
 * The routes say `:thingName`, so the server's maxParamLength must admit 128 characters (the
 * longest thing name); shorter limits turn long names into the directory's `/devices/*` route.
 */
export const deviceViewsRoutes = (options: DeviceViewsRoutesOptions) => (app: FastifyInstance) => {
  const { events, readModel } = options;

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, 'device view request failed');
    return sendProblem(reply, {
      type: 'about:blank',
      title: STATUS_CODES[status] ?? 'Error',
      status,
      detail: status >= 500 ? 'The device view could not be read; the error is logged. Try again, and report it if it keeps happening.' : error.message,
      instance: request.url,
    });
  });

  /** The checked query, or undefined once a 400 has been sent. */
  const checked = <T>(reply: FastifyReply, request: FastifyRequest, result: QueryResult<T>): T | undefined => {
    if (result.ok) return result.query;
    void sendProblem(reply, invalidParametersProblem(result.errors, request.url));
    return undefined;
  };

  /** The thing name of the path, or undefined once a 400 has been sent. */
  const thingNameOf = (request: DeviceRequest, reply: FastifyReply): string | undefined => {
    const read = thingNameParam(request.params.thingName, 'thingName');
    if (read.ok) return read.value;
    void sendProblem(reply, invalidParametersProblem([read.error], request.url));
    return undefined;
  };

  /** A device is known once its stream has an event (provisioning appends the first). */
  const known = async (thingName: string) => (await events.streamVersion(streamIdFor.device(thingName))) > 0;

  app.get('/devices/:thingName/state', async (request: DeviceRequest, reply) => {
    const thingName = thingNameOf(request, reply);
    if (thingName === undefined) return reply;
    const query = checked(reply, request, parseStateQuery(request.url));
    if (!query) return reply;
    if (!(await known(thingName))) return sendProblem(reply, deviceNotFoundProblem(thingName, request.url));
    if (!query.at) {
      const state = await readModel.deviceState(thingName);
      return { thingName, source: 'projection', state: state ?? null };
    }
    const replayed = await replayRowAsOf(events, streamIdFor.device(thingName), deviceStateProjection, thingName, query.at.ms);
    return { thingName, source: 'replay', at: query.at.iso, streamPosition: replayed.position, state: replayed.row ?? null };
  });

  app.get('/devices/:thingName/history', async (request: DeviceRequest, reply) => {
    const thingName = thingNameOf(request, reply);
    if (thingName === undefined) return reply;
    const query = checked(reply, request, parseHistoryQuery(request.url, thingName));
    if (!query) return reply;
    const page = await readHistory(
      events,
      { thingName, limit: query.limit, direction: query.direction, types: query.types, fromMs: query.from?.ms, toMs: query.to?.ms, start: query.start },
      options.history,
    );
    if (!page) return sendProblem(reply, deviceNotFoundProblem(thingName, request.url));
    return { thingName, items: page.items, ...(page.next === undefined ? {} : { nextCursor: encodeCursor(query.fingerprint, page.next) }) };
  });

  app.get('/devices/:thingName/alarms', async (request: DeviceRequest, reply) => {
    const thingName = thingNameOf(request, reply);
    if (thingName === undefined) return reply;
    const query = checked(reply, request, parseAlarmsQuery(request.url, thingName));
    if (!query) return reply;
    if (!(await known(thingName))) return sendProblem(reply, deviceNotFoundProblem(thingName, request.url));
    const page = await readModel.alarms({ thingName, status: query.status, limit: query.limit, afterAlarmId: query.afterAlarmId });
    const last = page.items.at(-1);
    return { thingName, status: query.status, items: page.items, ...(page.more && last ? { nextCursor: encodeCursor(query.fingerprint, last.alarmId) } : {}) };
  });

  app.get('/rejections', async (request, reply) => {
    const query = checked(reply, request, parseRejectionsQuery(request.url));
    if (!query) return reply;
    const page = await readModel.rejections({ thingName: query.thingName, stage: query.stage, limit: query.limit, after: query.after });
    const payloads = query.includePayload ? await readModel.rejectedPayloads(page.items.map((r) => r.eventId)) : undefined;
    const items = payloads ? page.items.map((r) => ({ ...r, ...payloads.get(r.eventId) })) : page.items;
    const last = page.items.at(-1);
    return { items, ...(page.more && last ? { nextCursor: encodeCursor(query.fingerprint, { t: last.receivedAt, k: last.eventId }) } : {}) };
  });
};

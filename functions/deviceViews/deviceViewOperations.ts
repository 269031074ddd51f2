import type { ApiOperation } from '../api/openapi/operations.ts';
import { ThingNameParam } from '../api/openapi/apiSchemas.ts';
import {
  AlarmsParams,
  DeviceAlarmsPageSchema,
  DeviceHistoryPageSchema,
  DeviceStateViewSchema,
  HistoryParams,
  RejectionPageSchema,
  RejectionsParams,
  StateParams,
} from './deviceViewSchemas.ts';

const BAD_PARAMETERS = { description: 'A parameter breaks a rule (unknown or repeated parameter, bad time, value or limit, a cursor from another query); `errors` names each one and the rule.' };
const UNKNOWN_DEVICE = { description: 'The device has no events at all: no such device.' };
const pathParams = { thingName: ThingNameParam };

/** The device views' operations, spread into API_OPERATIONS (functions/api/openapi/operations.ts). */
export const DEVICE_VIEW_OPERATIONS: readonly ApiOperation[] = [
  {
    method: 'GET',
    path: '/devices/{thingName}/state',
    route: '/devices/:thingName/state',
    operationId: 'getDeviceState',
    tag: 'device views',
    summary: 'A device’s state: live, or as of an instant',
    description:
      'Without `at`: the device-state projection row (latest value per resource). With `at`: the same fold replayed over the device’s stream, up to the last event recorded at or before `at`; at the present it equals the live row.',
    pathParams,
    query: StateParams,
    responses: { 200: { description: 'The state; `state` is null when the device had reported none.', json: DeviceStateViewSchema }, 400: BAD_PARAMETERS, 404: UNKNOWN_DEVICE },
  },
  {
    method: 'GET',
    path: '/devices/{thingName}/history',
    route: '/devices/:thingName/history',
    operationId: 'getDeviceHistory',
    tag: 'device views',
    summary: 'A device’s events, paged either way',
    description:
      'The device’s stream: each event with its envelope and data, upcast to the current version of its type. Follow nextCursor (keep the other parameters) until a page has none; pages never repeat or skip an event.',
    pathParams,
    query: HistoryParams,
    responses: { 200: { description: 'A page of events.', json: DeviceHistoryPageSchema }, 400: BAD_PARAMETERS, 404: UNKNOWN_DEVICE },
  },
  {
    method: 'GET',
    path: '/devices/{thingName}/alarms',
    route: '/devices/:thingName/alarms',
    operationId: 'getDeviceAlarms',
    tag: 'device views',
    summary: 'A device’s alarms',
    description: 'From the alarms projection, by alarm id.',
    pathParams,
    query: AlarmsParams,
    responses: { 200: { description: 'A page of alarms.', json: DeviceAlarmsPageSchema }, 400: BAD_PARAMETERS, 404: UNKNOWN_DEVICE },
  },
  {
    method: 'GET',
    path: '/rejections',
    route: '/rejections',
    operationId: 'listRejections',
    tag: 'device views',
    summary: 'Messages that could not be decoded or validated',
    description: 'Newest first: device, topic, stage, reason, size and time; with include=payload the kept bytes too.',
    query: RejectionsParams,
    responses: { 200: { description: 'A page of rejections.', json: RejectionPageSchema }, 400: BAD_PARAMETERS },
  },
];

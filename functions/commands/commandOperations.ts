import { z } from 'zod';
import type { ApiOperation, ApiResponse } from '../api/openapi/operations.ts';
import { ThingNameParam } from '../api/openapi/apiSchemas.ts';
import { AUDIT_COLUMNS } from './auditExport.ts';
import {
  AlarmAckBody,
  AlarmAcknowledgedSchema,
  AlarmIdParam,
  AuditExportParams,
  CommandAcceptedSchema,
  CommandDetailSchema,
  CommandIdParam,
  CommandListParams,
  CommandPageSchema,
  CommandRequestBody,
} from './commandApiSchemas.ts';

const problem = (description: string): ApiResponse => ({ description });

/** A request body's JSON Schema, from the same zod schema the route parses with. */
const jsonBody = (schema: z.ZodType): Record<string, unknown> => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input' }) as Record<string, unknown>;
  return rest;
};

/** The command, audit and alarm-acknowledgement operations for the OpenAPI document (functions/commands/README.md). */
export const COMMAND_OPERATIONS: readonly ApiOperation[] = [
  {
    method: 'POST',
    path: '/commands',
    route: '/commands',
    operationId: 'requestCommand',
    tag: 'commands',
    summary: 'Send an LwM2M command to a device',
    description:
      'Checks the command against its schema (400) and the LwM2M object model (422: unknown object or resource, a write to a read-only resource, a value of the wrong type, an execute on a value), then records CommandRequested with the caller as actor. When a bridge holds the device the request goes out on cmd/lwm2m/{thingName}/req/{commandId}; when none does the command ends at once as ignored. Follow it at `url`.',
    requestBody: { description: 'The command.', content: { 'application/json': { schema: jsonBody(CommandRequestBody) } } },
    responses: {
      202: { description: 'Recorded; `status` says whether it went out. Follow it at `url`.', json: CommandAcceptedSchema, headers: { location: 'The command URL.' } },
      400: problem('The body is not a valid command; `errors` names each field, the rule and the fix.'),
      404: problem('No device has that name.'),
      409: problem('The device is deprovisioned.'),
      413: problem('The body is larger than 128 KiB.'),
      415: problem('The body is not JSON.'),
      422: problem('The LwM2M object model does not allow the command; `errors` names the field and the rule.'),
    },
  },
  {
    method: 'GET',
    path: '/commands',
    route: '/commands',
    operationId: 'listCommands',
    tag: 'commands',
    summary: 'The command audit, newest first',
    description: 'Commands and alarm acknowledgements: who asked what of which device, when, and how it ended.',
    query: CommandListParams,
    responses: { 200: { description: 'A page of the audit.', json: CommandPageSchema }, 400: problem('A parameter is wrong; `errors` names each one.') },
  },
  {
    method: 'GET',
    path: '/commands/{commandId}',
    route: '/commands/:commandId',
    operationId: 'getCommand',
    tag: 'commands',
    summary: 'One command and its lifecycle events',
    pathParams: { commandId: CommandIdParam },
    responses: { 200: { description: 'The command as the audit has it, and every event of its life, refused answers included.', json: CommandDetailSchema }, 404: problem('No command has that id.') },
  },
  {
    method: 'GET',
    path: '/audit/commands',
    route: '/audit/commands',
    operationId: 'exportCommandAudit',
    tag: 'commands',
    summary: 'Export the command audit (CSV or NDJSON, streamed)',
    description: `Every row matching the filters, newest first, streamed. Columns: ${AUDIT_COLUMNS.join(', ')}. Text a spreadsheet would run as a formula is prefixed with an apostrophe.`,
    query: AuditExportParams,
    responses: {
      200: {
        description: 'The export.',
        other: {
          'text/csv': { type: 'string', description: `A header line, then one line per row: ${AUDIT_COLUMNS.join(',')}.` },
          'application/x-ndjson': { type: 'string', description: 'One JSON object per line, with the same fields (absent when empty).' },
        },
        headers: { 'content-disposition': 'attachment; filename="command-audit.csv" (or .ndjson)' },
      },
      400: problem('A parameter is wrong; `errors` names each one.'),
    },
  },
  {
    method: 'POST',
    path: '/devices/{thingName}/alarms/{alarmId}/ack',
    route: '/devices/:thingName/alarms/:alarmId/ack',
    operationId: 'acknowledgeAlarm',
    tag: 'alarms',
    summary: 'Acknowledge an active alarm',
    description: `Records AlarmAcknowledged with the caller as actor; it appears in the command audit as acknowledge-alarm. The body is optional: none, or JSON ${JSON.stringify(jsonBody(AlarmAckBody))} (a note kept in the audit).`,
    pathParams: { thingName: ThingNameParam, alarmId: AlarmIdParam },
    responses: {
      201: { description: 'Acknowledged.', json: AlarmAcknowledgedSchema, headers: { location: 'The acknowledgement in the command audit.' } },
      400: problem('Not a thing name or alarm id, or a bad note.'),
      404: problem('No such device, or the device never raised that alarm.'),
      409: problem('The alarm is already acknowledged, or cleared.'),
    },
  },
];

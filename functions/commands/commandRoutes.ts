import { STATUS_CODES } from 'node:http';
import { Readable } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { ThingName } from '../../events/catalog/common.ts';
import type { Actor, StoredEvent } from '../../events/envelope.ts';
import type { DeviceRow } from '../../events/projections/devices.ts';
import { upcast } from '../../events/upcasting.ts';
import { fieldErrorsFromZod, type FieldError } from '../../schemas/directory/fieldError.ts';
import type { ObjectModel } from '../../schemas/lwm2m/index.ts';
import { principalOf } from '../api/auth/apiAccess.ts';
import { deviceNotFoundProblem, sendProblem, type Problem } from '../directory/problemDetails.ts';
import type { AcknowledgeOutcome } from './acknowledgeAlarm.ts';
import { AUDIT_CONTENT_TYPE, auditLinesFrom } from './auditExport.ts';
import { AlarmAckBody, AlarmIdParam, AuditExportParams, COMMAND_LIMITS, CommandIdParam, CommandListParams, CommandRequestBody } from './commandApiSchemas.ts';
import { commandStateOf, lifecycleEntry } from './commandLifecycle.ts';
import { commandStreamId } from './commandStream.ts';
import { checkCommandAgainstModel } from './modelCheck.ts';
import type { RequestOutcome } from './requestCommand.ts';
import type { CommandAuditRow } from '../../events/projections/commandAudit.ts';
import { AuditCursorError, type AuditFilter, type AuditPage } from './sqliteCommandAudit.ts';

type MaybePromise<T> = T | Promise<T>;

/** What the routes read of the audit: the embedded store answers at once, the DynamoDB one (commandAuditPort.ts) asynchronously. */
export interface AuditRouteReads {
  row(commandId: string): MaybePromise<CommandAuditRow | undefined>;
  page(filter: AuditFilter, limit: number, cursor?: string): MaybePromise<AuditPage>;
  rows(filter: AuditFilter): Iterable<CommandAuditRow> | AsyncIterable<CommandAuditRow>;
}

export interface CommandRoutesOptions {
  readonly request: (body: CommandRequestBody, actor: Actor) => Promise<RequestOutcome>;
  /** The device as the directory knows it; undefined when no device has that name. */
  readonly deviceOf: (thingName: string) => MaybePromise<DeviceRow | undefined>;
  readonly audit: AuditRouteReads;
  readonly readStream: (streamId: string, options?: { from?: number; limit?: number }) => Promise<readonly StoredEvent[]>;
  readonly acknowledge: (thingName: string, alarmId: string, actor: Actor, note?: string) => Promise<AcknowledgeOutcome>;
  readonly model?: ObjectModel;
  /** The shortest timeout a caller may ask for (tests lower it to see expiry fast). */
  readonly minTimeoutSeconds?: number;
}

const problem = (status: number, type: string, title: string, detail: string, instance: string, errors?: readonly FieldError[]): Problem => ({
  type: `/problems/${type}`,
  title,
  status,
  detail,
  instance,
  ...(errors && errors.length > 0 ? { errors } : {}),
});

const summary = (errors: readonly FieldError[]) =>
  errors.length === 1 ? `${errors[0]!.message} ${errors[0]!.hint}` : `${errors.length} fields are wrong: ${errors.map((e) => e.field).join(', ')}. Each entry of "errors" says what to change.`;

/** A zod path as the caller wrote the field: values[0].value. */
const fieldOf = (path: readonly PropertyKey[]) => path.reduce<string>((out, p) => (typeof p === 'number' ? `${out}[${p}]` : out === '' ? String(p) : `${out}.${String(p)}`), '') || '(body)';

const FIELD_HINTS: Readonly<Record<string, string>> = {
  thingName: 'A thing name is 1-128 letters, digits, ":", "_" and "-".',
  operation: 'Use read, write, execute, observe, cancel-observe, discover or write-attributes.',
  path: 'An LwM2M path looks like /3303/0/5700.',
  timeoutSeconds: `Give seconds, more than 0 and at most ${COMMAND_LIMITS.maxTimeoutSeconds}.`,
  from: 'Give an ISO-8601 time with its offset, e.g. 2026-01-01T00:00:00Z.',
  to: 'Give an ISO-8601 time with its offset, e.g. 2026-01-31T00:00:00Z.',
  limit: `Give a whole number from 1 to ${COMMAND_LIMITS.maxPageSize}.`,
  format: 'Use csv or ndjson.',
  operator: "The operator is a token's subject, e.g. ada@example.com.",
  note: `A note is 1-${COMMAND_LIMITS.maxNoteLength} characters.`,
};
const hintOf = (field: string) => FIELD_HINTS[field.replace(/[[.].*$/, '')] ?? 'See the operation in GET /openapi.json for the fields and their form.';

const fieldErrors = (error: z.ZodError) => fieldErrorsFromZod(error, fieldOf, hintOf).slice(0, 20);

/** The actor of an operator's request: the token's subject, and the role that let it act. */
const actorOf = (request: FastifyRequest): Actor => {
  const principal = principalOf(request);
  if (!principal) throw new Error(`${request.method} ${request.url} ran without a principal: the route must be in the permission table with roles`);
  const role = principal.roles.find((r) => r === 'admin') ?? principal.roles.find((r) => r === 'operator') ?? principal.roles[0];
  return { kind: 'user', id: principal.subject, ...(role === undefined ? {} : { role }) };
};

const filterOf = (q: { thingName?: string | undefined; operator?: string | undefined; from?: string | undefined; to?: string | undefined }): AuditFilter => ({
  thingName: q.thingName,
  operator: q.operator,
  from: q.from === undefined ? undefined : new Date(q.from).toISOString(),
  to: q.to === undefined ? undefined : new Date(q.to).toISOString(),
});

/**
 * Device control and its audit (functions/commands/README.md):
 * POST /commands, GET /commands/:commandId, GET /commands, GET /audit/commands (CSV or NDJSON,
 * streamed), and POST /devices/:thingName/alarms/:alarmId/ack. Who may call each is the permission
 * table's business (the root onRequest hook); errors are RFC 9457 problem+json naming the field,
 * the rule and the fix.
 */
export const commandRoutes = (options: CommandRoutesOptions) => (app: FastifyInstance) => {
  const minTimeoutSeconds = options.minTimeoutSeconds ?? 1;

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'command request failed');
      return sendProblem(reply, problem(status, 'internal', STATUS_CODES[status] ?? 'Error', 'The server could not handle the request; the error is logged. Try again, and report it if it keeps happening.', request.url));
    }
    if (status === 413) {
      return sendProblem(reply, problem(413, 'body-too-large', 'The body is too large', `A command body is at most ${COMMAND_LIMITS.maxBodyBytes} bytes. Split a large write into several commands.`, request.url));
    }
    if (status === 415) {
      return sendProblem(reply, problem(415, 'unsupported-media-type', 'The body is not JSON', 'Send the body as JSON with "content-type: application/json".', request.url));
    }
    return sendProblem(reply, problem(status, 'invalid-body', 'The body could not be read', `${error.message}. Send a JSON object as described in GET /openapi.json.`, request.url));
  });

  app.post('/commands', { bodyLimit: COMMAND_LIMITS.maxBodyBytes }, async (request, reply) => {
    const parsed = CommandRequestBody.safeParse(request.body ?? null);
    if (!parsed.success) {
      const errors = fieldErrors(parsed.error);
      return sendProblem(reply, problem(400, 'invalid-command', 'The command is not valid', summary(errors), request.url, errors));
    }
    const body = parsed.data;
    if (body.timeoutSeconds !== undefined && body.timeoutSeconds < minTimeoutSeconds) {
      const errors = [{ field: 'timeoutSeconds', rule: 'min', message: `timeoutSeconds ${body.timeoutSeconds} is below ${minTimeoutSeconds}.`, hint: `Give at least ${minTimeoutSeconds} seconds.` }];
      return sendProblem(reply, problem(400, 'invalid-command', 'The command is not valid', summary(errors), request.url, errors));
    }
    const modelErrors = checkCommandAgainstModel(body, options.model);
    if (modelErrors.length > 0) {
      return sendProblem(reply, problem(422, 'command-not-allowed', 'The object model does not allow this command', summary(modelErrors), request.url, modelErrors));
    }
    const device = await options.deviceOf(body.thingName);
    if (!device) return sendProblem(reply, deviceNotFoundProblem(body.thingName, request.url));
    if (device.status === 'deprovisioned') {
      return sendProblem(reply, problem(409, 'device-deprovisioned', 'The device is deprovisioned', `${body.thingName} was deprovisioned at ${device.deprovisionedAt ?? 'an earlier time'}: it has no credentials and cannot be reached. Provision it again first.`, request.url));
    }
    const outcome = await options.request(body, actorOf(request));
    const url = `/commands/${outcome.commandId}`;
    return reply.code(202).header('location', url).send({ commandId: outcome.commandId, status: outcome.status, url, expiresAt: outcome.expiresAt });
  });

  app.get<{ Params: { commandId: string } }>('/commands/:commandId', async (request, reply) => {
    const { commandId } = request.params;
    const notFound = () =>
      sendProblem(reply, problem(404, 'command-not-found', 'No such command', `No command has the id "${commandId.slice(0, 80)}": use the url POST /commands returned, or list commands with GET /commands.`, request.url));
    if (!CommandIdParam.safeParse(commandId).success) return notFound();
    const stored = await options.readStream(commandStreamId(commandId));
    const state = commandStateOf(stored.map(upcast), stored.at(-1)?.streamPosition ?? 0);
    if (state) return reply.send({ command: state.row, lifecycle: stored.map(lifecycleEntry) });
    // An alarm acknowledgement lives in its device's stream; the audit row says where.
    const row = await options.audit.row(commandId);
    if (!row) return notFound();
    const events = await options.readStream(row.streamId, { from: row.streamPosition, limit: 1 });
    return reply.send({ command: row, lifecycle: events.map(lifecycleEntry) });
  });

  app.get('/commands', async (request, reply) => {
    const parsed = CommandListParams.safeParse(request.query);
    if (!parsed.success) {
      const errors = fieldErrors(parsed.error);
      return sendProblem(reply, problem(400, 'invalid-query', 'The command search is not valid', summary(errors), request.url, errors));
    }
    const q = parsed.data;
    try {
      return reply.send(await options.audit.page(filterOf(q), q.limit ?? COMMAND_LIMITS.defaultPageSize, q.cursor));
    } catch (err) {
      if (!(err instanceof AuditCursorError)) throw err;
      return sendProblem(reply, problem(400, 'invalid-query', 'The command search is not valid', summary([err.error]), request.url, [err.error]));
    }
  });

  app.get('/audit/commands', async (request, reply) => {
    const parsed = AuditExportParams.safeParse(request.query);
    if (!parsed.success) {
      const errors = fieldErrors(parsed.error);
      return sendProblem(reply, problem(400, 'invalid-query', 'The audit export is not valid', summary(errors), request.url, errors));
    }
    const format = parsed.data.format ?? 'csv';
    const lines = auditLinesFrom(options.audit.rows(filterOf(parsed.data)), format);
    return reply
      .type(AUDIT_CONTENT_TYPE[format])
      .header('content-disposition', `attachment; filename="command-audit.${format}"`)
      .send(Readable.from(lines));
  });

  // A parametric route rather than the directory's wildcard: the permission table governs it by this pattern.
  app.post<{ Params: { thingName: string; alarmId: string } }>('/devices/:thingName/alarms/:alarmId/ack', { bodyLimit: 16 * 1024 }, async (request, reply) => {
    const { thingName, alarmId } = request.params;
    const errors: FieldError[] = [];
    if (!ThingName.safeParse(thingName).success) errors.push({ field: 'thingName', rule: 'thing-name', message: `${JSON.stringify(thingName.slice(0, 140))} is not a thing name.`, hint: FIELD_HINTS.thingName! });
    if (!AlarmIdParam.safeParse(alarmId).success) errors.push({ field: 'alarmId', rule: 'alarm-id', message: 'The alarm id is empty or longer than 128 characters.', hint: 'Use the alarm id the device raised it with, as GET /devices/{thingName}/alarms lists it.' });
    const body = AlarmAckBody.safeParse(request.body ?? {});
    if (!body.success) errors.push(...fieldErrors(body.error));
    if (errors.length > 0) return sendProblem(reply, problem(400, 'invalid-acknowledgement', 'The acknowledgement is not valid', summary(errors), request.url, errors));
    if (!(await options.deviceOf(thingName))) return sendProblem(reply, deviceNotFoundProblem(thingName, request.url));
    const actor = actorOf(request);
    const outcome = await options.acknowledge(thingName, alarmId, actor, body.data?.note);
    return answerAcknowledgement(reply, request.url, thingName, alarmId, actor, outcome);
  });
};

const answerAcknowledgement = (reply: FastifyReply, instance: string, thingName: string, alarmId: string, actor: Actor, outcome: AcknowledgeOutcome) => {
  switch (outcome.kind) {
    case 'not-found':
      return sendProblem(reply, problem(404, 'alarm-not-found', 'No such alarm', `${thingName} has never raised an alarm "${alarmId}". Alarm ids are case-sensitive; the device's alarms list shows them.`, instance));
    case 'conflict':
      return sendProblem(reply, problem(409, outcome.alarm.state === 'cleared' ? 'alarm-cleared' : 'alarm-already-acknowledged', 'The alarm cannot be acknowledged', `${outcome.reason}. Nothing was changed.`, instance));
    case 'acknowledged': {
      const url = `/commands/${outcome.commandId}`;
      return reply.code(201).header('location', url).send({ thingName, alarmId, commandId: outcome.commandId, acknowledgedBy: actor.id, url });
    }
  }
};

import { z } from 'zod';
import { IsoTime, Location, ThingName } from '../../../events/catalog/common.ts';
import { DEVICE_STATUSES, SEARCH_LIMITS } from '../../../schemas/directory/searchQuery.ts';
import { OUTCOMES, ReportProblem } from '../../../schemas/manifest/report.ts';

/**
 * The HTTP API's wire shapes as zod schemas: the OpenAPI document is generated from them, and the
 * end-to-end tests parse real responses with them, so the document cannot drift from what the
 * server sends. Objects are open (extra fields allowed): clients must tolerate new fields.
 */

// ---- parameters -----------------------------------------------------------------------------

export const ThingNameParam = ThingName.meta({ description: 'The thing name (the serial from the manifest).', examples: ['meter-0001'] });
export const BatchIdParam = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).meta({ description: 'The batch id the upload returned.', examples: ['b-8217645993210-3f9c0a1b2c3d4e5f'] });
export const ExecutionNameParam = z.string().regex(/^[A-Za-z0-9_-]{1,80}$/).meta({ description: 'The run name DELETE /devices/{thingName} returned.' });

const decimalList = (parts: number) => new RegExp(`^[^,]+(,[^,]+){${parts - 1}}$`);

/** GET /devices as written in the URL (functions/directory/README.md); `attr.NAME` is described on the operation. */
export const DeviceSearchParams = z.object({
  tenant: z.string().optional().meta({ description: 'The tenant id.', examples: ['city-of-lund'] }),
  thingGroup: z.string().optional().meta({ description: 'The thing group name.' }),
  deviceType: z.string().optional().meta({ description: 'The thing type name.' }),
  status: z.string().optional().meta({ description: `Comma-separated ${DEVICE_STATUSES.join(', ')}, or any. Without it: live devices (provisioned, bootstrapped).`, examples: ['deprovisioned'] }),
  bbox: z.string().regex(decimalList(4)).optional().meta({ description: 'minLat,minLon,maxLat,maxLon in degrees; minLon > maxLon crosses the antimeridian.', examples: ['55,12,56,14'] }),
  near: z.string().regex(decimalList(3)).optional().meta({ description: `lat,lon,radiusMeters; radius up to ${SEARCH_LIMITS.maxRadiusMeters} m.`, examples: ['55.6,13.0,2000'] }),
  limit: z.int().min(1).max(SEARCH_LIMITS.maxLimit).optional().meta({ description: `Page size; ${SEARCH_LIMITS.defaultLimit} unless given.` }),
  cursor: z.string().max(SEARCH_LIMITS.maxCursorLength).optional().meta({ description: 'The nextCursor of the previous page of the same search.' }),
});

export const DeprovisionParams = z.object({
  reason: z.string().min(1).max(500).optional().meta({ description: 'Why the device goes; recorded in DeviceDeprovisioned.', examples: ['pole knocked down'] }),
});

export const ManifestUploadParams = z.object({
  name: z.string().optional().meta({ description: 'The file name; its extension (.csv, .json, .ndjson) names the format when the content type does not.', examples: ['devices.csv'] }),
});

export const ReportParams = z.object({
  format: z.enum(['csv', 'json']).optional().meta({ description: 'csv (default) or json.' }),
});

// ---- responses ------------------------------------------------------------------------------

export const FieldErrorSchema = z.object({
  field: z.string(),
  rule: z.string(),
  message: z.string(),
  hint: z.string(),
});

export const ProblemSchema = z.object({
  type: z.string().meta({ description: 'A URI reference naming the problem, e.g. /problems/token-expired.' }),
  title: z.string(),
  status: z.int().min(400).max(599),
  detail: z.string().meta({ description: 'What was wrong and what to do.' }),
  instance: z.string().optional(),
  errors: z.array(FieldErrorSchema).optional().meta({ description: 'One entry per field that was wrong.' }),
}).meta({ description: 'RFC 9457 problem details.' });

export const DeviceSchema = z.object({
  thingName: ThingName,
  tenant: z.string(),
  location: Location,
  attributes: z.record(z.string(), z.string()),
  thingGroup: z.string().optional(),
  deviceType: z.string().optional(),
  certificateId: z.string().optional(),
  status: z.enum(DEVICE_STATUSES),
  provisionedAt: IsoTime,
  bootstrappedAt: IsoTime.optional(),
  deprovisionedAt: IsoTime.optional(),
  registration: z.object({ bridgeId: z.string(), endpoint: z.string(), queueMode: z.boolean(), since: IsoTime }).optional(),
  distanceMeters: z.number().min(0).optional().meta({ description: 'Set when the search had near.' }),
});

export const DirectoryPageSchema = z.object({
  items: z.array(DeviceSchema),
  nextCursor: z.string().optional().meta({ description: 'Pass as cursor, with the same search, for the next page; absent on the last.' }),
  total: z.int().min(0).optional().meta({ description: 'Matches in all pages; on the first page only.' }),
});

export const ManifestAcceptedSchema = z.object({
  batchId: z.string(),
  manifestKey: z.string(),
  format: z.enum(['csv', 'json', 'ndjson']),
  status: z.string().meta({ description: 'Where to follow the batch.' }),
  report: z.string().meta({ description: 'Where its report will be.' }),
});

const ExecutionStatusSchema = z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);

export const BatchProgressSchema = z.object({
  batchId: z.string(),
  status: ExecutionStatusSchema,
  startedAt: IsoTime,
  stoppedAt: IsoTime.optional(),
  totalRows: z.int().min(0).optional(),
  invalidRows: z.int().min(0).optional(),
  rowsDone: z.int().min(0),
  provisioned: z.int().min(0),
  updated: z.int().min(0),
  unchanged: z.int().min(0),
  failed: z.int().min(0),
  reportKey: z.string().optional(),
  error: z.object({ name: z.string(), cause: z.string().optional() }).optional(),
});

export const BatchReportSchema = z.object({
  rows: z.array(z.object({ rowNumber: z.int().min(1), serial: z.string().optional(), outcome: z.enum(OUTCOMES), problems: z.array(ReportProblem) })),
  summary: z.object({ rows: z.int().min(0), outcomes: z.record(z.enum(OUTCOMES), z.int().min(0)) }),
}).meta({ description: 'The JSON report; the CSV one has the columns row, serial, outcome, field, message, hint.' });

export const DeprovisioningAcceptedSchema = z.object({ thingName: ThingName, executionName: z.string(), status: z.string().meta({ description: 'Where to follow the run.' }) });

export const DeprovisioningStatusSchema = z.object({
  executionName: z.string(),
  thingName: z.string().optional(),
  reason: z.string().optional(),
  status: ExecutionStatusSchema,
  startDate: IsoTime,
  stopDate: IsoTime.optional(),
  alreadyDeprovisioned: z.boolean().optional(),
  revokedCertificates: z.array(z.string()).optional(),
  disconnected: z.int().min(0).optional(),
  error: z.string().optional(),
  cause: z.string().optional(),
});

export const HealthSchema = z.object({
  status: z.enum(['ok', 'degraded']),
  components: z.record(z.string(), z.enum(['up', 'down'])),
  eventStore: z.object({ head: z.int().min(0) }),
  projections: z.array(z.object({ name: z.string(), version: z.int(), position: z.int().min(0), lag: z.int().min(0) })),
});

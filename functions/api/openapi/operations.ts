import type { z } from 'zod';
import type { ApiMethod } from '../auth/permissions.ts';
import {
  BatchIdParam,
  BatchReportSchema,
  DeprovisioningAcceptedSchema,
  DeprovisioningStatusSchema,
  DeprovisionParams,
  DeviceSchema,
  DeviceSearchParams,
  DirectoryPageSchema,
  ExecutionNameParam,
  HealthSchema,
  ManifestAcceptedSchema,
  ManifestUploadParams,
  ReportParams,
  ThingNameParam,
} from './apiSchemas.ts';
import { DEVICE_VIEW_OPERATIONS } from '../../deviceViews/deviceViewOperations.ts';
import { COMMAND_OPERATIONS } from '../../commands/commandOperations.ts';
import { PROJECTION_OPERATIONS } from '../projections/projectionRebuildSchemas.ts';
import { DASHBOARD_OPERATIONS } from '../../dashboard/dashboardOperations.ts';
import { BatchListPageSchema, BatchListParams, BatchSchema } from '../../provisioning/batchListSchemas.ts';

/** A response body: a zod schema for JSON, or a plain description for text formats (CSV). */
export interface ApiResponse {
  readonly description: string;
  readonly json?: z.ZodType;
  /** Other media types, each with its JSON Schema (written by hand: text has no zod schema). */
  readonly other?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  readonly headers?: Readonly<Record<string, string>>;
}

/** One operation of the HTTP API, described for the OpenAPI document. */
export interface ApiOperation {
  readonly method: ApiMethod;
  /** The OpenAPI path (`{name}` parameters). */
  readonly path: string;
  /** The route as the server registers it: what the permission table is keyed by. */
  readonly route: string;
  readonly operationId: string;
  readonly tag: string;
  readonly summary: string;
  readonly description?: string;
  readonly pathParams?: Readonly<Record<string, z.ZodType>>;
  readonly query?: z.ZodObject;
  readonly requestBody?: { readonly description: string; readonly content: Readonly<Record<string, Readonly<Record<string, unknown>>>> };
  /** Success and handler errors; 401/403 come from the permission table, 500 from the server. */
  readonly responses: Readonly<Record<number, ApiResponse>>;
}

const problem = (description: string): ApiResponse => ({ description });

/**
 * Every operation the embedded system serves. A test compares this list with the routes the
 * running system registered, both ways, so a new route cannot ship undocumented.
 */
export const API_OPERATIONS: readonly ApiOperation[] = [
  {
    method: 'GET',
    path: '/health',
    route: '/health',
    operationId: 'getHealth',
    tag: 'system',
    summary: 'Component health and projection lag',
    responses: { 200: { description: 'Every component is up.', json: HealthSchema }, 503: { description: 'A component is down.', json: HealthSchema } },
  },
  {
    method: 'GET',
    path: '/openapi.json',
    route: '/openapi.json',
    operationId: 'getOpenApi',
    tag: 'system',
    summary: 'This document',
    responses: { 200: { description: 'The OpenAPI 3.1 document.', other: { 'application/json': { type: 'object' } } } },
  },
  {
    method: 'GET',
    path: '/devices',
    route: '/devices',
    operationId: 'searchDevices',
    tag: 'devices',
    summary: 'Search the device directory',
    description:
      'Every given filter narrows the search. Besides the parameters below, `attr.NAME=VALUE` (up to 10) keeps devices whose attribute NAME equals VALUE exactly, e.g. `attr.kind=water-meter`; OpenAPI cannot name a family of parameters, so it is described here.',
    query: DeviceSearchParams,
    responses: { 200: { description: 'A page of matches.', json: DirectoryPageSchema }, 400: problem('A parameter is wrong; `errors` names each one and how to write it.') },
  },
  {
    method: 'GET',
    path: '/devices/{thingName}',
    route: '/devices/*',
    operationId: 'getDevice',
    tag: 'devices',
    summary: 'One device, deprovisioned ones included',
    pathParams: { thingName: ThingNameParam },
    responses: { 200: { description: 'The device.', json: DeviceSchema }, 400: problem('Not a thing name.'), 404: problem('No device has that name.') },
  },
  // Device state, history, alarms and rejections: described beside their routes (functions/deviceViews).
  ...DEVICE_VIEW_OPERATIONS,
  {
    method: 'DELETE',
    path: '/devices/{thingName}',
    route: '/devices/:thingName',
    operationId: 'deprovisionDevice',
    tag: 'deprovisioning',
    summary: 'Deprovision a device',
    description: 'Starts the deprovisioning workflow: revoke certificates and drop connections, detach and delete, delete credentials. Deleting a deprovisioned device starts a run that changes nothing.',
    pathParams: { thingName: ThingNameParam },
    query: DeprovisionParams,
    responses: {
      202: { description: 'The run started; follow it at `status`.', json: DeprovisioningAcceptedSchema, headers: { location: 'The status URL.' } },
      400: problem('Not a thing name, or a bad reason.'),
      404: problem('No device has that name.'),
    },
  },
  {
    method: 'GET',
    path: '/deprovisioning/{executionName}',
    route: '/deprovisioning/:executionName',
    operationId: 'getDeprovisioning',
    tag: 'deprovisioning',
    summary: 'A deprovisioning run',
    pathParams: { executionName: ExecutionNameParam },
    responses: { 200: { description: 'The run.', json: DeprovisioningStatusSchema }, 404: problem('No run has that name.') },
  },
  {
    method: 'POST',
    path: '/provisioning/manifests',
    route: '/provisioning/manifests',
    operationId: 'uploadManifest',
    tag: 'provisioning',
    summary: 'Upload a manifest: provisions its devices',
    description: 'The body is the manifest itself (schemas/manifest/README.md), streamed; storing it starts the provisioning workflow. Uploading the same manifest again changes nothing that need not change.',
    query: ManifestUploadParams,
    requestBody: {
      description: 'The manifest.',
      content: { 'text/csv': { schema: { type: 'string' } }, 'application/json': { schema: { type: 'array' } }, 'application/x-ndjson': { schema: { type: 'string' } } },
    },
    responses: {
      202: { description: 'Stored; the batch runs. Follow it at `status`.', json: ManifestAcceptedSchema, headers: { location: 'The status URL.' } },
      413: problem('The manifest is larger than the limit.'),
      415: problem('The format is not recognised.'),
    },
  },
  {
    method: 'GET',
    path: '/provisioning/batches',
    route: '/provisioning/batches',
    operationId: 'listBatches',
    tag: 'provisioning',
    summary: 'The provisioning batches, newest first',
    description: 'One per manifest stored (uploaded here or written to the uploads area), with who uploaded it, when, and its progress. Paged: pass nextCursor as cursor.',
    query: BatchListParams,
    responses: { 200: { description: 'A page of batches.', json: BatchListPageSchema }, 400: problem('The limit or cursor is not valid.') },
  },
  {
    method: 'GET',
    path: '/provisioning/batches/{batchId}',
    route: '/provisioning/batches/:batchId',
    operationId: 'getBatch',
    tag: 'provisioning',
    summary: 'A batch’s progress, and who uploaded which file when',
    pathParams: { batchId: BatchIdParam },
    responses: {
      200: { description: 'Progress so far, with the upload’s file name, uploader and time.', json: BatchSchema },
      404: problem(
        'No batch has that id (type /problems/batch-not-found); or its manifest is stored and its workflow has not started yet (type /problems/batch-not-started, with the extension members batchId, fileName, uploadedBy and uploadedAt): ask again.',
      ),
    },
  },
  {
    method: 'GET',
    path: '/provisioning/batches/{batchId}/report',
    route: '/provisioning/batches/:batchId/report',
    operationId: 'getBatchReport',
    tag: 'provisioning',
    summary: 'A batch’s per-row report',
    pathParams: { batchId: BatchIdParam },
    query: ReportParams,
    responses: {
      200: { description: 'One outcome per row.', json: BatchReportSchema, other: { 'text/csv': { type: 'string', description: 'Columns row, serial, outcome, field, message, hint.' } } },
      404: problem('No batch has that id.'),
      409: problem('The batch is still running.'),
    },
  },
  // Commands, their audit and alarm acknowledgement: described beside their routes (functions/commands).
  ...COMMAND_OPERATIONS,
  // Projection rebuild and comparison: described beside its route (functions/api/projections).
  ...PROJECTION_OPERATIONS,
  // The web console's files, config and embedded role picker: described beside their routes (functions/dashboard).
  ...DASHBOARD_OPERATIONS,
];

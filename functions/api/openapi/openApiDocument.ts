import { z } from 'zod';
import { permissionTable, type PermissionTable } from '../auth/permissions.ts';
import { ROLE_PURPOSE, ROLES } from '../auth/roles.ts';
import { API_OPERATIONS, type ApiOperation, type ApiResponse } from './operations.ts';
import {
  BatchProgressSchema,
  BatchReportSchema,
  DeprovisioningAcceptedSchema,
  DeprovisioningStatusSchema,
  DeviceSchema,
  DirectoryPageSchema,
  HealthSchema,
  ManifestAcceptedSchema,
  ProblemSchema,
} from './apiSchemas.ts';

type Json = Record<string, unknown>;

/** Named schemas: referenced from operations as #/components/schemas/<name>. */
const COMPONENTS: Readonly<Record<string, z.ZodType>> = {
  Problem: ProblemSchema,
  Device: DeviceSchema,
  DirectoryPage: DirectoryPageSchema,
  ManifestAccepted: ManifestAcceptedSchema,
  BatchProgress: BatchProgressSchema,
  BatchReport: BatchReportSchema,
  DeprovisioningAccepted: DeprovisioningAcceptedSchema,
  DeprovisioningStatus: DeprovisioningStatusSchema,
  Health: HealthSchema,
};

const PROBLEM_REF = { $ref: '#/components/schemas/Problem' };
const PROBLEM_CONTENT = { 'application/problem+json': { schema: PROBLEM_REF } };

/**
 * zod to JSON Schema 2020-12, OpenAPI 3.1's dialect. The input side is used throughout: it keeps
 * objects open (no additionalProperties: false), which is what a client may rely on.
 * `$schema`/`$id` are dropped: the document's dialect already says which, and a fragment `$id` is
 * not allowed in 2020-12.
 */
const clean = (schema: Json): Json => {
  const { $schema: _dialect, $id: _id, ...rest } = schema;
  return rest;
};

const componentSchemas = (): { schemas: Record<string, Json>; refOf: Map<z.ZodType, string> } => {
  const registry = z.registry<{ id: string }>();
  const refOf = new Map<z.ZodType, string>();
  for (const [id, schema] of Object.entries(COMPONENTS)) {
    registry.add(schema, { id });
    refOf.set(schema, `#/components/schemas/${id}`);
  }
  const out = z.toJSONSchema(registry, { io: 'input', uri: (id) => `#/components/schemas/${id}` });
  return { schemas: Object.fromEntries(Object.entries(out.schemas).map(([id, s]) => [id, clean(s as Json)])), refOf };
};

const schemaOf = (schema: z.ZodType, refOf: Map<z.ZodType, string>): Json => {
  const ref = refOf.get(schema);
  return ref ? { $ref: ref } : clean(z.toJSONSchema(schema, { io: 'input' }));
};

const parametersOf = (op: ApiOperation): Json[] => {
  const params: Json[] = [];
  for (const [name, schema] of Object.entries(op.pathParams ?? {})) {
    const json = schemaOf(schema, new Map());
    params.push({ name, in: 'path', required: true, ...(typeof json.description === 'string' ? { description: json.description } : {}), schema: json });
  }
  if (op.query) {
    const json = schemaOf(op.query, new Map()) as { properties?: Record<string, Json>; required?: string[] };
    for (const [name, schema] of Object.entries(json.properties ?? {})) {
      params.push({ name, in: 'query', required: json.required?.includes(name) ?? false, ...(typeof schema.description === 'string' ? { description: schema.description } : {}), schema });
    }
  }
  return params;
};

const responseOf = (response: ApiResponse, status: number, refOf: Map<z.ZodType, string>): Json => {
  const content: Json = {};
  if (status >= 400) content['application/problem+json'] = { schema: PROBLEM_REF };
  else if (response.json) content['application/json'] = { schema: schemaOf(response.json, refOf) };
  for (const [type, schema] of Object.entries(response.other ?? {})) content[type] = { schema };
  return {
    description: response.description,
    ...(response.headers ? { headers: Object.fromEntries(Object.entries(response.headers).map(([h, d]) => [h, { description: d, schema: { type: 'string' } }])) } : {}),
    ...(Object.keys(content).length > 0 ? { content } : {}),
  };
};

export interface OpenApiOptions {
  readonly table?: PermissionTable;
  readonly operations?: readonly ApiOperation[];
  readonly version?: string;
}

/**
 * The OpenAPI 3.1 document of the HTTP API, generated from the zod wire schemas, the operation list
 * and the permission table: each protected operation names its roles in `x-roles` and requires the
 * bearer scheme; public ones have `security: []`. An operation missing from the table is an error
 * here, at start-up, rather than a route documented as something it is not.
 */
export const openApiDocument = (options: OpenApiOptions = {}): Json => {
  const table = options.table ?? permissionTable();
  const { schemas, refOf } = componentSchemas();
  const paths: Record<string, Record<string, Json>> = {};
  for (const op of options.operations ?? API_OPERATIONS) {
    const permission = table.lookup(op.method, op.route);
    if (!permission) throw new Error(`${op.method} ${op.route} is documented but has no permission entry: add it to functions/api/auth/permissions.ts.`);
    const responses: Record<string, Json> = {};
    for (const [status, response] of Object.entries(op.responses)) responses[status] = responseOf(response, Number(status), refOf);
    if (permission.access === 'roles') {
      responses['401'] = { description: 'No token, or one that is expired, altered, or from another issuer or audience.', content: PROBLEM_CONTENT };
      responses['403'] = { description: `The token has none of the roles ${permission.roles.join(', ')}.`, content: PROBLEM_CONTENT };
    }
    responses['500'] = { description: 'The server failed; the error is logged.', content: PROBLEM_CONTENT };
    const parameters = parametersOf(op);
    (paths[op.path] ??= {})[op.method.toLowerCase()] = {
      operationId: op.operationId,
      tags: [op.tag],
      summary: op.summary,
      ...(op.description ? { description: op.description } : {}),
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(op.requestBody ? { requestBody: { required: true, description: op.requestBody.description, content: op.requestBody.content } } : {}),
      responses,
      ...(permission.access === 'public' ? { security: [] } : { security: [{ bearer: [] }], 'x-roles': [...permission.roles] }),
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'LwM2M fleet API',
      version: options.version ?? '0.1.0',
      description: `Device directory, provisioning and deprovisioning for a fleet of LwM2M devices. Every operation but the public ones needs a bearer JWT with a role: ${ROLES.map((r) => `${r} (${ROLE_PURPOSE[r]})`).join('; ')}. Each operation lists the roles it admits in x-roles.`,
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    security: [{ bearer: [] }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Embedded: tokens from the local issuer (ES256). AWS: Cognito user pool tokens; roles are the groups admin, operator, viewer.' },
      },
      schemas,
    },
    paths,
  };
};

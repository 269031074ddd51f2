import { describe, expect, it } from 'vitest';
import { PERMISSIONS, permissionTable } from '../../functions/api/auth/permissions.ts';
import { openApiDocument } from '../../functions/api/openapi/openApiDocument.ts';
import { API_OPERATIONS } from '../../functions/api/openapi/operations.ts';
import { DEVICE_STATUSES, SEARCH_LIMITS } from '../../schemas/directory/searchQuery.ts';

/** A value deep in the document, or undefined. */
const at = (value: unknown, ...path: string[]): unknown => path.reduce<unknown>((v, k) => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined), value);
const keysAt = (value: unknown, ...path: string[]) => Object.keys(at(value, ...path) as object);

describe('the OpenAPI document', () => {
  const doc = openApiDocument();

  it('carries the zod schemas as JSON Schema 2020-12 components', () => {
    expect(doc.jsonSchemaDialect).toBe('https://json-schema.org/draft/2020-12/schema');
    const device = at(doc, 'components', 'schemas', 'Device');
    expect(at(device, 'properties', 'status', 'enum')).toEqual([...DEVICE_STATUSES]);
    expect(at(device, 'required')).toEqual(expect.arrayContaining(['thingName', 'tenant', 'location', 'attributes', 'status', 'provisionedAt']));
    expect(at(device, 'properties', 'thingName')).toMatchObject({ type: 'string', minLength: 1, maxLength: 128 });
    // Open objects: a client must accept fields added later.
    expect(at(device, 'additionalProperties')).toBeUndefined();
    expect(at(doc, 'components', 'schemas', 'DirectoryPage', 'properties', 'items', 'items')).toEqual({ $ref: '#/components/schemas/Device' });
    for (const name of keysAt(doc, 'components', 'schemas')) {
      expect(at(doc, 'components', 'schemas', name, '$id')).toBeUndefined();
      expect(at(doc, 'components', 'schemas', name, '$schema')).toBeUndefined();
    }
  });

  it('turns the search parameters into query parameters with their limits', () => {
    const params = at(doc, 'paths', '/devices', 'get', 'parameters') as { name: string; in: string; required: boolean; schema: unknown }[];
    expect(params.map((p) => p.name)).toEqual(['tenant', 'thingGroup', 'deviceType', 'status', 'bbox', 'near', 'limit', 'cursor']);
    expect(params.every((p) => p.in === 'query' && !p.required)).toBe(true);
    expect(params.find((p) => p.name === 'limit')?.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: SEARCH_LIMITS.maxLimit });
    expect(at(doc, 'paths', '/devices', 'get', 'description')).toContain('attr.NAME=VALUE');
  });

  it('documents each operation once and only operations that have a permission entry', () => {
    const ids = API_OPERATIONS.map((o) => o.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    const withoutEntry = permissionTable(PERMISSIONS.filter((p) => p.route !== '/provisioning/manifests'));
    expect(() => openApiDocument({ table: withoutEntry })).toThrow('POST /provisioning/manifests is documented but has no permission entry');
  });

  it('documents the manifest formats an upload accepts and the CSV report beside the JSON one', () => {
    expect(keysAt(doc, 'paths', '/provisioning/manifests', 'post', 'requestBody', 'content')).toEqual(['text/csv', 'application/json', 'application/x-ndjson']);
    expect(keysAt(doc, 'paths', '/provisioning/batches/{batchId}/report', 'get', 'responses', '200', 'content')).toEqual(['application/json', 'text/csv']);
    expect(keysAt(doc, 'paths', '/health', 'get', 'responses')).toEqual(['200', '500', '503']);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { permissionTable } from '../../functions/api/auth/permissions.ts';
import { startFullSystem, type FullSystem } from './support.ts';

type Json = Record<string, unknown>;
interface Operation {
  readonly security?: unknown[];
  readonly 'x-roles'?: string[];
  readonly parameters?: { name: string; in: string; required?: boolean }[];
  readonly responses: Record<string, Json>;
}
interface Document {
  readonly openapi: string;
  readonly paths: Record<string, Record<string, Operation>>;
  readonly components: { securitySchemes: Record<string, Json>; schemas: Record<string, Json> };
}

let full: FullSystem;
let doc: Document;
let contentType: string | null;

beforeAll(async () => {
  full = await startFullSystem('e2e-openapi-');
  const res = await fetch(`${full.system.url}/openapi.json`); // public: no token
  expect(res.status).toBe(200);
  contentType = res.headers.get('content-type');
  doc = (await res.json()) as Document;
});
afterAll(() => full.stop());

/** A route pattern with its parameters blanked: `/devices/:thingName`, `/devices/*` and `/devices/{thingName}` all read `/devices/{}`. */
const shape = (path: string) => path.replace(/:[A-Za-z0-9_]+|\{[A-Za-z0-9_]+\}|\*/g, '{}');
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];
const documented = () => Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).filter((m) => METHODS.includes(m)).map((m) => ({ method: m.toUpperCase(), path })));

describe('GET /openapi.json', () => {
  it('is an OpenAPI 3.1 document served as JSON with a bearer JWT scheme', () => {
    expect(contentType).toMatch(/^application\/json/);
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  });

  it('documents every registered route, and nothing the server does not serve', () => {
    const registered = full.system.api.routes().map((r) => `${r.method} ${shape(r.route)}`).sort();
    const inDocument = documented().map((o) => `${o.method} ${shape(o.path)}`).sort();
    expect(inDocument).toEqual(registered);
    expect(registered.length).toBeGreaterThanOrEqual(9);
  });

  it("names each protected operation's roles as the permission table does, and marks public ones", () => {
    const table = permissionTable();
    for (const route of full.system.api.routes()) {
      const path = documented().find((o) => o.method === route.method && shape(o.path) === shape(route.route))!.path;
      const operation = doc.paths[path]![route.method.toLowerCase()]!;
      const entry = table.lookup(route.method, route.route)!;
      if (entry.access === 'public') {
        expect(operation.security, `${route.method} ${path}`).toEqual([]);
        expect(operation['x-roles']).toBeUndefined();
      } else {
        expect(operation.security).toEqual([{ bearer: [] }]);
        expect(operation['x-roles'], `${route.method} ${path}`).toEqual([...entry.roles]);
        expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['401', '403']));
      }
    }
  });

  it('declares every path parameter, and every $ref points at a schema in the document', () => {
    for (const [path, item] of Object.entries(doc.paths)) {
      const names = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      for (const operation of Object.values(item)) {
        const declared = (operation.parameters ?? []).filter((p) => p.in === 'path');
        expect(declared.map((p) => p.name).sort(), path).toEqual([...names].sort());
        expect(declared.every((p) => p.required === true)).toBe(true);
      }
    }
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/(\w+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of refs) expect(doc.components.schemas, ref).toHaveProperty(ref);
  });

  it('answers errors with the Problem schema', () => {
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        for (const [status, response] of Object.entries(operation.responses)) {
          if (Number(status) >= 400) expect(response, `${method} ${path} ${status}`).toMatchObject({ content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } });
        }
      }
    }
  });
});

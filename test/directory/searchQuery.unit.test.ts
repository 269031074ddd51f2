import { describe, expect, it } from 'vitest';
import type { FieldError } from '../../schemas/directory/fieldError.ts';
import { parseSearchParams } from '../../schemas/directory/parseSearchParams.ts';
import { checkSearchQuery, DEFAULT_STATUSES, SearchQuery } from '../../schemas/directory/searchQuery.ts';

const errorsOf = (query: string): FieldError[] => {
  const result = parseSearchParams(query);
  if (result.ok) throw new Error(`expected ${query} to be refused, got ${JSON.stringify(result.query)}`);
  return result.errors;
};

const fieldsAndRules = (query: string) => errorsOf(query).map((e) => [e.field, e.rule]);

describe('parsing a search from a URL query string', () => {
  it('reads the example from the API description', () => {
    const result = parseSearchParams('?tenant=x&attr.kind=water-meter&bbox=55,12,56,14&near=55.6,13.0,2000&limit=20');
    expect(result).toEqual({
      ok: true,
      query: {
        tenant: 'x',
        attributes: { kind: 'water-meter' },
        bbox: { minLat: 55, minLon: 12, maxLat: 56, maxLon: 14 },
        near: { lat: 55.6, lon: 13, radiusMeters: 2000 },
        limit: 20,
        status: ['provisioned', 'bootstrapped'],
      },
    });
  });

  it('fills in defaults: 50 per page, live devices only', () => {
    expect(parseSearchParams('')).toEqual({ ok: true, query: { limit: 50, status: [...DEFAULT_STATUSES] } });
    expect(DEFAULT_STATUSES).not.toContain('deprovisioned');
  });

  it('reads statuses as a list, in canonical order and once each; "any" means all three', () => {
    const status = (q: string) => {
      const r = parseSearchParams(q);
      return r.ok ? r.query.status : r.errors;
    };
    expect(status('status=deprovisioned')).toEqual(['deprovisioned']);
    expect(status('status=deprovisioned,provisioned,provisioned')).toEqual(['provisioned', 'deprovisioned']);
    expect(status('status=any')).toEqual(['provisioned', 'bootstrapped', 'deprovisioned']);
    expect(fieldsAndRules('status=active')).toEqual([['status', 'one-of']]);
    expect(fieldsAndRules('status=')).toEqual([['status', 'one-of']]);
  });

  it('accepts a box across the antimeridian (minLon > maxLon) and URL-encoded values', () => {
    const r = parseSearchParams(new URLSearchParams({ bbox: '-20,170,-10,-170', 'attr.fw.version': '1.0', 'attr.zone-id': 'a b' }));
    expect(r.ok && r.query.bbox).toEqual({ minLat: -20, minLon: 170, maxLat: -10, maxLon: -170 });
    expect(r.ok && r.query.attributes).toEqual({ 'fw.version': '1.0', 'zone-id': 'a b' });
    expect(parseSearchParams('attr.note=a%2Cb+c')).toMatchObject({ ok: true, query: { attributes: { note: 'a,b c' } } });
    // fastify-style parsed objects work too.
    expect(parseSearchParams({ tenant: 'city-of-lund', limit: '3' })).toMatchObject({ ok: true, query: { tenant: 'city-of-lund', limit: 3 } });
  });

  it('names the field, the rule and a hint for malformed boxes and radii', () => {
    expect(fieldsAndRules('bbox=55,12,56')).toEqual([['bbox', 'format']]);
    expect(fieldsAndRules('bbox=55,12,56,x')).toEqual([['bbox', 'not-a-number']]);
    expect(fieldsAndRules('bbox=56,12,55,14')).toEqual([['bbox', 'min-above-max']]);
    expect(fieldsAndRules('bbox=55,12,91,14')).toEqual([['bbox', 'max']]);
    expect(fieldsAndRules('bbox=55,-181,56,14')).toEqual([['bbox', 'min']]);
    expect(fieldsAndRules('bbox=0x10,12,56,14')).toEqual([['bbox', 'not-a-number']]);
    expect(fieldsAndRules('near=55.6,13.0')).toEqual([['near', 'format']]);
    expect(fieldsAndRules('near=55.6,13.0,Infinity')).toEqual([['near', 'not-a-number']]);
    expect(fieldsAndRules('near=55.6,13.0,2000000')).toEqual([['near', 'max']]);
    expect(fieldsAndRules('near=55.6,13.0,0')).toEqual([['near', 'min']]);
    expect(fieldsAndRules('near=95,13.0,10')).toEqual([['near', 'max']]);
    const [bbox] = errorsOf('bbox=56,12,55,14');
    expect(bbox?.message).toContain('minLat 56 above maxLat 55');
    expect(bbox?.hint).toContain('minLat,minLon,maxLat,maxLon');
    const [near] = errorsOf('near=1,2');
    expect(near?.hint).toContain('near=lat,lon,radiusMeters');
  });

  it('refuses limits outside 1..500 and non-integers', () => {
    expect(fieldsAndRules('limit=0')).toEqual([['limit', 'min']]);
    expect(fieldsAndRules('limit=501')).toEqual([['limit', 'max']]);
    expect(fieldsAndRules('limit=1.5')).toEqual([['limit', 'not-an-integer']]);
    expect(fieldsAndRules('limit=ten')).toEqual([['limit', 'not-an-integer']]);
    expect(fieldsAndRules('limit=')).toEqual([['limit', 'not-an-integer']]);
    expect(parseSearchParams('limit=500')).toMatchObject({ ok: true, query: { limit: 500 } });
  });

  it('checks tenants, group and type names, and attribute names and values like manifests do', () => {
    expect(fieldsAndRules('tenant=City of Lund')).toEqual([['tenant', 'tenant-id']]);
    expect(errorsOf('tenant=City of Lund')[0]?.hint).toContain('"city-of-lund"');
    expect(fieldsAndRules('thingGroup=north side')).toEqual([['thingGroup', 'aws-name']]);
    expect(fieldsAndRules(`deviceType=${'t'.repeat(129)}`)).toEqual([['deviceType', 'aws-name']]);
    expect(fieldsAndRules('attr.a%20b=1')).toEqual([['attr.a b', 'attribute-name']]);
    expect(fieldsAndRules('attr.x%22%5D=1')).toEqual([['attr.x"]', 'attribute-name']]);
    expect(fieldsAndRules('attr.__proto__=1')).toEqual([['attr.__proto__', 'attribute-name']]);
    expect(fieldsAndRules('attr.=1')).toEqual([['attr.', 'attribute-name']]);
    expect(fieldsAndRules(`attr.kind=${'v'.repeat(801)}`)).toEqual([['attr.kind', 'max']]);
    const many = Array.from({ length: 11 }, (_, i) => `attr.a${i}=v`).join('&');
    expect(fieldsAndRules(many)).toEqual([['attr', 'too-many']]);
  });

  it('refuses unknown and repeated parameters, suggesting the one that was meant', () => {
    expect(fieldsAndRules('tenat=x')).toEqual([['tenat', 'unknown-parameter']]);
    expect(errorsOf('Tenant=x')[0]?.hint).toBe('Did you mean tenant?');
    expect(errorsOf('attributes.kind=x')[0]?.hint).toBe('Did you mean attr.NAME?');
    expect(fieldsAndRules('tenant=a&tenant=b')).toEqual([['tenant', 'repeated']]);
    expect(fieldsAndRules('attr.kind=a&attr.kind=b')).toEqual([['attr.kind', 'repeated']]);
  });

  it('reports every problem at once, each with a hint', () => {
    const errors = errorsOf('limit=0&tenant=Bad%20Tenant&near=1,2,2000000&bbox=1,2,3&foo=1&cursor=not%20base64');
    expect(errors.map((e) => e.field).sort()).toEqual(['bbox', 'cursor', 'foo', 'limit', 'near', 'tenant']);
    for (const e of errors) {
      expect(e.rule).toMatch(/^[a-z-]+$/);
      expect(e.message.length).toBeGreaterThan(5);
      expect(e.hint.length).toBeGreaterThan(5);
    }
    // A flood of bad parameters gets a bounded answer.
    expect(errorsOf(Array.from({ length: 1000 }, (_, i) => `x${i}=1`).join('&'))).toHaveLength(20);
  });
});

describe('checking a search given as a value', () => {
  it('names fields by their path and keeps rules and hints', () => {
    const result = checkSearchQuery({ bbox: { minLat: 1, minLon: 2, maxLat: 0, maxLon: 3 }, near: { lat: 1, lon: 2 }, limit: 10.5, extra: true });
    expect(result.ok).toBe(false);
    const errors = result.ok ? [] : result.errors;
    expect(errors.map((e) => [e.field, e.rule])).toEqual(
      expect.arrayContaining([
        ['bbox', 'min-above-max'],
        ['near.radiusMeters', 'type'],
        ['limit', 'type'],
        ['extra', 'unknown-field'],
      ]),
    );
    expect(errors.every((e) => e.hint.length > 0)).toBe(true);
  });

  it('parses to the same value as the URL parser', () => {
    const fromUrl = parseSearchParams('tenant=city-of-lund&attr.kind=water-meter&status=bootstrapped&limit=5');
    expect(fromUrl.ok && SearchQuery.parse({ tenant: 'city-of-lund', attributes: { kind: 'water-meter' }, status: ['bootstrapped'], limit: 5 })).toEqual(
      fromUrl.ok && fromUrl.query,
    );
  });
});

import { describe, expect, it } from 'vitest';
import { parseSearchParams } from '../../../schemas/directory/parseSearchParams.ts';
import { apiQueryOf, EMPTY_FORM, formOf, queryOfForm, queryString } from '../../../functions/dashboard/app/pages/directory/directoryQuery.ts';

describe('the URL query is the API query', () => {
  it('keeps the directory parameters and attributes, drops the rest and empty ones', () => {
    const params = new URLSearchParams('tenant=acme-city&attr.kind=water-meter&foo=1&thingGroup=&cursor=abc&attr.=x&near=55.6,13,2000');
    expect(apiQueryOf(params)).toEqual({ tenant: 'acme-city', cursor: 'abc', near: '55.6,13,2000', 'attr.kind': 'water-meter' });
  });

  it('writes a query string the API parses back to the same search', () => {
    const query = { tenant: 'acme-city', 'attr.fw.version': '2.0', 'attr.site': 'a/b#c', bbox: '55,12,56,14' };
    const text = queryString(query);
    expect(text.startsWith('?')).toBe(true);
    const parsed = parseSearchParams(text);
    expect(parsed.ok).toBe(true);
    if (parsed.ok) {
      expect(parsed.query.tenant).toBe('acme-city');
      expect(parsed.query.attributes).toEqual({ 'fw.version': '2.0', site: 'a/b#c' });
      expect(parsed.query.bbox).toEqual({ minLat: 55, minLon: 12, maxLat: 56, maxLon: 14 });
    }
    expect(queryString({})).toBe('');
  });
});

describe('the filter form', () => {
  it('turns every field into the parameter the API takes', () => {
    const checked = queryOfForm({
      ...EMPTY_FORM,
      tenant: ' acme-city ',
      thingGroup: 'street-lights',
      deviceType: 'lamp',
      status: 'any',
      attributes: 'kind=water-meter  fw=2.0\nmodel=a=b',
      minLat: '55',
      minLon: '12.5',
      maxLat: '56',
      maxLon: '-170',
      nearLat: '55.6',
      nearLon: '13.0',
      radiusKm: '2.5',
      limit: '20',
    });
    expect(checked).toEqual({
      ok: true,
      query: {
        tenant: 'acme-city',
        thingGroup: 'street-lights',
        deviceType: 'lamp',
        status: 'any',
        limit: '20',
        bbox: '55,12.5,56,-170',
        near: '55.6,13,2500',
        'attr.kind': 'water-meter',
        'attr.fw': '2.0',
        'attr.model': 'a=b',
      },
    });
    if (checked.ok) expect(parseSearchParams(queryString(checked.query)).ok).toBe(true);
  });

  it('asks an empty form for nothing: all live devices', () => {
    expect(queryOfForm(EMPTY_FORM)).toEqual({ ok: true, query: {} });
  });

  it('names every empty edge of a half-filled box and every missing part of a radius', () => {
    const checked = queryOfForm({ ...EMPTY_FORM, minLat: '55', maxLon: '14', radiusKm: '2' });
    expect(checked.ok).toBe(false);
    if (!checked.ok) {
      expect(checked.errors.map((e) => e.field)).toEqual(['minLon', 'maxLat', 'nearLat', 'nearLon']);
      expect(checked.errors[0]?.message).toMatch(/all four edges, or none/);
      expect(checked.errors[2]?.message).toMatch(/centre's latitude and longitude and the radius/);
    }
  });

  it('refuses numbers the API would not read, and malformed or repeated attributes', () => {
    const checked = queryOfForm({ ...EMPTY_FORM, nearLat: '55,6', nearLon: '13', radiusKm: '2 km', attributes: 'kind water=x water=y =z' });
    expect(checked.ok).toBe(false);
    if (!checked.ok) {
      expect(checked.errors).toEqual([
        { field: 'nearLat', message: expect.stringMatching(/"55,6" is not a decimal number/) as string },
        { field: 'radiusKm', message: expect.stringMatching(/"2 km" is not a decimal number/) as string },
        { field: 'attributes', message: expect.stringMatching(/"kind" is not name=value/) as string },
        { field: 'attributes', message: expect.stringMatching(/"water" is given twice/) as string },
        { field: 'attributes', message: expect.stringMatching(/"=z" is not name=value/) as string },
      ]);
    }
  });

  it('shows what a linked URL filters on, radius in km, and submits it unchanged', () => {
    const query = apiQueryOf(new URLSearchParams('tenant=acme-city&near=55.6,13,2500&bbox=55,12,56,14&attr.kind=meter&status=deprovisioned&limit=100'));
    const form = formOf(query);
    expect(form).toMatchObject({ tenant: 'acme-city', nearLat: '55.6', nearLon: '13', radiusKm: '2.5', minLat: '55', maxLon: '14', attributes: 'kind=meter', status: 'deprovisioned', limit: '100' });
    expect(queryOfForm(form)).toEqual({ ok: true, query });
  });
});

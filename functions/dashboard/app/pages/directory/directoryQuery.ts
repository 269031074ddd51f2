/**
 * The directory filters as the form holds them, and as the URL holds them. The page's URL query is
 * the API's own query (`tenant`, `thingGroup`, `deviceType`, `status`, `attr.NAME`, `bbox`, `near`,
 * `limit`, `cursor`; functions/directory/README.md), so a filtered view is a link, and what the
 * page asks the API is exactly what the URL says. Pure: no DOM.
 */

export interface DirectoryForm {
  readonly tenant: string;
  readonly thingGroup: string;
  readonly deviceType: string;
  /** '' for live devices (the API's default), a status, or 'any'. */
  readonly status: string;
  /** `name=value` pairs separated by spaces or new lines (attribute values never hold spaces). */
  readonly attributes: string;
  readonly minLat: string;
  readonly minLon: string;
  readonly maxLat: string;
  readonly maxLon: string;
  readonly nearLat: string;
  readonly nearLon: string;
  readonly radiusKm: string;
  readonly limit: string;
}

export const EMPTY_FORM: DirectoryForm = {
  tenant: '',
  thingGroup: '',
  deviceType: '',
  status: '',
  attributes: '',
  minLat: '',
  minLon: '',
  maxLat: '',
  maxLon: '',
  nearLat: '',
  nearLon: '',
  radiusKm: '',
  limit: '',
};

export interface FormError {
  /** The form field to mark (a key of DirectoryForm). */
  readonly field: keyof DirectoryForm;
  readonly message: string;
}

export type FormCheck = { readonly ok: true; readonly query: Record<string, string> } | { readonly ok: false; readonly errors: readonly FormError[] };

/** The parameters the page carries from the URL to the API; anything else in the URL is left out. */
const PLAIN = ['tenant', 'thingGroup', 'deviceType', 'status', 'bbox', 'near', 'limit', 'cursor'] as const;
const ATTR = 'attr.';

/** The API query of a page URL: the known parameters, in a stable order, attributes last. */
export const apiQueryOf = (params: URLSearchParams): Record<string, string> => {
  const query: Record<string, string> = {};
  for (const name of PLAIN) {
    const value = params.get(name);
    if (value !== null && value !== '') query[name] = value;
  }
  for (const [name, value] of params) if (name.startsWith(ATTR) && name.length > ATTR.length && !(name in query)) query[name] = value;
  return query;
};

/** `?tenant=a&attr.kind=b`: the query string for the API (URLSearchParams encodes every value). */
export const queryString = (query: Record<string, string>): string => {
  const text = new URLSearchParams(Object.entries(query)).toString();
  return text ? `?${text}` : '';
};

const kmText = (meters: string): string => {
  const n = Number(meters);
  return Number.isFinite(n) ? String(n / 1000) : '';
};

/** The form showing what a URL query filters on (for a link opened or the back button). */
export const formOf = (query: Record<string, string>): DirectoryForm => {
  const [minLat = '', minLon = '', maxLat = '', maxLon = ''] = query.bbox?.split(',') ?? [];
  const [nearLat = '', nearLon = '', radius = ''] = query.near?.split(',') ?? [];
  const attributes = Object.entries(query)
    .filter(([k]) => k.startsWith(ATTR))
    .map(([k, v]) => `${k.slice(ATTR.length)}=${v}`)
    .join(' ');
  return {
    tenant: query.tenant ?? '',
    thingGroup: query.thingGroup ?? '',
    deviceType: query.deviceType ?? '',
    status: query.status ?? '',
    attributes,
    minLat,
    minLon,
    maxLat,
    maxLon,
    nearLat,
    nearLon,
    radiusKm: radius === '' ? '' : kmText(radius),
    limit: query.limit ?? '',
  };
};

const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;

/** A decimal the API will read, or an error naming the field; undefined for an empty field. */
const decimal = (form: DirectoryForm, field: keyof DirectoryForm, label: string, errors: FormError[]): number | undefined => {
  const text = form[field].trim();
  if (text === '') return undefined;
  if (!DECIMAL.test(text)) {
    errors.push({ field, message: `${label} "${text}" is not a decimal number; write it like 55.61 (a dot, no unit).` });
    return undefined;
  }
  return Number(text);
};

/**
 * The API query for what the form says, or what to fix. Only what the API cannot say better is
 * checked here (a half-filled box or centre, a malformed attribute pair); ranges and names are
 * left to the server, whose problem+json names the parameter and the rule.
 */
export const queryOfForm = (form: DirectoryForm): FormCheck => {
  const errors: FormError[] = [];
  const query: Record<string, string> = {};
  for (const name of ['tenant', 'thingGroup', 'deviceType', 'status', 'limit'] as const) {
    const value = form[name].trim();
    if (value !== '') query[name] = value;
  }

  const boxFields = [
    ['minLat', 'South (min latitude)'],
    ['minLon', 'West (min longitude)'],
    ['maxLat', 'North (max latitude)'],
    ['maxLon', 'East (max longitude)'],
  ] as const;
  const box = boxFields.map(([field, label]) => decimal(form, field, label, errors));
  const boxFilled = boxFields.filter(([field]) => form[field].trim() !== '');
  if (boxFilled.length > 0 && boxFilled.length < 4) {
    for (const [field, label] of boxFields) {
      if (form[field].trim() === '') errors.push({ field, message: `${label} is empty: a bounding box needs all four edges, or none.` });
    }
  } else if (box.every((v) => v !== undefined)) query.bbox = box.join(',');

  const centreFields = [
    ['nearLat', 'Centre latitude'],
    ['nearLon', 'Centre longitude'],
    ['radiusKm', 'Radius (km)'],
  ] as const;
  const centre = centreFields.map(([field, label]) => decimal(form, field, label, errors));
  const centreFilled = centreFields.filter(([field]) => form[field].trim() !== '');
  if (centreFilled.length > 0 && centreFilled.length < 3) {
    for (const [field, label] of centreFields) {
      if (form[field].trim() === '') errors.push({ field, message: `${label} is empty: a radius search needs the centre's latitude and longitude and the radius.` });
    }
  } else if (centre.every((v) => v !== undefined)) {
    const [lat, lon, km] = centre as [number, number, number];
    // The API takes metres; whole metres are plenty and keep the URL short.
    query.near = `${lat},${lon},${Math.round(km * 1000)}`;
  }

  const seen = new Set<string>();
  for (const pair of form.attributes.split(/\s+/).filter((p) => p !== '')) {
    const eq = pair.indexOf('=');
    const name = eq === -1 ? '' : pair.slice(0, eq);
    const value = eq === -1 ? '' : pair.slice(eq + 1);
    if (name === '' || value === '') {
      errors.push({ field: 'attributes', message: `"${pair}" is not name=value; write each attribute as kind=water-meter, separated by spaces.` });
    } else if (seen.has(name)) {
      errors.push({ field: 'attributes', message: `Attribute "${name}" is given twice; a device has one value per attribute.` });
    } else {
      seen.add(name);
      query[`${ATTR}${name}`] = value;
    }
  }

  return errors.length > 0 ? { ok: false, errors } : { ok: true, query };
};

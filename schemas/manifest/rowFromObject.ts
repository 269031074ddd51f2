import type { JsonPiece } from './jsonPieces.ts';
import { MAX_JSON_DEPTH } from './jsonScanner.ts';
import { ATTRIBUTES_KEY, reservedFieldFor, type RowProblem } from './manifestRow.ts';

export interface ObjectRowInput {
  /** The schema's input, or undefined when the piece is not a row object at all. */
  readonly input: Record<string, unknown> | undefined;
  readonly problems: RowProblem[];
}

const ROW_EXAMPLE = '{"serial": "SN-0001", "tenant": "acme-city", "latitude": 52.52, "longitude": 13.405, "attributes": {"floor": "3"}}';

const isBlank = (v: unknown): boolean => v === null || v === undefined || (typeof v === 'string' && v.trim().length === 0);
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** An own property even for "__proto__", which plain assignment would turn into a prototype. */
const put = (target: Record<string, unknown>, key: string, value: unknown): void => {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
};

const notObject = (kind: string): ObjectRowInput => ({
  input: undefined,
  problems: [{ field: '', message: `this row is ${kind}, not an object.`, hint: `Write each row as an object, e.g. ${ROW_EXAMPLE}.` }],
});

/**
 * One JSON/NDJSON piece to the schema's input. Field names match case-insensitively like CSV
 * headers; null and "" mean "not set", as an empty CSV cell does. Unknown keys are passed on so
 * the schema names them.
 */
export const rowFromPiece = (piece: JsonPiece): ObjectRowInput => {
  if (piece.tooDeep) {
    return {
      input: undefined,
      problems: [{ field: '', message: `this row nests deeper than ${MAX_JSON_DEPTH} levels.`, hint: `A row is a flat object with one nested "attributes" object, e.g. ${ROW_EXAMPLE}.` }],
    };
  }
  if (piece.text.length === 0) return notObject('empty');
  let value: unknown;
  try {
    value = JSON.parse(piece.text);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return { input: undefined, problems: [{ field: '', message: `this row is not valid JSON (${why}).`, hint: 'Check the quotes, commas and brackets in this row.' }] };
  }
  if (!isObject(value)) return notObject(value === null ? 'null' : Array.isArray(value) ? 'a list' : `a ${typeof value}`);
  return rowFromObject(value);
};

export const rowFromObject = (value: Record<string, unknown>): ObjectRowInput => {
  const input: Record<string, unknown> = {};
  const problems: RowProblem[] = [];
  const keyFor = new Map<string, string>();
  for (const [key, given] of Object.entries(value)) {
    const isAttributes = key.trim().toLowerCase() === ATTRIBUTES_KEY;
    const name = reservedFieldFor(key) ?? (isAttributes ? ATTRIBUTES_KEY : key);
    const earlier = keyFor.get(name);
    if (earlier !== undefined) {
      problems.push({ field: name, message: `${name} is given twice, as "${earlier}" and "${key}".`, hint: 'Keep one of them (names ignore letter case).' });
      continue;
    }
    keyFor.set(name, key);
    if (isBlank(given)) continue;
    if (isAttributes && isObject(given)) {
      const attributes: Record<string, unknown> = {};
      for (const [attribute, v] of Object.entries(given)) {
        if (!isBlank(v)) put(attributes, attribute, typeof v === 'string' ? v.trim() : v);
      }
      put(input, name, attributes);
    } else {
      put(input, name, given);
    }
  }
  return { input, problems };
};

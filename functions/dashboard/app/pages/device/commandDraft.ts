import { CommandRequestBody } from '../../../../commands/commandApiSchemas.ts';
import type { ObjectDefinition, ResourceDefinition } from '../../../../../schemas/lwm2m/objects/types.ts';
import { checkOperation, checkValue, type ModelProblemCode } from '../../../../../schemas/lwm2m/checks.ts';
import type { ObjectModel } from '../../../../../schemas/lwm2m/objects/model.ts';

/**
 * The command form's rules, apart from React: which objects and resources each operation may
 * address (the object definitions' R/W/E), how a typed value is read from an input, and the
 * request body, checked before it is sent with the server's own rules: the body schema of
 * POST /commands itself, and the object-model rules of schemas/lwm2m/checks.ts (the very module
 * the server runs, so the two cannot disagree). The server checks again; this saves a round trip and says what
 * is wrong next to the field.
 */

export const FORM_OPERATIONS = ['read', 'observe', 'cancel-observe', 'write', 'execute'] as const;
export type FormOperation = (typeof FORM_OPERATIONS)[number];

export const OPERATION_LABELS: Readonly<Record<FormOperation, string>> = {
  read: 'Read',
  observe: 'Observe',
  'cancel-observe': 'Cancel observation',
  write: 'Write',
  execute: 'Execute',
};

const ACCESS: Readonly<Record<FormOperation, 'R' | 'W' | 'E'>> = { read: 'R', observe: 'R', 'cancel-observe': 'R', write: 'W', execute: 'E' };

export const allows = (resource: ResourceDefinition, operation: FormOperation): boolean => resource.operations.includes(ACCESS[operation]);

export const resourcesFor = (object: ObjectDefinition, operation: FormOperation): ResourceDefinition[] => object.resources.filter((r) => allows(r, operation));

/** Objects with at least one resource the operation may address (Security, which only bootstrap writes, never is). */
export const objectsFor = (model: ObjectModel, operation: FormOperation): ObjectDefinition[] => model.objects.filter((o) => resourcesFor(o, operation).length > 0);

/** Read and observe may address a whole instance; write and execute need a resource here. */
export const takesWholeInstance = (operation: FormOperation): boolean => operation === 'read' || operation === 'observe' || operation === 'cancel-observe';

/** The input a resource's value is typed in. */
export type ValueInput = 'integer' | 'float' | 'boolean' | 'text' | 'time' | 'hex' | 'objlnk';

export const valueInputOf = (resource: ResourceDefinition): ValueInput | undefined => {
  switch (resource.type) {
    case 'Integer':
    case 'Unsigned Integer':
      return 'integer';
    case 'Float':
      return 'float';
    case 'Boolean':
      return 'boolean';
    case 'String':
    case 'Corelnk':
      return 'text';
    case 'Time':
      return 'time';
    case 'Opaque':
      return 'hex';
    case 'Objlnk':
      return 'objlnk';
    case 'none':
      return undefined;
  }
};

/** The form's fields as the inputs hold them (text), before any reading. */
export interface Draft {
  readonly operation: FormOperation;
  readonly objectId: string;
  readonly instanceId: string;
  /** '' addresses the whole instance (read, observe, cancel-observe). */
  readonly resourceId: string;
  /** '' for none; a multiple resource's instance otherwise. */
  readonly resourceInstanceId: string;
  /** write: the value as typed (number, text, datetime-local, hex, "o:i"). */
  readonly value: string;
  /** write of a Boolean. */
  readonly checked: boolean;
  /** execute: the argument list. */
  readonly arguments: string;
}

export type DraftField = 'operation' | 'objectId' | 'instanceId' | 'resourceId' | 'resourceInstanceId' | 'value' | 'arguments';

export interface DraftError {
  readonly field: DraftField;
  readonly message: string;
}

export type Built = { readonly ok: true; readonly body: CommandRequestBody } | { readonly ok: false; readonly errors: readonly DraftError[] };

type CommandValue = NonNullable<CommandRequestBody['values']>[number]['value'];

const ID = /^(0|[1-9]\d{0,4})$/;
/** The largest id in a path; 65535 is reserved (schemas/lwm2m/path.ts MAX_ID). */
const MAX_ID = 65534;
/** An id of a path: 0..MAX_ID. */
const idOf = (text: string): number | undefined => (ID.test(text.trim()) && Number(text) <= MAX_ID ? Number(text) : undefined);

const toBase64Url = (bytes: Uint8Array): string => {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
};

/** The value as the API takes it, and as the model rules take it (JavaScript's form of the type); or what is wrong. */
export const readValue = (
  resource: ResourceDefinition,
  draft: Pick<Draft, 'value' | 'checked'>,
): { readonly value: CommandValue; readonly raw: unknown } | { readonly problem: string } => {
  const typed = draft.value.trim();
  switch (valueInputOf(resource)) {
    case 'integer': {
      if (!/^[+-]?\d+$/.test(typed)) return { problem: `${resource.name} is ${resource.type === 'Integer' ? 'an Integer' : 'an Unsigned Integer'}: give a whole number.` };
      const v = Number(typed);
      if (!Number.isSafeInteger(v)) return { problem: `${typed} is too large to send exactly; give a number within ±9007199254740991.` };
      return { value: { kind: 'number', v }, raw: v };
    }
    case 'float': {
      const v = typed === '' ? Number.NaN : Number(typed);
      if (!Number.isFinite(v)) return { problem: `${resource.name} is a Float: give a number such as 21.5.` };
      return { value: { kind: 'number', v }, raw: v };
    }
    case 'boolean':
      return { value: { kind: 'boolean', v: draft.checked }, raw: draft.checked };
    case 'text':
      return { value: { kind: 'string', v: draft.value }, raw: draft.value };
    case 'time': {
      const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(typed) ? new Date(typed).getTime() : Number.NaN;
      if (Number.isNaN(ms)) return { problem: `${resource.name} is a Time: pick a date and time.` };
      const v = Math.floor(ms / 1000);
      return { value: { kind: 'time', v }, raw: v };
    }
    case 'hex': {
      const hex = typed.replace(/\s+/g, '').replace(/^0x/i, '');
      if (!/^([0-9a-fA-F]{2})*$/.test(hex)) return { problem: `${resource.name} is Opaque: give bytes as hexadecimal pairs, e.g. 0a ff 3c.` };
      const bytes = new Uint8Array(hex.length / 2);
      for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
      return { value: { kind: 'data', v: toBase64Url(bytes) }, raw: bytes };
    }
    case 'objlnk': {
      const match = /^(\d{1,5}):(\d{1,5})$/.exec(typed);
      const link = match && { objectId: Number(match[1]), instanceId: Number(match[2]) };
      if (!link || link.objectId > 65535 || link.instanceId > 65535) return { problem: `${resource.name} is an Object Link: give objectId:instanceId, e.g. 11:0.` };
      return { value: { kind: 'objlnk', v: typed }, raw: link };
    }
    case undefined:
      return { problem: `${resource.name} is an Execute resource: it takes no value.` };
  }
};

const FIELD_OF_PROBLEM: Partial<Record<ModelProblemCode, DraftField>> = {
  'unknown-object': 'objectId',
  'not-multiple': 'resourceInstanceId',
  'wrong-type': 'value',
  'out-of-range': 'value',
};

/** The zod issue's field as the form names it. */
const fieldOfIssue = (path: readonly PropertyKey[]): DraftField => {
  const [first] = path;
  if (first === 'values' || first === 'writeMode') return 'value';
  if (first === 'arguments') return 'arguments';
  if (first === 'operation') return 'operation';
  return 'resourceId';
};

/** The command's LwM2M path from the draft, or the fields that do not make one. */
export const pathOf = (draft: Draft): { readonly path: string; readonly ids: readonly number[] } | { readonly errors: DraftError[] } => {
  const errors: DraftError[] = [];
  const objectId = idOf(draft.objectId);
  const instanceId = idOf(draft.instanceId);
  if (objectId === undefined) errors.push({ field: 'objectId', message: 'Pick an object.' });
  if (instanceId === undefined) errors.push({ field: 'instanceId', message: 'The instance is a whole number from 0 to 65534.' });
  const wantsResource = draft.resourceId.trim() !== '';
  const resourceId = wantsResource ? idOf(draft.resourceId) : undefined;
  if (wantsResource && resourceId === undefined) errors.push({ field: 'resourceId', message: 'Pick a resource.' });
  if (!wantsResource && !takesWholeInstance(draft.operation)) errors.push({ field: 'resourceId', message: `Pick the resource to ${draft.operation}.` });
  const wantsInstance = draft.resourceInstanceId.trim() !== '';
  const resourceInstanceId = wantsInstance ? idOf(draft.resourceInstanceId) : undefined;
  if (wantsInstance && resourceInstanceId === undefined) errors.push({ field: 'resourceInstanceId', message: 'The resource instance is a whole number from 0 to 65534.' });
  if (errors.length > 0) return { errors };
  const ids = [objectId, instanceId, resourceId, resourceInstanceId].filter((id): id is number => id !== undefined);
  return { path: `/${ids.join('/')}`, ids };
};

/** The request body for POST /commands, or every field that is wrong and why. */
export const buildCommand = (thingName: string, draft: Draft, model: ObjectModel): Built => {
  const located = pathOf(draft);
  if ('errors' in located) return { ok: false, errors: located.errors };
  const { path, ids } = located;
  // Cancel-observe addresses what an observe did, so it needs what an observe needs (as the server checks it).
  const refused = checkOperation(path, draft.operation === 'cancel-observe' ? 'observe' : draft.operation, model);
  if (!refused.ok) return { ok: false, errors: [{ field: FIELD_OF_PROBLEM[refused.problem.code] ?? 'resourceId', message: `${refused.problem.message}.` }] };

  let body: Record<string, unknown> = { thingName, operation: draft.operation, path };
  if (draft.operation === 'write') {
    const object = model.object(ids[0]!);
    const resource = ids[2] === undefined ? undefined : model.resource(ids[0]!, ids[2]);
    if (!object || !resource) return { ok: false, errors: [{ field: 'resourceId', message: 'Pick the resource to write.' }] };
    if (resource.multiple && ids.length === 3) {
      return { ok: false, errors: [{ field: 'resourceInstanceId', message: `${resource.name} has several instances: give the one to write, e.g. 0.` }] };
    }
    const read = readValue(resource, draft);
    if ('problem' in read) return { ok: false, errors: [{ field: 'value', message: read.problem }] };
    const wrong = checkValue(path, read.raw, model);
    if (!wrong.ok) return { ok: false, errors: [{ field: 'value', message: `${wrong.problem.message}.` }] };
    body = { ...body, values: [{ path, value: read.value }] };
  }
  if (draft.operation === 'execute' && draft.arguments.trim() !== '') body = { ...body, arguments: draft.arguments.trim() };

  const parsed = CommandRequestBody.safeParse(body);
  if (!parsed.success) return { ok: false, errors: parsed.error.issues.map((issue) => ({ field: fieldOfIssue(issue.path), message: issue.message })) };
  return { ok: true, body: parsed.data };
};

/** The draft with its object and resource moved to ones the (new) operation may address. */
export const fitDraft = (draft: Draft, model: ObjectModel): Draft => {
  const objects = objectsFor(model, draft.operation);
  const object = objects.find((o) => String(o.id) === draft.objectId) ?? objects[0];
  if (!object) return draft;
  const resources = resourcesFor(object, draft.operation);
  const keep = draft.resourceId === '' ? takesWholeInstance(draft.operation) : resources.some((r) => String(r.id) === draft.resourceId);
  const resourceId = keep ? draft.resourceId : String(resources[0]?.id ?? '');
  const resource = resources.find((r) => String(r.id) === resourceId);
  return { ...draft, objectId: String(object.id), resourceId, resourceInstanceId: resource?.multiple ? draft.resourceInstanceId : '' };
};

export const INITIAL_DRAFT: Draft = { operation: 'read', objectId: '3', instanceId: '0', resourceId: '0', resourceInstanceId: '', value: '', checked: false, arguments: '' };

/** What a value of the resource must be, in words: "Float in °C, 0 to 100"; shown under the value input. */
export const describeValueRule = (resource: ResourceDefinition): string => {
  const parts: string[] = [resource.type === 'none' ? 'no value' : resource.type];
  if (resource.units) parts.push(`in ${resource.units}`);
  if (resource.range) parts.push(`from ${resource.range.min} to ${resource.range.max}`);
  if (resource.length) parts.push(resource.length.oneOf ? `${resource.length.oneOf.join(', ')} bytes` : `${resource.length.min} to ${resource.length.max} bytes`);
  if (resource.type === 'Opaque') parts.push('as hexadecimal byte pairs');
  if (resource.type === 'Objlnk') parts.push('as objectId:instanceId');
  if (resource.type === 'Time') parts.push('in your local time, sent as seconds since 1970');
  if (resource.credential) parts.push('a credential: written, never read back');
  return parts.join(', ');
};

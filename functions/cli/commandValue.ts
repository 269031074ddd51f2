import { CommandOperation } from '../../events/catalog/commands.ts';
import { PathValue, type CommandValue } from '../../schemas/bridge/commandMessages.ts';
import { DEFAULT_OBJECT_MODEL, type ObjectModel } from '../../schemas/lwm2m/index.ts';
import { CommandRequestBody } from '../commands/commandApiSchemas.ts';
import { checkCommandAgainstModel } from '../commands/modelCheck.ts';
import { UsageError } from './cliErrors.ts';

export const VALUE_KINDS = ['number', 'string', 'boolean', 'data', 'objlnk', 'time'] as const;
export type ValueKind = (typeof VALUE_KINDS)[number];

export interface CommandWords {
  readonly thingName: string;
  readonly operation: string;
  readonly path: string;
  readonly value?: string | undefined;
  readonly kind?: ValueKind | undefined;
  readonly replace?: boolean;
  readonly timeoutSeconds?: number | undefined;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** The value kind the object model gives the resource at `path`, if it knows the resource. */
const kindFromModel = (path: string, model: ObjectModel): ValueKind | undefined => {
  const [objectId, , resourceId] = path.slice(1).split('/').map(Number);
  if (objectId === undefined || resourceId === undefined || Number.isNaN(objectId) || Number.isNaN(resourceId)) return undefined;
  switch (model.resource(objectId, resourceId)?.type) {
    case 'String':
    case 'Corelnk':
      return 'string';
    case 'Integer':
    case 'Unsigned Integer':
    case 'Float':
      return 'number';
    case 'Time':
      return 'time';
    case 'Boolean':
      return 'boolean';
    case 'Opaque':
      return 'data';
    case 'Objlnk':
      return 'objlnk';
    default:
      return undefined;
  }
};

/** Text typed on a command line as a value of `kind`. */
export const typedValue = (text: string, kind: ValueKind, path: string): CommandValue => {
  const wrong = (what: string, example: string) => new UsageError(`the value ${JSON.stringify(text.slice(0, 60))} for ${path} is not ${what}.`, `Write it like ${example}, or say its kind with --kind.`);
  switch (kind) {
    case 'number':
      if (!NUMBER.test(text)) throw wrong('a number', '21.5');
      return { kind, v: Number(text) };
    case 'boolean':
      if (!/^(true|false|1|0)$/i.test(text)) throw wrong('a boolean', 'true or false');
      return { kind, v: /^(true|1)$/i.test(text) };
    case 'time':
      // LwM2M Time is seconds since 1970; an ISO time with a zone is easier to type right.
      if (/^\d+$/.test(text)) return { kind, v: Number(text) };
      if (!ISO_TIME.test(text) || Number.isNaN(Date.parse(text))) throw wrong('a time', '2026-03-01T12:00:00Z or 1772366400 (seconds since 1970)');
      return { kind, v: Math.floor(Date.parse(text) / 1000) };
    case 'objlnk':
      if (!/^\d{1,5}:\d{1,5}$/.test(text)) throw wrong('an object link', '3303:0');
      return { kind, v: text };
    case 'data':
      if (!/^[A-Za-z0-9_-]*$/.test(text)) throw wrong('base64url', 'AQIDBA (base64url, no padding)');
      return { kind, v: text };
    case 'string':
      return { kind, v: text };
  }
};

/** `pmin=10,pmax=60,gt=30.5` as Write-Attributes' attributes. */
const attributesOf = (text: string): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const part of text.split(',')) {
    const [name = '', number = '', extra] = part.split('=');
    if (extra !== undefined || !['pmin', 'pmax', 'gt', 'lt', 'st'].includes(name) || !NUMBER.test(number)) {
      throw new UsageError(`${JSON.stringify(part.slice(0, 40))} is not an attribute.`, 'Write-attributes takes pmin=<s>,pmax=<s>,gt=<n>,lt=<n>,st=<n>, e.g. pmin=10,pmax=60.');
    }
    if (name in out) throw new UsageError(`${name} is given twice.`, 'Give each attribute once.');
    out[name] = Number(number);
  }
  return out;
};

/** Write values: one typed value at `path`, or a JSON array of { path, value: { kind, v } } for several. */
const writeValuesOf = (words: CommandWords, model: ObjectModel) => {
  if (words.value === undefined) throw new UsageError('a write needs a value.', `Write: fleet commands send ${words.thingName} write ${words.path} <value>.`);
  if (words.value.trimStart().startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(words.value);
    } catch (err) {
      throw new UsageError(`the values are not JSON (${(err as Error).message}).`, 'Write [{"path":"/3/0/13","value":{"kind":"time","v":1767225600}}], quoted for the shell.');
    }
    const values = PathValue.array().safeParse(parsed);
    if (!values.success) throw new UsageError(`the values are not a list of { path, value: { kind, v } } (${values.error.issues[0]?.message ?? 'wrong shape'}).`, 'Each value is {"path":"/o/i/r","value":{"kind":"number","v":21.5}}; kinds are number, string, boolean, data, objlnk, time.');
    return values.data;
  }
  const kind = words.kind ?? kindFromModel(words.path, model);
  if (kind === undefined) {
    throw new UsageError(`the object model does not know the resource at ${words.path}, so the value's type is not known.`, `Say it with --kind ${VALUE_KINDS.join('|')}.`);
  }
  return [{ path: words.path, value: typedValue(words.value, kind, words.path) }];
};

/**
 * The POST /commands body for what was typed, checked as the API will check it (schema, then the
 * object model), so a mistake is a usage error naming the argument before anything is sent.
 */
export const commandBodyOf = (words: CommandWords, model: ObjectModel = DEFAULT_OBJECT_MODEL): CommandRequestBody => {
  const operation = CommandOperation.safeParse(words.operation);
  if (!operation.success) throw new UsageError(`"${words.operation}" is not an operation.`, `Use one of ${CommandOperation.options.join(', ')}.`);
  const op = operation.data;
  const body: Record<string, unknown> = { thingName: words.thingName, operation: op, path: words.path };
  if (words.timeoutSeconds !== undefined) body.timeoutSeconds = words.timeoutSeconds;
  if (op === 'write') {
    body.values = writeValuesOf(words, model);
    if (words.replace) body.writeMode = 'replace';
  } else if (op === 'execute') {
    if (words.value !== undefined) body.arguments = words.value;
  } else if (op === 'write-attributes') {
    if (words.value === undefined) throw new UsageError('write-attributes needs attributes.', `Write: fleet commands send ${words.thingName} write-attributes ${words.path} pmin=10,pmax=60.`);
    body.attributes = attributesOf(words.value);
  } else if (words.value !== undefined) {
    throw new UsageError(`a ${op} takes no value (got ${JSON.stringify(words.value.slice(0, 40))}).`, 'Leave the value out; values are for write, execute (its arguments) and write-attributes.');
  }
  if (words.kind !== undefined && op !== 'write') throw new UsageError(`--kind is for a write, not a ${op}.`, 'Leave --kind out.');
  if (words.replace && op !== 'write') throw new UsageError(`--replace is for a write, not a ${op}.`, 'Leave --replace out.');

  const parsed = CommandRequestBody.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const params = issue?.code === 'custom' ? (issue.params as { hint?: string } | undefined) : undefined;
    const field = issue?.path.join('.') || 'command';
    throw new UsageError(`${field}: ${issue?.message ?? 'the command is not valid.'}`, params?.hint ?? 'A thing name is 1-128 letters, digits, ":", "_" and "-"; a path looks like /3303/0/5700.');
  }
  const modelErrors = checkCommandAgainstModel(parsed.data, model);
  const first = modelErrors[0];
  if (first) throw new UsageError(`${first.field}: ${first.message}`, first.hint);
  return parsed.data;
};

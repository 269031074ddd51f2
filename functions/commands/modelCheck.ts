import type { CommandValue } from '../../schemas/bridge/commandMessages.ts';
import type { FieldError } from '../../schemas/directory/fieldError.ts';
import { checkOperation, checkValue, DEFAULT_OBJECT_MODEL, type ModelProblem, type ModelProblemCode, type ObjectModel, type Operation, type ResourceType } from '../../schemas/lwm2m/index.ts';
import type { CommandRequestBody } from './commandApiSchemas.ts';

/**
 * A well-formed command checked against the LwM2M object model (schemas/lwm2m): the object and
 * resource exist, the resource allows the operation (no write to a read-only resource, no execute
 * of a value), and each written value has the resource's type and fits its range. Each problem
 * names the field it is in, the rule, and what to do.
 */

const HINT: Readonly<Record<ModelProblemCode, string>> = {
  'invalid-path': 'Write the path as /object/instance/resource, e.g. /3303/0/5700.',
  'unknown-operation': 'Use read, write, execute, observe, cancel-observe, discover or write-attributes.',
  'wrong-level': 'Address the level the operation works on: execute a resource (/3/0/4), write an instance or a resource.',
  'unknown-object': 'Use an object the object model knows (schemas/lwm2m/objects), or add its definition there.',
  'unknown-resource': "Check the resource id against the object's definition (schemas/lwm2m/objects).",
  'not-multiple': 'Leave the resource instance out of the path: the resource has one value.',
  'not-readable': 'Read or observe only resources with R access.',
  'not-writable': 'Write only resources with W access; read-only ones can be read or observed.',
  'not-executable': 'Execute only resources with E access, such as /3/0/4 (Reboot); write or read the others.',
  'wrong-type': 'Give the value in the resource\'s type: kind "number" for Integer and Float, "time" for Time, "string" for String, "boolean", "data" (base64url) for Opaque, "objlnk" for Objlnk.',
  'out-of-range': 'Keep the value within the range (or length) the resource allows.',
};

/** Which value kinds each LwM2M type takes: a typed value must say what it is, not be guessed from text. */
const KINDS_FOR: Readonly<Record<Exclude<ResourceType, 'none'>, readonly CommandValue['kind'][]>> = {
  String: ['string'],
  Corelnk: ['string'],
  Integer: ['number', 'time'],
  'Unsigned Integer': ['number'],
  Float: ['number'],
  Time: ['time', 'number'],
  Boolean: ['boolean'],
  Opaque: ['data'],
  Objlnk: ['objlnk'],
};

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** The value as checkValue takes it (JavaScript's form of the LwM2M type), or why it cannot be one. */
const rawValue = (value: CommandValue): { raw: unknown } | { problem: string } => {
  if (value.kind !== 'data') return { raw: value.v };
  if (!BASE64URL.test(value.v) || value.v.length % 4 === 1) return { problem: 'a "data" value is base64url (A-Z a-z 0-9 - _, no padding)' };
  return { raw: new Uint8Array(Buffer.from(value.v, 'base64url')) };
};

const fromProblem = (field: string, problem: ModelProblem): FieldError => ({ field, rule: problem.code, message: problem.message, hint: HINT[problem.code] });

const resourceType = (path: string, model: ObjectModel): ResourceType | undefined => {
  const [objectId, , resourceId] = path.slice(1).split('/').map(Number);
  return objectId === undefined || resourceId === undefined ? undefined : model.resource(objectId, resourceId)?.type;
};

/** Problems of a schema-valid command against the model; empty when the device may be asked. */
export const checkCommandAgainstModel = (body: CommandRequestBody, model: ObjectModel = DEFAULT_OBJECT_MODEL): FieldError[] => {
  // Cancel-observe addresses what an observe did, so it needs what an observe needs.
  const operation: Operation = body.operation === 'cancel-observe' ? 'observe' : body.operation;
  const target = checkOperation(body.path, operation, model);
  if (!target.ok) return [fromProblem('path', target.problem)];
  if (body.operation !== 'write') return [];
  const errors: FieldError[] = [];
  (body.values ?? []).forEach((v, i) => {
    const writable = checkOperation(v.path, 'write', model);
    if (!writable.ok) return void errors.push(fromProblem(`values[${i}].path`, writable.problem));
    const type = resourceType(v.path, model);
    if (type !== undefined && type !== 'none' && !KINDS_FOR[type].includes(v.value.kind)) {
      return void errors.push({
        field: `values[${i}].value`,
        rule: 'wrong-type',
        message: `${v.path} is ${type === 'Integer' || type === 'Unsigned Integer' ? 'an' : 'a'} ${type}; a "${v.value.kind}" value is not one.`,
        hint: `Send it as kind ${KINDS_FOR[type].map((k) => `"${k}"`).join(' or ')}.`,
      });
    }
    const raw = rawValue(v.value);
    if ('problem' in raw) return void errors.push({ field: `values[${i}].value`, rule: 'wrong-type', message: `${v.path}: ${raw.problem}.`, hint: HINT['wrong-type'] });
    const checked = checkValue(v.path, raw.raw, model);
    if (!checked.ok) errors.push(fromProblem(checked.problem.code === 'wrong-type' || checked.problem.code === 'out-of-range' ? `values[${i}].value` : `values[${i}].path`, checked.problem));
  });
  return errors;
};

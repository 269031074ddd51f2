import { readFileSync } from 'node:fs';
import { WorkflowEngineError } from './workflowEngine.ts';

/** The parts of an ASL document the runner reads; everything else passes through untouched. */
export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
  TimeoutSeconds?: number;
  QueryLanguage?: string;
  [field: string]: unknown;
}

export interface AslState {
  Type: string;
  [field: string]: unknown;
}

/** A state found anywhere in a definition, with where it is (for error messages). */
export interface LocatedState {
  readonly name: string;
  readonly state: AslState;
  /** e.g. `States.ProvisionAll.ItemProcessor.States.CreateThing` */
  readonly path: string;
}

/** The account and region the embedded runtime puts in the ARNs it makes up. */
export const LOCAL_REGION = 'local';
export const LOCAL_ACCOUNT = '000000000000';

/** The Lambda ARN that names a local handler: the embedded runtime's value for a `${...FunctionArn}` substitution. */
export const localFunctionArn = (functionName: string): string => `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${functionName}`;

/**
 * The function name in a Lambda function ARN, partial ARN (`123456789012:function:name`) or bare
 * name, without a version or alias qualifier; undefined when the value names no Lambda function.
 */
export const lambdaFunctionName = (value: string): string | undefined => {
  const arn = /^(?:arn:[^:]+:lambda:[^:]*:[^:]*:)?(?:[^:]+:)?function:([A-Za-z0-9_-]{1,64})(?::[^:]+)?$/u.exec(value);
  if (arn) return arn[1];
  if (value.startsWith('arn:')) return undefined;
  return /^[A-Za-z0-9_-]{1,64}$/u.test(value) ? value : undefined;
};

const PLACEHOLDER = /\$\{([^}]*)\}/gu;

/** Every `${...}` left in the definition (keys or values), with where it is. */
export const findPlaceholders = (value: unknown, path = ''): { placeholder: string; path: string }[] => {
  if (typeof value === 'string') return [...value.matchAll(PLACEHOLDER)].map((m) => ({ placeholder: m[0], path }));
  if (Array.isArray(value)) return value.flatMap((v, i) => findPlaceholders(v, `${path}[${i}]`));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => [
      ...[...k.matchAll(PLACEHOLDER)].map((m) => ({ placeholder: m[0], path: `${path} (key ${JSON.stringify(k)})` })),
      ...findPlaceholders(v, path === '' ? k : `${path}.${k}`),
    ]);
  }
  return [];
};

/**
 * Replaces `${Name}` in every string, as CDK's definitionSubstitutions does on AWS, then
 * refuses the result if any `${...}` is left: a forgotten substitution would otherwise reach the
 * runner as a literal resource name and fail later, far from the cause.
 */
export const applySubstitutions = (definition: unknown, substitutions: Readonly<Record<string, string>>, source: string): unknown => {
  const text = (value: string) =>
    value.replace(PLACEHOLDER, (whole, name: string) => (Object.hasOwn(substitutions, name) ? (substitutions[name] ?? whole) : whole));
  // Keys too: CDK replaces in the file's text, keys included.
  const replace = (value: unknown): unknown => {
    if (typeof value === 'string') return text(value);
    if (Array.isArray(value)) return value.map(replace);
    if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [text(k), replace(v)]));
    return value;
  };
  const result = replace(definition);
  const left = findPlaceholders(result);
  if (left.length > 0) {
    const where = left.map((l) => `${l.placeholder} at ${l.path}`).join(', ');
    const given = Object.keys(substitutions);
    throw new WorkflowEngineError(
      'InvalidDefinition',
      `${source}: unsubstituted ${where}. Pass a value for each in the substitutions (given: ${given.length > 0 ? given.join(', ') : 'none'}).`,
    );
  }
  return result;
};

/** Reads and parses an ASL file; a missing file or bad JSON is an error naming the file. */
export const readDefinitionFile = (file: string): unknown => {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new WorkflowEngineError('InvalidDefinition', `cannot read the workflow file ${file}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new WorkflowEngineError('InvalidDefinition', `${file} is not JSON: ${(error as Error).message}`);
  }
};

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** Narrows to the shape the runner needs, or says what is missing. */
export const asAslDefinition = (value: unknown, source: string): AslDefinition => {
  if (!isObject(value)) throw new WorkflowEngineError('InvalidDefinition', `${source}: an ASL definition is a JSON object with StartAt and States`);
  if (typeof value['StartAt'] !== 'string' || !isObject(value['States'])) {
    throw new WorkflowEngineError('InvalidDefinition', `${source}: an ASL definition needs a string StartAt and an object States`);
  }
  return value as AslDefinition;
};

/** The nested state machines of a Map (ItemProcessor or the older Iterator) or Parallel (Branches). */
const nestedMachines = (state: AslState, path: string): { machine: unknown; path: string }[] => {
  const found: { machine: unknown; path: string }[] = [];
  if (state.Type === 'Map') {
    for (const field of ['ItemProcessor', 'Iterator']) if (state[field] !== undefined) found.push({ machine: state[field], path: `${path}.${field}` });
  }
  if (state.Type === 'Parallel' && Array.isArray(state['Branches'])) {
    state['Branches'].forEach((branch, i) => found.push({ machine: branch, path: `${path}.Branches[${i}]` }));
  }
  return found;
};

/** Every state of the definition, nested ones (Map, Parallel) included, depth first. */
export const allStates = (definition: unknown, path = ''): LocatedState[] => {
  if (!isObject(definition) || !isObject(definition['States'])) return [];
  return Object.entries(definition['States']).flatMap(([name, state]) => {
    if (!isObject(state) || typeof state['Type'] !== 'string') return [];
    const statePath = `${path === '' ? '' : `${path}.`}States.${name}`;
    const located: LocatedState = { name, state: state as AslState, path: statePath };
    return [located, ...nestedMachines(located.state, statePath).flatMap((n) => allStates(n.machine, n.path))];
  });
};

/** A deep copy in which `edit` may rewrite each state (nested ones included) in place. */
export const mapStates = (definition: AslDefinition, edit: (name: string, state: AslState) => void): AslDefinition => {
  const copy = structuredClone(definition);
  for (const { name, state } of allStates(copy)) edit(name, state);
  return copy;
};

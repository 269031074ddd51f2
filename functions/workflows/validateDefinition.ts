import { createRequire } from 'node:module';
import { allStates, findPlaceholders, readDefinitionFile, type AslState } from './aslDefinition.ts';
import { classifyTaskResource } from './taskResources.ts';

export interface DefinitionValidation {
  readonly valid: boolean;
  /** One line each: where, what is wrong, and what to do. */
  readonly errors: readonly string[];
}

type AslValidator = (definition: unknown, options?: { checkPaths: boolean; checkArn: boolean }) => {
  isValid: boolean;
  errorsText: (separator?: string) => string;
};

/**
 * asl-validator is the validator aws-local-stepfunctions itself runs; it is resolved from that
 * package's own location, so it is the very same copy and needs no entry in our package.json.
 */
const loadAslValidator = (): AslValidator => {
  const here = createRequire(import.meta.url);
  const fromRunner = createRequire(here.resolve('aws-local-stepfunctions'));
  return fromRunner('asl-validator') as AslValidator;
};

let aslValidator: AslValidator | undefined;

const specErrors = (definition: unknown): string[] => {
  aslValidator ??= loadAslValidator();
  // The validator writes a default QueryLanguage into every state: give it a copy.
  const result = aslValidator(structuredClone(definition), { checkPaths: true, checkArn: true });
  return result.isValid ? [] : result.errorsText('\n').split('\n').filter((line) => line.trim() !== '');
};

const DISTRIBUTED_MAP_FIELDS = ['ItemReader', 'ItemBatcher', 'ResultWriter', 'ToleratedFailureCount', 'ToleratedFailureCountPath', 'ToleratedFailurePercentage', 'ToleratedFailurePercentagePath', 'Label'];

/** Context object fields aws-local-stepfunctions does not fill (it provides Execution.*, StateMachine.* as we pass them, and Map.Item.*). */
const MISSING_CONTEXT = /\$\$\.(Task\.Token|State\.)/u;

const strings = (value: unknown): string[] => {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => [k, ...strings(v)]);
  return [];
};

const errorEquals = (state: AslState, field: 'Retry' | 'Catch'): string[] => {
  const rules = state[field];
  if (!Array.isArray(rules)) return [];
  return rules.flatMap((rule: unknown) => {
    const names = rule !== null && typeof rule === 'object' ? (rule as Record<string, unknown>)['ErrorEquals'] : undefined;
    return Array.isArray(names) ? names.filter((n): n is string => typeof n === 'string') : [];
  });
};

/** What the embedded runtime cannot run the same way as Step Functions: refused rather than silently different. */
const localRunnerErrors = (definition: Record<string, unknown>): string[] => {
  const errors: string[] = [];
  if (definition['QueryLanguage'] === 'JSONata') {
    errors.push('QueryLanguage: JSONata is ignored by the local runner; write the workflow in JSONPath (the default).');
  }
  for (const { state, path } of allStates(definition)) {
    const at = (message: string) => errors.push(`${path}: ${message}`);
    if (state['QueryLanguage'] === 'JSONata') at('QueryLanguage JSONata is ignored by the local runner; use JSONPath.');
    if ('Arguments' in state || 'Output' in state) at('Arguments and Output are JSONata fields; use Parameters, ResultSelector, ResultPath and OutputPath.');
    if ('Assign' in state) at('Assign (workflow variables) is ignored by the local runner; carry data in the state output with ResultPath.');
    if (state.Type === 'Task') {
      const resource = classifyTaskResource(state);
      if (resource.kind === 'unsupported') at(`Resource ${JSON.stringify(resource.resource)}: ${resource.reason}.`);
      if ('Credentials' in state) at('Credentials (cross-account tasks) are not supported by the local runner.');
    }
    if (state.Type === 'Map') {
      const distributed = DISTRIBUTED_MAP_FIELDS.filter((field) => field in state);
      const processor = state['ItemProcessor'];
      const config = processor !== null && typeof processor === 'object' ? (processor as Record<string, unknown>)['ProcessorConfig'] : undefined;
      const mode = config !== null && typeof config === 'object' ? (config as Record<string, unknown>)['Mode'] : undefined;
      if (mode === 'DISTRIBUTED' || distributed.length > 0) {
        at(
          `Distributed Map (${[...(mode === 'DISTRIBUTED' ? ['Mode DISTRIBUTED'] : []), ...distributed].join(', ')}) is not supported by the local runner; ` +
            'use an inline Map over an array in the input (read the items in a Task before the Map).',
        );
      }
    }
    for (const field of ['Retry', 'Catch'] as const) {
      if (errorEquals(state, field).includes('Error')) {
        at(
          `${field} matches "Error", which a Lambda raises for a plain Error on AWS while the local runner names it States.TaskFailed; ` +
            'match States.TaskFailed (or a specific error name) so both behave the same.',
        );
      }
    }
  }
  const missing = new Set(strings(definition).flatMap((s) => MISSING_CONTEXT.exec(s)?.[0] ?? []));
  for (const field of missing) {
    errors.push(`context object field ${field.replace(/\.$/u, '.*')} is not provided by the local runner; pass the value in the state input.`);
  }
  return errors;
};

/**
 * Checks a definition (after substitution) against the ASL specification, with the same validator
 * aws-local-stepfunctions uses (JSONPaths and ARNs included), and against what the local runner
 * supports, so that every workflow file is known to run both embedded and on AWS.
 */
export const validateDefinition = (asl: unknown): DefinitionValidation => {
  if (asl === null || typeof asl !== 'object' || Array.isArray(asl)) {
    return { valid: false, errors: ['an ASL definition is a JSON object with StartAt and States'] };
  }
  const errors = [...specErrors(asl), ...localRunnerErrors(asl as Record<string, unknown>)];
  return { valid: errors.length === 0, errors };
};

/**
 * Validates a workflow file as it is stored, `${Substitutions}` and all: each placeholder stands for
 * a Lambda function of the same name (what CDK and the embedded runtime put there), so the file is
 * checked without knowing the deployment's values.
 */
export const validateWorkflowFile = (file: string): DefinitionValidation => {
  let raw: unknown;
  try {
    raw = readDefinitionFile(file);
  } catch (error) {
    return { valid: false, errors: [(error as Error).message] };
  }
  const names = new Set(findPlaceholders(raw).map((p) => p.placeholder.slice(2, -1)));
  const placeholders = Object.fromEntries([...names].map((name) => [name, `arn:aws:lambda:us-east-1:123456789012:function:${name.replace(/[^A-Za-z0-9_-]/gu, '_') || 'unnamed'}`]));
  const substituted = JSON.parse(JSON.stringify(raw), (_key, value: unknown) =>
    typeof value === 'string' ? value.replace(/\$\{([^}]*)\}/gu, (_whole, name: string) => placeholders[name] ?? '') : value,
  ) as unknown;
  const result = validateDefinition(substituted);
  return { valid: result.valid, errors: result.errors.map((e) => `${file}: ${e}`) };
};

import './polyfills.ts';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { allStates, applySubstitutions, asAslDefinition, LOCAL_ACCOUNT, LOCAL_REGION, readDefinitionFile } from './aslDefinition.ts';
import type { BoundTaskResource, LocalTaskHandler } from './localTaskHandlers.ts';
import { classifyTaskResource } from './taskResources.ts';
import { scaleTimes } from './timeScale.ts';
import { validateDefinition } from './validateDefinition.ts';
import { executionNameProblem, WorkflowEngineError } from './workflowEngine.ts';

export interface LocalStateMachine {
  /** How callers name it in startExecution (its ARN works too). */
  readonly name: string;
  /** The ASL file, the very one CDK deploys; or give `definition` instead. */
  readonly definitionFile?: string;
  /** A parsed definition or its JSON text. */
  readonly definition?: unknown;
  /** Values for `${Name}` placeholders, as CDK's definitionSubstitutions. */
  readonly substitutions?: Readonly<Record<string, string>>;
  /** Fixed pauses in milliseconds for Wait states that timeScale cannot scale (SecondsPath, Timestamp...). */
  readonly waitOverridesMs?: Readonly<Record<string, number>>;
}

export interface PreparedStateMachine {
  readonly name: string;
  readonly arn: string;
  readonly machine: StateMachine;
  /** Task state name → the resource it calls. */
  readonly tasks: ReadonlyMap<string, BoundTaskResource>;
  readonly waitTimeOverrides: Readonly<Record<string, number>>;
}

export const stateMachineArn = (name: string) => `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${name}`;

const parseDefinition = (source: LocalStateMachine, label: string): unknown => {
  if ((source.definitionFile === undefined) === (source.definition === undefined)) {
    throw new WorkflowEngineError('InvalidDefinition', `${label}: give exactly one of definitionFile and definition`);
  }
  if (source.definitionFile !== undefined) return readDefinitionFile(source.definitionFile);
  if (typeof source.definition !== 'string') return source.definition;
  try {
    return JSON.parse(source.definition) as unknown;
  } catch (error) {
    throw new WorkflowEngineError('InvalidDefinition', `${label}: the definition is not JSON: ${(error as Error).message}`);
  }
};

/**
 * Everything that can be wrong with a workflow is found here, when it is registered, rather than
 * in the middle of an execution: the file, the substitutions, the ASL, what the local runner
 * supports, and a handler for every Task. Then the time scale is applied and the package's
 * StateMachine is built once, to run every execution of this workflow.
 */
export const prepareStateMachine = (source: LocalStateMachine, handlers: Readonly<Record<string, LocalTaskHandler>>, timeScale: number): PreparedStateMachine => {
  const label = source.definitionFile ?? `state machine ${source.name}`;
  const nameProblem = executionNameProblem(source.name);
  if (nameProblem) throw new WorkflowEngineError('InvalidName', `state machine name ${JSON.stringify(source.name)} is not valid: ${nameProblem}`);

  const definition = asAslDefinition(applySubstitutions(parseDefinition(source, label), source.substitutions ?? {}, label), label);
  const validation = validateDefinition(definition);
  if (!validation.valid) throw new WorkflowEngineError('InvalidDefinition', `${label} cannot run:\n  ${validation.errors.join('\n  ')}`);

  const tasks = new Map<string, BoundTaskResource>();
  const missing: string[] = [];
  for (const { name, state, path } of allStates(definition)) {
    if (state.Type !== 'Task') continue;
    const resource = classifyTaskResource(state);
    if (resource.kind === 'unsupported') continue; // validateDefinition has refused it already
    tasks.set(name, resource);
    if (resource.functionName !== undefined && !Object.hasOwn(handlers, resource.functionName)) {
      missing.push(`Task state ${JSON.stringify(name)} (${path}) calls ${resource.resource}, function ${JSON.stringify(resource.functionName)}`);
    }
  }
  if (missing.length > 0) {
    const known = Object.keys(handlers);
    throw new WorkflowEngineError(
      'InvalidDefinition',
      `${label}: no local handler for ${missing.join('; ')}. Registered handlers: ${known.length > 0 ? known.join(', ') : 'none'}. ` +
        'Register a handler under that function name, or fix the substitution that produced the ARN.',
    );
  }

  const scaled = scaleTimes(definition, timeScale, source.waitOverridesMs ?? {}, label);
  // Validated above, unscaled: scaled Waits have fractional seconds, which the spec does not allow.
  const machine = new StateMachine(scaled.definition as unknown as StateMachineDefinition, { validationOptions: { noValidate: true } });
  return { name: source.name, arn: stateMachineArn(source.name), machine, tasks, waitTimeOverrides: scaled.waitTimeOverrides };
};

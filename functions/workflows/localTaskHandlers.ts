import type { RunOptions } from 'aws-local-stepfunctions';
import { lambdaFunctionName } from './aslDefinition.ts';
import type { TaskResource } from './taskResources.ts';

/** What a local handler learns about the call, beyond its input. */
export interface LocalTaskContext {
  readonly executionId: string;
  readonly executionName: string;
  readonly stateMachine: string;
  readonly stateName: string;
  readonly functionName: string;
  /** Aborted when the execution is stopped: a long handler should give up when it fires. */
  readonly signal: AbortSignal;
}

/**
 * A local stand-in for a Lambda function, registered under the function's name. It returns the
 * task result (JSON; undefined becomes null) or throws: the thrown Error's `name` is the ASL error
 * name that Retry and Catch match (`ThrottlingException`, ...), a plain `Error` is States.TaskFailed.
 */
export type LocalTaskHandler = (input: unknown, context: LocalTaskContext) => unknown;

export type BoundTaskResource = Exclude<TaskResource, { kind: 'unsupported' }>;

/** aws-local-stepfunctions' override map: one function per Task state name. */
export type PackageTaskHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;

/** Thrown into the package so that Retry and Catch see the ASL error name. */
class LocalTaskError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** The Cause text, shaped as Lambda shapes it, so a failure path reading `$.error.Cause` sees the same on AWS. */
const lambdaCause = (errorType: string, errorMessage: string) => JSON.stringify({ errorType, errorMessage });

/** Errors keep their name as the ASL error, as a Lambda's errorType does; a plain Error (or a thrown non-Error) is States.TaskFailed. */
const toTaskError = (thrown: unknown): LocalTaskError => {
  const isError = thrown instanceof Error;
  const errorType = isError && thrown.name !== '' ? thrown.name : 'Error';
  const errorMessage = isError ? thrown.message : String(thrown);
  return new LocalTaskError(errorType === 'Error' ? 'States.TaskFailed' : errorType, lambdaCause(errorType, errorMessage));
};

/** A task result crosses a JSON boundary on AWS; it does here too, so a Date or a class instance arrives as it would there. */
const toJson = (value: unknown, functionName: string): unknown => {
  try {
    return JSON.parse(JSON.stringify(value ?? null)) as unknown;
  } catch (error) {
    throw new LocalTaskError('States.TaskFailed', lambdaCause('InvalidOutput', `handler ${functionName} returned a value that is not JSON: ${(error as Error).message}`));
  }
};

export interface BindingTarget {
  readonly executionId: string;
  readonly executionName: string;
  readonly stateMachine: string;
  /** The execution's stop signal. */
  readonly signal: AbortSignal;
}

/**
 * Binds every Task state of a machine, for one execution, to the local handler its Resource names.
 * The package keys overrides by state name (names are unique in a whole definition, nested states
 * included), so each state gets a closure that knows its resource and the execution.
 */
export const bindTaskHandlers = (
  tasks: ReadonlyMap<string, BoundTaskResource>,
  handlers: Readonly<Record<string, LocalTaskHandler>>,
  target: BindingTarget,
): PackageTaskHandlers => {
  const bound: PackageTaskHandlers = {};
  for (const [stateName, resource] of tasks) {
    bound[stateName] = async (input) => {
      // After a stop the package may still start a retry attempt: the handler is not called again.
      if (target.signal.aborted) throw new LocalTaskError('States.TaskFailed', lambdaCause('ExecutionStopped', 'the execution was stopped'));
      let payload: unknown = input;
      let functionName = resource.functionName;
      if (resource.kind === 'invoke') {
        const parameters = (input ?? {}) as { FunctionName?: unknown; Payload?: unknown };
        functionName ??= typeof parameters.FunctionName === 'string' ? lambdaFunctionName(parameters.FunctionName) : undefined;
        payload = parameters.Payload ?? {};
      }
      const handler = functionName === undefined ? undefined : handlers[functionName];
      if (functionName === undefined || handler === undefined) {
        throw new LocalTaskError(
          'States.TaskFailed',
          lambdaCause('ResourceNotFoundException', `no local handler for function ${JSON.stringify(functionName ?? null)} (Task state ${stateName}); register one under that name`),
        );
      }
      let result: unknown;
      try {
        result = await handler(payload, { ...target, stateName, functionName });
      } catch (thrown) {
        throw toTaskError(thrown);
      }
      const output = toJson(result, functionName);
      // The optimized integration wraps the function's result as Lambda's Invoke API does.
      return (resource.kind === 'invoke' ? { ExecutedVersion: '$LATEST', Payload: output, StatusCode: 200 } : output) as ReturnType<PackageTaskHandlers[string]>;
    };
  }
  return bound;
};

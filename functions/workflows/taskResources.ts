import { lambdaFunctionName, type AslState } from './aslDefinition.ts';

/** The optimized Lambda integration: `Parameters.FunctionName` names the function, the result is wrapped in `Payload`. */
export const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';

/** What a Task state's Resource asks the runner to do. */
export type TaskResource =
  /** A Lambda function ARN: the handler gets the state's effective input and its result is the task result. */
  | { readonly kind: 'function'; readonly resource: string; readonly functionName: string }
  /**
   * `arn:aws:states:::lambda:invoke`: functionName is known when Parameters.FunctionName is a
   * literal, and read from the effective input at run time when it is a path (`FunctionName.$`).
   */
  | { readonly kind: 'invoke'; readonly resource: string; readonly functionName?: string }
  | { readonly kind: 'unsupported'; readonly resource: string; readonly reason: string };

const LOCAL_ONLY =
  'the local runner runs Lambda tasks only (a function ARN, or arn:aws:states:::lambda:invoke with Parameters.FunctionName); ' +
  'call other services from a Lambda handler so the same workflow runs embedded and on AWS';

export const classifyTaskResource = (state: AslState): TaskResource => {
  const resource = typeof state['Resource'] === 'string' ? state['Resource'] : '';
  if (resource.endsWith('.waitForTaskToken')) {
    return {
      kind: 'unsupported',
      resource,
      reason:
        'the callback pattern (.waitForTaskToken) is not supported by the local runner (aws-local-stepfunctions has no task tokens); ' +
        'split the workflow at the callback and start the second part from the event that would have sent the token',
    };
  }
  if (resource.endsWith('.sync') || resource.includes('.sync:')) {
    return { kind: 'unsupported', resource, reason: `the run-a-job pattern (.sync) is not supported locally; ${LOCAL_ONLY}` };
  }
  if (resource === LAMBDA_INVOKE) {
    const parameters = state['Parameters'];
    const literal = parameters !== null && typeof parameters === 'object' ? (parameters as Record<string, unknown>)['FunctionName'] : undefined;
    const dynamic = parameters !== null && typeof parameters === 'object' && 'FunctionName.$' in parameters;
    if (typeof literal === 'string') {
      const functionName = lambdaFunctionName(literal);
      return functionName === undefined
        ? { kind: 'unsupported', resource, reason: `Parameters.FunctionName ${JSON.stringify(literal)} names no Lambda function` }
        : { kind: 'invoke', resource, functionName };
    }
    if (dynamic) return { kind: 'invoke', resource };
    return { kind: 'unsupported', resource, reason: 'arn:aws:states:::lambda:invoke needs Parameters.FunctionName (or FunctionName.$)' };
  }
  if (/^arn:[^:]+:lambda:/u.test(resource)) {
    const functionName = lambdaFunctionName(resource);
    if (functionName !== undefined) return { kind: 'function', resource, functionName };
  }
  return { kind: 'unsupported', resource, reason: LOCAL_ONLY };
};

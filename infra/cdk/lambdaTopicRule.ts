import { Stack } from 'aws-cdk-lib';
import * as iot from 'aws-cdk-lib/aws-iot';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';

export interface LambdaTopicRuleProps {
  /** IoT rule names: letters, digits and `_`. */
  readonly ruleName: string;
  readonly sql: string;
  readonly fn: lambda.IFunction;
  /** Where IoT writes a message whose action failed (every rule has one). */
  readonly errorAction: iot.CfnTopicRule.ActionProperty;
}

/**
 * The SQL of a rule that hands a message to a Lambda. A Lambda action cannot carry a binary
 * payload (CBOR, or JSON that may not be UTF-8), so the body is base64-encoded in the SQL (AWS IoT
 * "Working with binary payloads"); `fields` add what the handler needs besides it.
 */
export const base64PayloadSql = (topicFilter: string, fields: string): string =>
  `SELECT encode(*, 'base64') AS payloadBase64, ${fields}, timestamp() AS receivedAt FROM '${topicFilter}'`;

/**
 * One IoT topic rule with a Lambda action and an error action, and the permission that lets only
 * this rule of this account invoke the function (`scope`/`id` name both, as `<id>` and `<id>Invoke`).
 */
export const lambdaTopicRule = (scope: Construct, id: string, props: LambdaTopicRuleProps): iot.CfnTopicRule => {
  const rule = new iot.CfnTopicRule(scope, id, {
    ruleName: props.ruleName,
    topicRulePayload: {
      sql: props.sql,
      awsIotSqlVersion: '2016-03-23',
      ruleDisabled: false,
      actions: [{ lambda: { functionArn: props.fn.functionArn } }],
      errorAction: props.errorAction,
    },
  });
  new lambda.CfnPermission(scope, `${id}Invoke`, {
    action: 'lambda:InvokeFunction',
    functionName: props.fn.functionArn,
    principal: 'iot.amazonaws.com',
    sourceArn: rule.attrArn,
    sourceAccount: Stack.of(scope).account,
  });
  return rule;
};

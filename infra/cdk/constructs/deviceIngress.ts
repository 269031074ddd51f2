import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as iot from 'aws-cdk-lib/aws-iot';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { DEVICE_POLICY_NAME } from '../../../functions/registry/devicePolicy.ts';
import { topicFilters } from '../../../schemas/topics/topics.ts';
import { devicePolicyFor } from '../devicePolicyDocument.ts';
import { base64PayloadSql, lambdaTopicRule } from '../lambdaTopicRule.ts';

export interface DeviceIngressProps {
  /** The decode step the device data rules invoke. */
  readonly decode: lambda.IFunction;
}

/**
 * The SQL of a device-data rule. A Lambda action cannot carry a binary payload, so the CBOR body is
 * base64-encoded in the SQL (AWS IoT "Working with binary payloads"); topic(3) is the thing name,
 * which the device policy pins to the certificate's thing.
 */
export const deviceDataSql = (topicFilter: string): string => base64PayloadSql(topicFilter, 'topic() AS topic, topic(3) AS thingName');

/** The rules this construct deploys: one per device data channel (schemas/topics). */
export const DEVICE_DATA_RULES = [
  { id: 'StateRule', name: 'lwm2m_device_state', filter: topicFilters.allDeviceState },
  { id: 'AlarmsRule', name: 'lwm2m_device_alarms', filter: topicFilters.allDeviceAlarms },
] as const;

/**
 * Where devices enter AWS: the one device policy (functions/registry/devicePolicy.ts, the same
 * document the embedded broker enforces; provisioning attaches it to each certificate by name) and
 * the IoT rules that hand device data to the decode step. Every rule has an error action to a log
 * group, so a message the action could not deliver is still on record.
 */
export class DeviceIngress extends Construct {
  readonly devicePolicy: iot.CfnPolicy;
  readonly rules: iot.CfnTopicRule[] = [];
  readonly ruleErrors: logs.LogGroup;
  /** Every IoT rule's error action: the rule error log group, written by a role IoT assumes. */
  readonly errorAction: iot.CfnTopicRule.ActionProperty;

  constructor(scope: Construct, id: string, props: DeviceIngressProps) {
    super(scope, id);
    this.devicePolicy = new iot.CfnPolicy(this, 'DevicePolicy', { policyName: DEVICE_POLICY_NAME, policyDocument: devicePolicyFor(this) });
    // Provisioning attaches it to every device certificate (its ensurePolicy finds this same
    // document and leaves it unchanged). IoT refuses to delete an attached policy, and deleting it
    // would cut off the fleet: it outlives the stack.
    this.devicePolicy.applyRemovalPolicy(RemovalPolicy.RETAIN);

    this.ruleErrors = new logs.LogGroup(this, 'RuleErrors', { retention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.RETAIN });
    const errorRole = new iam.Role(this, 'RuleErrorRole', {
      assumedBy: new iam.ServicePrincipal('iot.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } } }),
      description: 'IoT rules write failed actions to the rule error log group',
    });
    // The CloudWatch Logs rule action needs these three on its log group.
    errorRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'],
        resources: [this.ruleErrors.logGroupArn],
      }),
    );

    this.errorAction = { cloudwatchLogs: { logGroupName: this.ruleErrors.logGroupName, roleArn: errorRole.roleArn } };

    for (const rule of DEVICE_DATA_RULES) {
      this.rules.push(lambdaTopicRule(this, rule.id, { ruleName: rule.name, sql: deviceDataSql(rule.filter), fn: props.decode, errorAction: this.errorAction }));
    }
  }
}

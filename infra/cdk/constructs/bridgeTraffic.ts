import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as iot from 'aws-cdk-lib/aws-iot';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { BOOTSTRAP_LAMBDA_ENV } from '../../../functions/lambda/awsBootstrapEnv.ts';
import { LAMBDA_ENV } from '../../../functions/lambda/env.ts';
import { topicFilters } from '../../../schemas/topics/topics.ts';
import { base64PayloadSql, lambdaTopicRule } from '../lambdaTopicRule.ts';
import type { EventStore } from './eventStore.ts';
import { HandlerFunction } from './handlerFunction.ts';

export interface BridgeTrafficProps {
  readonly eventStore: EventStore;
  /** The fleet bus: relayed device data goes where the decode step puts a device's own. */
  readonly bus: events.IEventBus;
  /** The directory projection table (device status for data messages). */
  readonly directory: dynamodb.Table;
  /** The device-sessions projection table: the devices a bridge that goes offline held (its byBridge index). */
  readonly sessions: dynamodb.Table;
  /** The bootstrap state machine a registration without MQTT credentials starts. */
  readonly bootstrap: sfn.StateMachine;
  /** The rule error action every IoT rule of the stack shares (DeviceIngress). */
  readonly errorAction: iot.CfnTopicRule.ActionProperty;
}

/**
 * The SQL of the bridge and command-answer rules: what functions/bridgeMessages/bridgeRuleMessage.ts
 * and functions/lambda/commandAnswerRule.ts parse. The client id names the sender; the bridge and
 * device policies pin it to the certificate's thing.
 */
export const senderMessageSql = (topicFilter: string): string => base64PayloadSql(topicFilter, 'topic() AS topic, clientid() AS clientId');

/** The rules this construct deploys (schemas/topics). */
export const BRIDGE_TRAFFIC_RULES = [
  { id: 'BridgeEventsRule', name: 'lwm2m_bridge_events', filter: topicFilters.allBridgeEvents, handler: 'bridgeMessages' },
  { id: 'BridgeStatusRule', name: 'lwm2m_bridge_status', filter: topicFilters.allBridgeStatus, handler: 'bridgeMessages' },
  // Its own rule rather than widening the status rule to `+/+`: each rule selects one kind of message, by name.
  { id: 'BridgeAuthFailuresRule', name: 'lwm2m_bridge_auth_failures', filter: topicFilters.allBridgeAuthFailures, handler: 'bridgeMessages' },
  { id: 'CommandAnswersRule', name: 'lwm2m_command_answers', filter: topicFilters.allCommandResponses, handler: 'commandAnswers' },
] as const;

/**
 * What bridges (and devices answering commands) publish, into the handlers the embedded broker
 * runs: bridge events, statuses and refused-peer reports (auth-failed) into the bridge-message
 * handler (functions/bridgeMessages), which records registrations, results and authentication
 * failures, relays notify/send into ingestion through the fleet bus, and starts the bootstrap state
 * machine for a registration without MQTT credentials (the same decision as embedded, in the same
 * code); command answers into the command-answer handler.
 * IoT invokes both asynchronously: Lambda retries twice, then the on-failure queue keeps the message.
 */
export class BridgeTraffic extends Construct {
  readonly bridgeMessages: HandlerFunction;
  readonly commandAnswers: HandlerFunction;
  readonly rules: iot.CfnTopicRule[] = [];

  constructor(scope: Construct, id: string, props: BridgeTrafficProps) {
    super(scope, id);
    const table = { [LAMBDA_ENV.eventStoreTable]: props.eventStore.table.tableName };

    this.bridgeMessages = new HandlerFunction(this, 'BridgeMessages', {
      handler: 'bridgeMessages',
      environment: {
        ...table,
        [LAMBDA_ENV.eventBusName]: props.bus.eventBusName,
        [LAMBDA_ENV.directoryTable]: props.directory.tableName,
        [LAMBDA_ENV.deviceSessionsTable]: props.sessions.tableName,
        [BOOTSTRAP_LAMBDA_ENV.bootstrapStateMachineArn]: props.bootstrap.stateMachineArn,
      },
      // An offline status appends one fact per device the bridge held, in batches.
      timeout: Duration.seconds(60),
    });
    const bridgeRole = this.bridgeMessages.role;
    props.eventStore.grantStoreAccess(bridgeRole, 'readWrite');
    props.bus.grantPutEventsTo(bridgeRole);
    bridgeRole.addToPolicy(new iam.PolicyStatement({ actions: ['dynamodb:GetItem'], resources: [props.directory.tableArn] }));
    bridgeRole.addToPolicy(new iam.PolicyStatement({ actions: ['dynamodb:Query'], resources: [`${props.sessions.tableArn}/index/byBridge`] }));
    bridgeRole.addToPolicy(new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [props.bootstrap.stateMachineArn] }));

    this.commandAnswers = new HandlerFunction(this, 'CommandAnswers', { handler: 'commandAnswers', environment: table, timeout: Duration.seconds(15) });
    props.eventStore.grantStoreAccess(this.commandAnswers.role, 'readWrite');

    for (const rule of BRIDGE_TRAFFIC_RULES) {
      const fn = rule.handler === 'bridgeMessages' ? this.bridgeMessages.fn : this.commandAnswers.fn;
      this.rules.push(lambdaTopicRule(this, rule.id, { ruleName: rule.name, sql: senderMessageSql(rule.filter), fn, errorAction: props.errorAction }));
    }
  }
}

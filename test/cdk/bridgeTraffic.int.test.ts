import type * as iam from 'aws-cdk-lib/aws-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgeRuleMessage } from '../../functions/bridgeMessages/bridgeRuleMessage.ts';
import { BOOTSTRAP_LAMBDA_ENV } from '../../functions/lambda/awsBootstrapEnv.ts';
import { CommandAnswerRuleMessage } from '../../functions/lambda/commandAnswerRule.ts';
import { LAMBDA_ENV } from '../../functions/lambda/env.ts';
import { BRIDGE_EVENTS, topics } from '../../schemas/topics/topics.ts';
import { BRIDGE_TRAFFIC_RULES, senderMessageSql } from '../../infra/cdk/constructs/bridgeTraffic.ts';
import type { HandlerFunction } from '../../infra/cdk/constructs/handlerFunction.ts';
import { allowedActions, synthesizeFleet, type SynthesizedFleet } from './synthesizedFleet.ts';
import { asList } from './templateValues.ts';

let fleet: SynthesizedFleet;
beforeAll(() => {
  fleet = synthesizeFleet();
});
afterAll(() => fleet.remove());

/** MQTT 3.1.1 §4.7: `+` is exactly one level, `#` the rest. */
const filterMatches = (filter: string, topic: string): boolean => {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length || (f[i] !== '+' && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
};

interface RulePayload {
  Sql: string;
  AwsIotSqlVersion: string;
  RuleDisabled: boolean;
  Actions: unknown[];
  ErrorAction: unknown;
}
const payloadOf = (rule: { node: { defaultChild?: unknown } } | object): RulePayload =>
  fleet.resources[fleet.stack.getLogicalId(rule as never)]!.Properties!.TopicRulePayload as RulePayload;
const traffic = () => fleet.stack.bridgeTraffic;
const fnArn = (h: HandlerFunction) => ({ 'Fn::GetAtt': [fleet.logicalId(h.fn), 'Arn'] });

describe('bridge traffic rules', () => {
  it('send bridge events, statuses and auth-failed reports to the bridge-message handler and command answers to the command-answer handler, base64 in the SQL', () => {
    expect(traffic().rules).toHaveLength(4);
    const byName: Record<string, RulePayload> = Object.fromEntries(traffic().rules.map((r): [string, RulePayload] => [r.ruleName ?? '', payloadOf(r)]));
    expect(Object.keys(byName).sort()).toEqual(['lwm2m_bridge_auth_failures', 'lwm2m_bridge_events', 'lwm2m_bridge_status', 'lwm2m_command_answers']);
    const sql = (filter: string) => `SELECT encode(*, 'base64') AS payloadBase64, topic() AS topic, clientid() AS clientId, timestamp() AS receivedAt FROM '${filter}'`;
    expect(byName.lwm2m_bridge_events).toMatchObject({ Sql: sql('dt/lwm2m-bridge/+/+/+'), Actions: [{ Lambda: { FunctionArn: fnArn(traffic().bridgeMessages) } }] });
    expect(byName.lwm2m_bridge_status).toMatchObject({ Sql: sql('dt/lwm2m-bridge/+/status'), Actions: [{ Lambda: { FunctionArn: fnArn(traffic().bridgeMessages) } }] });
    expect(byName.lwm2m_bridge_auth_failures).toMatchObject({ Sql: sql('dt/lwm2m-bridge/+/auth-failed'), Actions: [{ Lambda: { FunctionArn: fnArn(traffic().bridgeMessages) } }] });
    expect(byName.lwm2m_command_answers).toMatchObject({ Sql: sql('cmd/lwm2m/+/res/+'), Actions: [{ Lambda: { FunctionArn: fnArn(traffic().commandAnswers) } }] });
    for (const payload of Object.values(byName)) expect(payload).toMatchObject({ AwsIotSqlVersion: '2016-03-23', RuleDisabled: false });
  });

  it('share the stack’s rule error action (a log group IoT writes with its own role)', () => {
    const deviceRule = payloadOf(fleet.stack.ingress.rules[0]!);
    expect(deviceRule.ErrorAction).toEqual({ CloudwatchLogs: { LogGroupName: { Ref: fleet.logicalId(fleet.stack.ingress.ruleErrors) }, RoleArn: { 'Fn::GetAtt': [fleet.logicalId(fleet.stack.ingress.node.findChild('RuleErrorRole') as iam.Role), 'Arn'] } } });
    for (const rule of traffic().rules) expect(payloadOf(rule).ErrorAction).toEqual(deviceRule.ErrorAction);
  });

  it('select exactly the fields each handler parses (the rule messages of functions/bridgeMessages and functions/lambda)', () => {
    const aliases = (sql: string) => [...sql.matchAll(/ AS (\w+)/g)].map((m) => m[1]).sort();
    const required = (shape: Record<string, { safeParse(v: undefined): { success: boolean } }>) =>
      Object.entries(shape)
        .filter(([, schema]) => !schema.safeParse(undefined).success)
        .map(([k]) => k)
        .sort();
    const selected = aliases(senderMessageSql('x'));
    expect(selected).toEqual(required(BridgeRuleMessage.shape));
    expect(selected).toEqual(required(CommandAnswerRuleMessage.shape));
    // What IoT builds from the SQL for a JSON register: both handlers' boundaries accept it.
    const message = { payloadBase64: Buffer.from('{"endpoint":"meter-1"}').toString('base64'), topic: topics.bridgeEvent('aws-1', 'register', 'meter-1'), clientId: 'bridge:aws-1', receivedAt: 1_777_000_000_000 };
    expect(BridgeRuleMessage.safeParse(message).success).toBe(true);
    expect(CommandAnswerRuleMessage.safeParse({ ...message, topic: topics.commandResponse('meter-1', 'c-1') }).success).toBe(true);
  });

  it('take every topic a bridge or an answering device publishes, once, and none the backend publishes (no loops)', () => {
    const filters = BRIDGE_TRAFFIC_RULES.map((r) => r.filter);
    const published = [
      ...BRIDGE_EVENTS.map((e) => topics.bridgeEvent('aws-1', e, 'meter-1')),
      topics.bridgeStatus('aws-1'),
      topics.bridgeAuthFailed('aws-1'),
      topics.commandResponse('meter-1', 'c-0001'),
    ];
    for (const topic of published) expect({ topic, rules: filters.filter((f) => filterMatches(f, topic)).length }).toEqual({ topic, rules: 1 });
    const backend = [topics.bootstrapResponse('aws-1', 'meter-1'), topics.commandRequest('meter-1', 'c-0001'), topics.deviceState('meter-1'), topics.deviceAlarms('meter-1')];
    for (const topic of backend) expect({ topic, rules: filters.filter((f) => filterMatches(f, topic)) }).toEqual({ topic, rules: [] });
  });

  it('let IoT invoke each handler only from its own rules, in this account', () => {
    for (const rule of BRIDGE_TRAFFIC_RULES) {
      const target = rule.handler === 'bridgeMessages' ? traffic().bridgeMessages : traffic().commandAnswers;
      const ruleId = fleet.stack.getLogicalId(traffic().rules.find((r) => r.ruleName === rule.name)!);
      fleet.template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        Principal: 'iot.amazonaws.com',
        FunctionName: fnArn(target),
        SourceArn: { 'Fn::GetAtt': [ruleId, 'Arn'] },
        SourceAccount: { Ref: 'AWS::AccountId' },
      });
    }
    const permissions = fleet.ofType('AWS::Lambda::Permission').filter(([, p]) => JSON.stringify(p.Properties!.FunctionName) === JSON.stringify(fnArn(traffic().bridgeMessages)));
    expect(permissions).toHaveLength(3);
  });
});

describe('bridge traffic handlers', () => {
  it('keep a message that failed every retry in an on-failure queue (IoT invokes them asynchronously)', () => {
    for (const h of [traffic().bridgeMessages, traffic().commandAnswers]) {
      fleet.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: fleet.logicalId(h.fn) },
        MaximumRetryAttempts: 2,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [fleet.logicalId(h.failures!), 'Arn'] } } },
      });
    }
  });

  it('give the bridge-message handler the names of what it uses: store, bus, directory, bootstrap state machine', () => {
    const env = (fleet.resources[fleet.logicalId(traffic().bridgeMessages.fn)]!.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env).toMatchObject({
      [LAMBDA_ENV.eventStoreTable]: { Ref: fleet.logicalId(fleet.stack.eventStore.table) },
      [LAMBDA_ENV.eventBusName]: { Ref: fleet.logicalId(fleet.stack.eventBus.bus) },
      [LAMBDA_ENV.directoryTable]: { Ref: fleet.logicalId(fleet.stack.projections.tables.directory) },
      [BOOTSTRAP_LAMBDA_ENV.bootstrapStateMachineArn]: { Ref: fleet.logicalId(fleet.stack.bootstrap.stateMachine) },
    });
  });

  it('let the bridge-message handler start only the bootstrap state machine and read only the directory and the sessions index of the projections', () => {
    const statements = fleet.statementsOf(traffic().bridgeMessages.role);
    expect(allowedActions(statements)).toEqual([
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      'events:PutEvents',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:SendMessage',
      'states:StartExecution',
    ]);
    const on = (action: string) => statements.filter((s) => asList(s.Action).includes(action)).map((s) => s.Resource);
    expect(on('states:StartExecution')).toEqual([{ Ref: fleet.logicalId(fleet.stack.bootstrap.stateMachine) }]);
    expect(on('events:PutEvents')).toEqual([{ 'Fn::GetAtt': [fleet.logicalId(fleet.stack.eventBus.bus), 'Arn'] }]);
    const projectionTables = Object.values(fleet.stack.projections.tables).map((t) => fleet.logicalId(t));
    const onProjections = statements.filter((s) => projectionTables.some((id) => JSON.stringify(s.Resource).includes(id)));
    expect(onProjections).toEqual([
      expect.objectContaining({ Action: 'dynamodb:GetItem', Resource: { 'Fn::GetAtt': [fleet.logicalId(fleet.stack.projections.tables.directory), 'Arn'] } }),
      // A bridge's offline status ends the sessions it held: the sessions table's byBridge index.
      expect.objectContaining({ Action: 'dynamodb:Query', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [fleet.logicalId(fleet.stack.projections.tables.deviceSessions), 'Arn'] }, '/index/byBridge']] } }),
    ]);
  });

  it('let the command-answer handler use the event store and nothing else', () => {
    const actions = allowedActions(fleet.statementsOf(traffic().commandAnswers.role));
    expect(actions.filter((a) => !a.startsWith('dynamodb:') && !a.startsWith('logs:') && !a.startsWith('sqs:'))).toEqual([]);
    for (const s of fleet.statementsOf(traffic().commandAnswers.role).filter((x) => asList(x.Action).some((a) => a.startsWith('dynamodb:')))) {
      expect(JSON.stringify(s.Resource)).toContain(fleet.logicalId(fleet.stack.eventStore.table));
    }
  });
});

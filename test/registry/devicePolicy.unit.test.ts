import { describe, expect, it } from 'vitest';
import { bridgePolicy, bridgePolicyName, DEVICE_POLICY_NAME, devicePolicy, EMBEDDED_ARN, iotArnPrefix, iotResources } from '../../functions/registry/devicePolicy.ts';
import { compilePolicy, parsePolicyDocument, type PolicyDocument } from '../../functions/registry/policyEvaluator.ts';
import { topicFilters, topics } from '../../schemas/topics/topics.ts';

const r = iotResources(EMBEDDED_ARN);
const asList = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

const leastPrivilegeShape = (doc: PolicyDocument) => {
  expect(doc.Version).toBe('2012-10-17');
  // What AWS would store: the document survives JSON and our own validation unchanged.
  expect(parsePolicyDocument(JSON.stringify(doc))).toEqual(doc);
  for (const s of doc.Statement) {
    expect(s.Effect).toBe('Allow');
    expect(s.NotAction).toBeUndefined();
    expect(s.NotResource).toBeUndefined();
    for (const action of asList(s.Action)) {
      expect(action).not.toContain('*');
      expect(['iot:Connect', 'iot:Publish', 'iot:Subscribe', 'iot:Receive']).toContain(action);
    }
    for (const resource of asList(s.Resource)) {
      expect(resource).not.toBe('*');
      expect(resource.startsWith(iotArnPrefix(EMBEDDED_ARN))).toBe(true);
      // No resource may grant a whole resource type ("topic/*", "topicfilter/*", "client/*").
      expect(resource).not.toMatch(/:(topic|topicfilter|client)\/\*$/);
    }
    expect(s.Condition).toEqual({ Bool: { 'iot:Connection.Thing.IsAttached': 'true' } });
  }
};

describe('device policy', () => {
  const doc = devicePolicy();
  const meter1 = compilePolicy(doc, { thingName: 'meter-1', clientId: 'meter-1', isAttached: true });

  it('has the least-privilege shape: no iot:*, no "*" resource, IsAttached everywhere', () => {
    leastPrivilegeShape(doc);
    expect(JSON.stringify(doc)).toContain('${iot:Connection.Thing.ThingName}');
  });

  it.each([
    ['iot:Connect', r.client('meter-1'), true],
    ['iot:Connect', r.client('meter-2'), false],
    ['iot:Connect', r.client('meter-1x'), false],
    ['iot:Publish', r.topic(topics.deviceState('meter-1')), true],
    ['iot:Publish', r.topic(topics.deviceAlarms('meter-1')), true],
    ['iot:Publish', r.topic(topics.commandResponse('meter-1', 'c1')), true],
    ['iot:Publish', r.topic(topics.deviceState('meter-2')), false],
    ['iot:Publish', r.topic('dt/lwm2m/meter-1/other'), false],
    ['iot:Publish', r.topic(topics.commandRequest('meter-1', 'c1')), false],
    ['iot:Publish', r.topic(topics.commandResponse('meter-2', 'c1')), false],
    ['iot:Publish', r.topic(topics.bridgeEvent('b1', 'register', 'meter-1')), false],
    ['iot:Publish', r.topic(topics.bridgeAuthFailed('b1')), false],
    ['iot:Subscribe', r.topicFilter(topicFilters.commandRequestsFor('meter-1')), true],
    ['iot:Subscribe', r.topicFilter(topics.commandRequest('meter-1', 'c1')), true],
    ['iot:Subscribe', r.topicFilter(topicFilters.commandRequestsFor('meter-2')), false],
    ['iot:Subscribe', r.topicFilter(topicFilters.allCommandRequests), false],
    ['iot:Subscribe', r.topicFilter('#'), false],
    ['iot:Subscribe', r.topicFilter('cmd/lwm2m/#'), false],
    ['iot:Subscribe', r.topicFilter(topicFilters.allDeviceState), false],
    ['iot:Receive', r.topic(topics.commandRequest('meter-1', 'c1')), true],
    ['iot:Receive', r.topic(topics.commandRequest('meter-2', 'c1')), false],
    ['iot:Receive', r.topic(topics.deviceState('meter-2')), false],
  ] as const)('%s %s → %s for meter-1', (action, resource, allowed) => {
    expect(meter1.allows(action, resource)).toBe(allowed);
  });

  it('grants nothing to a certificate that is not attached to the thing', () => {
    const detached = compilePolicy(doc, { thingName: 'meter-1', clientId: 'meter-1', isAttached: false });
    expect(detached.allows('iot:Connect', r.client('meter-1'))).toBe(false);
    expect(detached.allows('iot:Publish', r.topic(topics.deviceState('meter-1')))).toBe(false);
  });

  it('grants nothing when the thing name cannot be resolved', () => {
    const anonymous = compilePolicy(doc, { clientId: 'meter-1', isAttached: true });
    expect(anonymous.allows('iot:Connect', r.client('meter-1'))).toBe(false);
    expect(anonymous.allows('iot:Publish', r.topic(topics.deviceState('meter-1')))).toBe(false);
  });

  it('points at the account it is made for', () => {
    const aws = devicePolicy({ region: 'eu-west-1', accountId: '123456789012' });
    expect(JSON.stringify(aws)).toContain('arn:aws:iot:eu-west-1:123456789012:topic/dt/lwm2m/${iot:Connection.Thing.ThingName}/state');
    expect(() => devicePolicy({ region: 'eu-west-1', accountId: '1234' })).toThrow(/12-digit account id/);
  });
});

describe('bridge policy', () => {
  const doc = bridgePolicy('b1');
  const b1 = compilePolicy(doc, { thingName: 'bridge:b1', clientId: 'bridge:b1', isAttached: true });

  it('has the least-privilege shape too', () => {
    leastPrivilegeShape(doc);
  });

  it.each([
    ['iot:Connect', r.client('bridge:b1'), true],
    ['iot:Connect', r.client('bridge:b2'), false],
    ['iot:Connect', r.client('meter-1'), false],
    ['iot:Publish', r.topic(topics.bridgeEvent('b1', 'register', 'meter-1')), true],
    ['iot:Publish', r.topic(topics.bridgeEvent('b1', 'notify', 'meter-9')), true],
    ['iot:Publish', r.topic(topics.bridgeStatus('b1')), true],
    ['iot:Publish', r.topic(topics.bridgeAuthFailed('b1')), true],
    ['iot:Publish', r.topic(topics.bridgeAuthFailed('b2')), false],
    ['iot:Publish', r.topic(topics.bridgeAuthFailed('b10')), false],
    ['iot:Publish', r.topic(topics.commandResponse('meter-1', 'c1')), true],
    ['iot:Publish', r.topic(topics.bridgeEvent('b2', 'register', 'meter-1')), false],
    ['iot:Publish', r.topic(topics.bridgeStatus('b10')), false],
    ['iot:Publish', r.topic(topics.deviceState('meter-1')), false],
    ['iot:Publish', r.topic(topics.commandRequest('meter-1', 'c1')), false],
    ['iot:Publish', r.topic(topics.bootstrapResponse('b1', 'meter-1')), false],
    ['iot:Subscribe', r.topicFilter(topicFilters.allCommandRequests), true],
    ['iot:Subscribe', r.topicFilter(topicFilters.commandRequestsFor('meter-1')), true],
    ['iot:Subscribe', r.topicFilter(topicFilters.bootstrapResponsesFor('b1')), true],
    ['iot:Subscribe', r.topicFilter(topicFilters.bootstrapResponsesFor('b2')), false],
    ['iot:Subscribe', r.topicFilter(topicFilters.allCommandResponses), false],
    ['iot:Subscribe', r.topicFilter(topicFilters.allDeviceData), false],
    ['iot:Subscribe', r.topicFilter('#'), false],
    ['iot:Receive', r.topic(topics.commandRequest('meter-7', 'c1')), true],
    ['iot:Receive', r.topic(topics.bootstrapResponse('b1', 'meter-1')), true],
    ['iot:Receive', r.topic(topics.bootstrapResponse('b2', 'meter-1')), false],
    ['iot:Receive', r.topic(topics.deviceState('meter-1')), false],
    ['iot:Receive', r.topic(topics.bridgeAuthFailed('b1')), false],
    ['iot:Subscribe', r.topicFilter(topicFilters.allBridgeAuthFailures), false],
  ] as const)('%s %s → %s for bridge b1', (action, resource, allowed) => {
    expect(b1.allows(action, resource)).toBe(allowed);
  });

  it('grants exactly what it always did: auth-failed is one of its own topics, no new statement or resource', () => {
    expect(doc.Statement.map((st) => [st.Sid, st.Action, st.Resource])).toEqual([
      ['ConnectAsBridge', 'iot:Connect', r.client('bridge:b1')],
      ['PublishBridgeEventsAndCommandResponses', 'iot:Publish', [r.topic('dt/lwm2m-bridge/b1/*'), r.topic('cmd/lwm2m/*/res/*')]],
      ['SubscribeCommandRequestsAndOwnBootstrap', 'iot:Subscribe', [r.topicFilter('cmd/lwm2m/*/req/*'), r.topicFilter('cmd/lwm2m-bridge/b1/bootstrap/*')]],
      ['ReceiveCommandRequestsAndOwnBootstrap', 'iot:Receive', [r.topic('cmd/lwm2m/*/req/*'), r.topic('cmd/lwm2m-bridge/b1/bootstrap/*')]],
    ]);
  });

  it('refuses an invalid bridge id', () => {
    expect(() => bridgePolicy('B 1')).toThrow(/bridge id "B 1" is not valid/);
    expect(() => bridgePolicyName('B 1')).toThrow(/bridge id "B 1" is not valid/);
  });

  it('has AWS-valid policy names, one per bridge', () => {
    // AWS IoT policy names: 1-128 of [\w+=,.@-].
    for (const name of [DEVICE_POLICY_NAME, bridgePolicyName('b1')]) expect(name).toMatch(/^[\w+=,.@-]{1,128}$/);
    expect(bridgePolicyName('b1')).not.toBe(bridgePolicyName('b2'));
  });
});

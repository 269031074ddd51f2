import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgeService, LWM2M_PORTS } from '../../infra/cdk/constructs/bridgeService.ts';
import { asList } from './templateValues.ts';

/**
 * The opt-in (`-c bridgePlainCoap=true`): the bridge service alone in a small stack, with plain
 * CoAP on. The default (DTLS only) is checked on the whole app in bridgeService.int.test.ts.
 */

let outdir: string;
let template: Template;

beforeAll(() => {
  process.env.CDK_VALIDATION = 'false';
  outdir = mkdtempSync(join(tmpdir(), 'bridge-plain-'));
  const app = new App({ outdir });
  const stack = new Stack(app, 'PlainCoap');
  const key = new kms.Key(stack, 'Key');
  const bucket = new s3.Bucket(stack, 'Credentials', { encryptionKey: key });
  const directory = new dynamodb.Table(stack, 'Directory', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
  new BridgeService(stack, 'Bridge', { credentials: { bucket, key }, directory, plainCoap: true, minTasks: 1, maxTasks: 2 });
  template = Template.fromStack(stack);
}, 120_000);

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('the bridge service with plain CoAP on', () => {
  it('listens on UDP 5683 as well as 5684, and the container serves it', () => {
    const listeners = Object.values(template.findResources('AWS::ElasticLoadBalancingV2::Listener')).map((l) => (l as { Properties: { Port: number } }).Properties.Port);
    expect(listeners.sort()).toEqual([LWM2M_PORTS.coap, LWM2M_PORTS.coaps]);
    const [task] = Object.values(template.findResources('AWS::ECS::TaskDefinition')) as { Properties: { ContainerDefinitions: { Environment: { Name: string; Value: unknown }[]; PortMappings: { ContainerPort: number; Protocol: string }[] }[] } }[];
    const container = task!.Properties.ContainerDefinitions[0]!;
    const env = Object.fromEntries(container.Environment.map((e) => [e.Name, e.Value]));
    expect(env).toMatchObject({ LWM2M_PLAIN_COAP: 'true', FLEET_LWM2M_PORT: '5683', LWM2M_COAPS_PORT: '5684', FLEET_BRIDGE_ID_POOL: 'aws-1,aws-2,aws-3,aws-4' });
    expect(JSON.stringify(env.FLEET_BRIDGE_PUBLIC_ENDPOINTS)).toMatch(/coap:\/\/.*:5683,coaps:\/\/.*:5684/);
    expect(container.PortMappings.map((p) => [p.Protocol, p.ContainerPort]).sort()).toEqual([
      ['tcp', 8080],
      ['udp', LWM2M_PORTS.coap],
      ['udp', LWM2M_PORTS.coaps],
    ]);
    const open = Object.values(template.findResources('AWS::EC2::SecurityGroup'))
      .flatMap((g) => asList((g as { Properties: { SecurityGroupIngress?: { CidrIp?: string; FromPort: number }[] } }).Properties.SecurityGroupIngress))
      .filter((r) => r.CidrIp === '0.0.0.0/0')
      .map((r) => r.FromPort);
    expect(open.sort()).toEqual([LWM2M_PORTS.coap, LWM2M_PORTS.coaps]);
  });

  it('refuses a pool it cannot size', () => {
    const stack = new Stack(new App({ outdir }), 'Bad');
    const key = new kms.Key(stack, 'Key');
    const bucket = new s3.Bucket(stack, 'Credentials', { encryptionKey: key });
    const directory = new dynamodb.Table(stack, 'Directory', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
    expect(() => new BridgeService(stack, 'Bridge', { credentials: { bucket, key }, directory, minTasks: 3, maxTasks: 2 })).toThrow(/1 <= minTasks <= maxTasks/);
  });
});

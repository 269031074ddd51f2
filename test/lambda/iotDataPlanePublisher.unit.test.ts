import { X509Certificate } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import { PublishCommand } from '@aws-sdk/client-iot-data-plane';
import type { DescribeEndpointCommand } from '@aws-sdk/client-iot';
import { describe, expect, it } from 'vitest';
import type { CommandRequestMessage } from '../../schemas/bridge/commandMessages.ts';
import { topics } from '../../schemas/topics/topics.ts';
import { amazonRootCa1Pem, AMAZON_ROOT_CA_1_SHA256 } from '../../functions/lambda/amazonTrustAnchor.ts';
import { failureOf } from './support.ts';
import { allowPlainCoapFrom } from '../../functions/lambda/awsBootstrapEnv.ts';
import { brokerUriOf, iotDataEndpoint } from '../../functions/lambda/iotDataEndpoint.ts';
import { iotDataPlaneBridgePublisher, iotDataPlaneCommandPublisher, IotPublishFailed, type IotDataSender } from '../../functions/lambda/iotDataPlanePublisher.ts';

/** A data plane that records each command it is sent, as the SDK client would receive it. */
const recordingSender = (fail?: Error) => {
  const sent: PublishCommand[] = [];
  const sender: IotDataSender = {
    send(command) {
      sent.push(command);
      return fail ? Promise.reject(fail) : Promise.resolve({ $metadata: { httpStatusCode: 200 } });
    },
  };
  return { sent, sender };
};

const DELIVERY = JSON.stringify({ endpoint: 'meter-1', privateKeyPem: '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n' });

const command = (overrides: Partial<CommandRequestMessage> = {}): CommandRequestMessage => ({
  commandId: 'c-0001',
  operation: 'read',
  path: '/3303/0/5700',
  requestedAt: '2026-05-01T10:00:00.000Z',
  expiresAt: '2026-05-01T10:01:00.000Z',
  ...overrides,
});

describe('the IoT data plane publishers, at the SDK send', () => {
  it('publish a bootstrap delivery as Publish documents it: topic, qos 1, retain false, the payload as bytes, nothing else', async () => {
    const { sent, sender } = recordingSender();
    const topic = topics.bootstrapResponse('aws-1', 'meter-1');
    await iotDataPlaneBridgePublisher(sender)({ topic, payload: DELIVERY });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toBeInstanceOf(PublishCommand);
    const input = sent[0]!.input;
    expect(Object.keys(input).sort()).toEqual(['payload', 'qos', 'retain', 'topic']);
    expect(input).toMatchObject({ topic, qos: 1, retain: false });
    expect(input.payload).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(input.payload as Uint8Array).toString('utf8')).toBe(DELIVERY);
  });

  it('publish a command request on the device’s request topic after checking it against the bridge contract', async () => {
    const { sent, sender } = recordingSender();
    const publisher = iotDataPlaneCommandPublisher(sender);
    await expect(publisher.publish('meter-1', command())).resolves.toEqual({ topic: 'cmd/lwm2m/meter-1/req/c-0001' });
    expect(sent[0]!.input).toMatchObject({ topic: 'cmd/lwm2m/meter-1/req/c-0001', qos: 1, retain: false });
    expect(JSON.parse(Buffer.from(sent[0]!.input.payload as Uint8Array).toString('utf8'))).toEqual(command());

    // A write without values is refused before anything leaves: the bridge would have to refuse it.
    await expect(publisher.publish('meter-1', command({ commandId: 'c-0002', operation: 'write' }))).rejects.toThrow(/a write needs values/);
    // A name that is no device's cannot become a topic.
    await expect(publisher.publish('bridge:aws-1', command({ commandId: 'c-0003' }))).rejects.toThrow(/reserved for bridges/);
    expect(sent).toHaveLength(1);
  });

  it('say which topic AWS refused, with its answer and request id, and never the payload', async () => {
    const refused = Object.assign(new Error('Not authorized to publish'), { name: 'ForbiddenException', $metadata: { httpStatusCode: 403, requestId: 'req-9' } });
    const { sender } = recordingSender(refused);
    const failure = await failureOf(iotDataPlaneBridgePublisher(sender)({ topic: topics.bootstrapResponse('aws-1', 'meter-1'), payload: DELIVERY }));
    expect(failure).toBeInstanceOf(IotPublishFailed);
    expect(failure.message).toContain('cmd/lwm2m-bridge/aws-1/bootstrap/meter-1');
    expect(failure.message).toContain('ForbiddenException: Not authorized to publish, HTTP 403, request req-9');
    expect(failure.message).not.toMatch(/PRIVATE KEY|MIGHAgEA/);
    expect(failure.stack ?? '').not.toMatch(/PRIVATE KEY|MIGHAgEA/);
  });
});

describe('what a bootstrap on AWS tells the device', () => {
  it('looks the account’s ATS endpoint up once, retries after a failed look-up, and names port 8883', async () => {
    const asked: DescribeEndpointCommand[] = [];
    let fail = true;
    const endpoint = iotDataEndpoint({
      send(c) {
        asked.push(c);
        if (fail) return Promise.reject(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
        return Promise.resolve({ endpointAddress: 'a1b2c3-ats.iot.eu-west-1.amazonaws.com', $metadata: {} });
      },
    });
    expect(() => endpoint.current()).toThrow(/not known yet/);
    await expect(endpoint.resolve()).rejects.toThrow(/Rate exceeded/);
    fail = false;
    const [a, b] = await Promise.all([endpoint.resolve(), endpoint.resolve()]);
    await endpoint.resolve();
    expect([a, b, endpoint.current()]).toEqual(Array(3).fill('a1b2c3-ats.iot.eu-west-1.amazonaws.com'));
    expect(asked.map((c) => c.input)).toEqual([{ endpointType: 'iot:Data-ATS' }, { endpointType: 'iot:Data-ATS' }]);
    expect(brokerUriOf(a)).toBe('mqtts://a1b2c3-ats.iot.eu-west-1.amazonaws.com:8883');
  });

  it('refuses an endpoint answer that is not a host name', async () => {
    const endpoint = iotDataEndpoint({ send: () => Promise.resolve({ endpointAddress: 'evil.example/path', $metadata: {} }) });
    await expect(endpoint.resolve()).rejects.toThrow(/not a host name/);
  });

  it('gives Amazon Root CA 1 as the trust anchor, picked from Node’s roots by fingerprint', () => {
    const pem = amazonRootCa1Pem();
    const cert = new X509Certificate(pem);
    expect(cert.subject).toBe('C=US\nO=Amazon\nCN=Amazon Root CA 1');
    expect(cert.fingerprint256).toBe(AMAZON_ROOT_CA_1_SHA256);
    // Amazon's other roots (2-4) do not stand in for it.
    const otherAmazonRoots = rootCertificates.filter((p) => new X509Certificate(p).subject.includes('O=Amazon') && p.trim() !== pem.trim());
    expect(otherAmazonRoots.length).toBeGreaterThan(0);
    expect(() => amazonRootCa1Pem(otherAmazonRoots)).toThrow(/Amazon Root CA 1 is not in this Node runtime/);
  });

  it('reads FLEET_BOOTSTRAP_OVER_PLAIN_COAP as the embedded system does: false unless set to true', () => {
    expect(allowPlainCoapFrom({})).toBe(false);
    expect(allowPlainCoapFrom({ FLEET_BOOTSTRAP_OVER_PLAIN_COAP: 'false' })).toBe(false);
    expect(allowPlainCoapFrom({ FLEET_BOOTSTRAP_OVER_PLAIN_COAP: 'true' })).toBe(true);
    expect(() => allowPlainCoapFrom({ FLEET_BOOTSTRAP_OVER_PLAIN_COAP: 'yes' })).toThrow(/set it to true or false/);
  });
});

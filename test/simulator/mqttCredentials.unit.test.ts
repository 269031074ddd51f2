import { X509Certificate, createPrivateKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createCa, issueDeviceCertificate } from '../../functions/registry/localCa.ts';
import { readCredentials } from '../../functions/simulator/mqttCredentials.ts';
import { ObjectTree, single } from '../../functions/simulator/objectTree.ts';
import { mqttBrokerBehaviour } from '../../functions/simulator/objects/mqttBroker.ts';
import { integer, opaque, text } from '../../functions/simulator/objects/values.ts';

const pem = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));

const treeWith = (values: [number, ReturnType<typeof text>][]) => {
  const tree = new ObjectTree();
  tree.add(mqttBrokerBehaviour(() => undefined));
  tree.createInstance(18830, 0, new Map(values.map(([id, v]) => [id, single(v)])));
  return tree;
};

describe('MQTT credentials from object 18830', () => {
  it('names what is still missing while the bootstrap is under way', () => {
    expect(readCredentials(treeWith([[0, text('mqtts://broker:8883')]]), 0)).toEqual({
      ok: false,
      missing: ['Client Identifier', 'Public Key or Identity', 'Secret Key', 'MQTT Broker Public Key'],
    });
  });

  it('takes PEM, and DER certificates and keys (turned into PEM for TLS)', async () => {
    const ca = await createCa();
    const device = await issueDeviceCertificate(ca, 'meter-1');
    const derCert = new X509Certificate(device.certificatePem).raw;
    const derKey = createPrivateKey(device.privateKeyPem).export({ format: 'der', type: 'pkcs8' });
    const read = readCredentials(
      treeWith([
        [0, text('mqtts://broker:8883')],
        [1, text('meter-1')],
        [7, opaque(derCert)],
        [8, opaque(pem(ca.certificatePem))],
        [9, opaque(derKey)],
      ]),
      0,
    );
    expect(read.ok).toBe(true);
    if (!read.ok) return;
    expect(read.value).toMatchObject({ uri: 'mqtts://broker:8883', clientId: 'meter-1', cleanSession: true, keepAliveSeconds: 60 });
    expect(new X509Certificate(read.value.tls!.certificatePem).subject).toContain('CN=meter-1');
    expect(read.value.tls!.trustAnchorPem).toBe(ca.certificatePem);
    expect(createPrivateKey(read.value.tls!.privateKeyPem).asymmetricKeyType).toBe('ec');
  });

  it('refuses key material that is neither PEM nor DER, and a URI that contradicts the security mode', () => {
    const garbage = readCredentials(
      treeWith([
        [0, text('mqtts://broker:8883')],
        [1, text('meter-1')],
        [7, opaque(new Uint8Array([1, 2, 3]))],
        [8, opaque(new Uint8Array([1, 2, 3]))],
        [9, opaque(new Uint8Array([1, 2, 3]))],
      ]),
      0,
    );
    expect(garbage).toMatchObject({ ok: false, missing: [] });
    expect(!garbage.ok && garbage.invalid).toMatch(/unusable key material/);
    const mismatch = readCredentials(treeWith([[0, text('mqtts://broker:8883')], [1, text('meter-1')], [6, integer(3)]]), 0);
    expect(!mismatch.ok && mismatch.invalid).toMatch(/does not match Security Mode 3/);
    const noSec = readCredentials(treeWith([[0, text('mqtt://broker:1883')], [1, text('meter-1')], [6, integer(3)]]), 0);
    expect(noSec).toEqual({ ok: true, value: { uri: 'mqtt://broker:1883', clientId: 'meter-1', cleanSession: true, keepAliveSeconds: 60 } });
  });
});

import { describe, expect, it } from 'vitest';
import { readBridgeMessage } from '../../functions/bridgeMessages/readBridgeMessage.ts';
import { topics } from '../../schemas/topics/topics.ts';

const at = '2026-11-24T12:00:00.000Z';
const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const register = {
  endpoint: 'lamp-1',
  lwm2mVersion: '1.1',
  lifetimeSeconds: 300,
  bindingMode: 'U',
  queueMode: false,
  objectLinks: '</>;rt="oma.lwm2m",</3/0>,</18830>',
  location: '/rd/a1',
  registeredAt: at,
  transport: 'coaps',
};
const read = (topic: string, payload: Buffer, clientId = 'bridge:b1') => readBridgeMessage({ topic, clientId, payload });

describe('reading a bridge message', () => {
  it('reads each JSON event as its document, about the endpoint its topic names', () => {
    expect(read(topics.bridgeEvent('b1', 'register', 'lamp-1'), json(register))).toEqual({ kind: 'register', bridgeId: 'b1', thingName: 'lamp-1', body: register });
    const update = { endpoint: 'lamp-1', lifetimeSeconds: 600, updatedAt: at };
    expect(read(topics.bridgeEvent('b1', 'update', 'lamp-1'), json(update))).toMatchObject({ kind: 'update', body: update });
    const result = { endpoint: 'lamp-1', requestId: 'r1', ok: false, lwm2mCode: '4.04', at };
    expect(read(topics.bridgeEvent('b1', 'bootstrap-result', 'lamp-1'), json(result))).toMatchObject({ kind: 'bootstrap-result', body: result });
    expect(read(topics.bridgeStatus('b1'), json({ bridgeId: 'b1', status: 'offline' }))).toEqual({ kind: 'status', bridgeId: 'b1', body: { bridgeId: 'b1', status: 'offline' } });
  });

  it('leaves notify and send payloads to the ingestion path, whatever their bytes', () => {
    expect(read(topics.bridgeEvent('b1', 'notify', 'lamp-1'), Buffer.from([0xff, 0x00]))).toEqual({ kind: 'data', bridgeId: 'b1', thingName: 'lamp-1', event: 'notify' });
    expect(read(topics.bridgeEvent('b1', 'send', 'lamp-1'), Buffer.alloc(0))).toMatchObject({ kind: 'data', event: 'send' });
  });

  it('refuses at the topic stage: a sender that is no bridge, a bridge using another bridge\'s topic, a topic outside the tree', () => {
    expect(read(topics.bridgeEvent('b1', 'register', 'lamp-1'), json(register), 'lamp-1')).toMatchObject({ kind: 'refused', stage: 'topic', bridgeId: undefined, thingName: 'lamp-1' });
    const spoof = read(topics.bridgeEvent('b2', 'register', 'lamp-1'), json(register));
    expect(spoof).toMatchObject({ kind: 'refused', stage: 'topic', bridgeId: 'b1' });
    expect(spoof.kind === 'refused' && spoof.reason).toMatch(/b1 published under bridge b2/);
    expect(read('dt/lwm2m-bridge/b1/garbage', json({}))).toMatchObject({ kind: 'refused', stage: 'topic', bridgeId: 'b1', thingName: undefined });
    expect(read(topics.deviceState('lamp-1'), json({}))).toMatchObject({ kind: 'refused', stage: 'topic' });
  });

  it('refuses at the decode stage what is not UTF-8 JSON', () => {
    expect(read(topics.bridgeEvent('b1', 'update', 'lamp-1'), Buffer.from('{"endpoint":'))).toMatchObject({ kind: 'refused', stage: 'decode' });
    const notText = read(topics.bridgeStatus('b1'), Buffer.from([0xc3, 0x28]));
    expect(notText).toMatchObject({ kind: 'refused', stage: 'decode' });
    expect(notText.kind === 'refused' && notText.reason).toMatch(/not UTF-8/);
  });

  it('refuses at the validate stage a document that breaks its schema, names another endpoint, or another bridge', () => {
    const missing = read(topics.bridgeEvent('b1', 'register', 'lamp-1'), json({ ...register, lifetimeSeconds: -1 }));
    expect(missing).toMatchObject({ kind: 'refused', stage: 'validate', thingName: 'lamp-1' });
    expect(missing.kind === 'refused' && missing.reason).toMatch(/lifetimeSeconds/);
    const other = read(topics.bridgeEvent('b1', 'register', 'lamp-1'), json({ ...register, endpoint: 'lamp-2' }));
    expect(other.kind === 'refused' && other.reason).toMatch(/endpoint lamp-2 but its topic names lamp-1/);
    expect(read(topics.bridgeStatus('b1'), json({ bridgeId: 'b2', status: 'online' }))).toMatchObject({ kind: 'refused', stage: 'validate' });
    expect(read(topics.bridgeStatus('b1'), json({ bridgeId: 'b1', status: 'sleeping' }))).toMatchObject({ kind: 'refused', stage: 'validate' });
  });
});

describe('reading a bridge auth-failed message', () => {
  const report = {
    thingName: 'lamp-1',
    identity: 'lamp-1',
    reason: 'bad-psk',
    transport: 'coaps',
    remote: { address: '192.0.2.7', port: 40001 },
    attempts: 3,
    firstAttemptAt: at,
    lastAttemptAt: '2026-11-24T12:00:40.000Z',
  };

  it('reads the report of refused peers, which names no device in its topic', () => {
    expect(read(topics.bridgeAuthFailed('b1'), json(report))).toEqual({ kind: 'auth-failed', bridgeId: 'b1', body: report });
    const stranger = { identity: 'stranger\\x00', reason: 'unknown-identity', transport: 'coaps', remote: report.remote, attempts: 1, firstAttemptAt: at, lastAttemptAt: at };
    expect(read(topics.bridgeAuthFailed('b1'), json(stranger))).toEqual({ kind: 'auth-failed', bridgeId: 'b1', body: stranger });
  });

  it.each([
    ['no attempts', { attempts: 0 }, /attempts/],
    ['an unknown reason', { reason: 'bored' }, /reason/],
    ['an identity that is not printable', { identity: 'lamp 1' }, /identity: printable ASCII/],
    ['a thing name that is none', { thingName: 'lamp/1' }, /thingName/],
    ['key material it must never carry', { psk: '00ff' }, /psk/],
    ['a last attempt before the first', { lastAttemptAt: '2026-11-24T11:59:00.000Z' }, /firstAttemptAt .* is after its lastAttemptAt/],
  ])('refuses at the validate stage %s', (_label, change, reason) => {
    const refused = read(topics.bridgeAuthFailed('b1'), json({ ...report, ...change }));
    expect(refused).toMatchObject({ kind: 'refused', stage: 'validate', bridgeId: 'b1', thingName: undefined });
    expect(refused.kind === 'refused' && refused.reason).toMatch(reason);
  });

  it('refuses another bridge\'s auth-failed topic and bytes that are not JSON', () => {
    expect(read(topics.bridgeAuthFailed('b2'), json(report))).toMatchObject({ kind: 'refused', stage: 'topic', bridgeId: 'b1' });
    expect(read(topics.bridgeAuthFailed('b1'), Buffer.from('attempts=3'))).toMatchObject({ kind: 'refused', stage: 'decode' });
  });
});

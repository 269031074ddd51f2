import { describe, expect, it } from 'vitest';
import { BridgeConfigError, bridgeOptionsFromEnv, bridgeSettingsFromEnv } from '../../functions/bridge/bridgeEnv.ts';
import { credentialValues } from '../../functions/bridge/bootstrapWriter.ts';
import { toPathValue, toResourceValues } from '../../functions/bridge/commandValues.ts';
import { contentFormatFor } from '../../functions/bridge/contentFormat.ts';
import { failureOf, InvalidCommand } from '../../functions/bridge/failureCode.ts';
import { HeldWork } from '../../functions/bridge/heldWork.ts';
import { readCommand, readDelivery, routeInbound } from '../../functions/bridge/inboundMessage.ts';
import { RecentIds } from '../../functions/bridge/recentIds.ts';
import { formatObjectLinks, NO_EXPIRY_LIFETIME_SECONDS, registerMessage, updateMessage } from '../../functions/bridge/registrationMessages.ts';
import { toSenmlCbor } from '../../functions/bridge/senmlRelay.ts';
import { credentialsNeed } from '../../functions/bootstrap/bootstrapTrigger.ts';
import { Lwm2mError, Lwm2mResponseError, Lwm2mTimeoutError } from '../../functions/lwm2m/errors.ts';
import { interpretLinks } from '../../functions/lwm2m/registrationObjects.ts';
import { parseLinkFormat } from '../../functions/lwm2m/linkFormat.ts';
import type { Registration } from '../../functions/lwm2m/registrations.ts';
import { manualScheduler } from '../../functions/lwm2m/scheduler.ts';
import { BridgeRegister, BridgeUpdate } from '../../schemas/bridge/bridgeEvents.ts';
import { CodecError, encodePayload } from '../../schemas/lwm2m/index.ts';
import { decodeSenmlCbor, resolve } from '../../schemas/senml/index.ts';

const links = (text: string) => {
  const parsed = parseLinkFormat(Buffer.from(text));
  if (!parsed.ok) throw new Error(parsed.reason);
  const read = interpretLinks(parsed.links);
  if (!read.ok) throw new Error(read.reason);
  return read.value;
};

const registration = (overrides: Partial<Registration> = {}): Registration => ({
  id: 'AAAAAAAAAAAAAAAAAAAAAA',
  endpoint: 'lamp-1',
  lifetimeSeconds: 300,
  lwm2mVersion: '1.1',
  binding: 'U',
  queueMode: false,
  objectLinks: links('</>;rt="oma.lwm2m";ct="110 112",</1/0>,</3/0>,</3303>;ver=1.1,</3303/0>,</3303/1>,</18830>'),
  address: { address: '127.0.0.1', port: 5000 },
  registeredAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  ...overrides,
});

describe('registration messages', () => {
  it('writes the object links back so the server and the backend read the same objects', () => {
    const text = formatObjectLinks(registration().objectLinks);
    expect(text).toBe('</>;rt="oma.lwm2m";ct="110 112",</1/0>,</3/0>,</3303>;ver=1.1,</3303/0>,</3303/1>,</18830>');
    expect(links(text)).toEqual(registration().objectLinks);
    expect(credentialsNeed(text)).toBe('needs-credentials');
    // An alternate root path stays in front of every object.
    expect(formatObjectLinks(links('</lwm2m>;rt="oma.lwm2m",</lwm2m/3/0>'))).toBe('</lwm2m>;rt="oma.lwm2m",</lwm2m/3/0>');
  });

  it('builds a register that fits the contract, with lt=0 as the longest lifetime and coaps only for a proven endpoint name', () => {
    expect(BridgeRegister.parse(registerMessage(registration()))).toMatchObject({ location: '/rd/AAAAAAAAAAAAAAAAAAAAAA', transport: 'coap', lifetimeSeconds: 300 });
    expect(registerMessage(registration({ lifetimeSeconds: 0 })).lifetimeSeconds).toBe(NO_EXPIRY_LIFETIME_SECONDS);
    expect(registerMessage(registration({ identity: 'lamp-1' })).transport).toBe('coaps');
    // A DTLS session under another identity proves nothing about the endpoint name it claims.
    expect(registerMessage(registration({ identity: 'lamp-2' })).transport).toBe('coap');
    expect(registerMessage(registration({ binding: 'UQSSSSSSS' })).bindingMode).toBeUndefined();
  });

  it('sends the object links in an update only when they changed', () => {
    const before = registration();
    expect(BridgeUpdate.parse(updateMessage(registration({ lifetimeSeconds: 600 }), before))).toEqual({ endpoint: 'lamp-1', lifetimeSeconds: 600, bindingMode: 'U', updatedAt: before.updatedAt });
    const moved = updateMessage(registration({ objectLinks: links('</3/0>') }), before);
    expect(moved.objectLinks).toBe('</3/0>');
    expect(updateMessage(before, undefined, '2026-02-02T00:00:00.000Z')).toMatchObject({ objectLinks: expect.any(String) as string, updatedAt: '2026-02-02T00:00:00.000Z' });
  });
});

describe('content format per device', () => {
  it('is SenML CBOR for 1.1+, TLV for 1.0, and respects what the device announced', () => {
    expect(contentFormatFor(registration({ objectLinks: links('</3/0>') }))).toBe(112);
    expect(contentFormatFor(registration({ lwm2mVersion: '1.0', objectLinks: links('</3/0>') }))).toBe(11542);
    expect(contentFormatFor(registration({ lwm2mVersion: '1.2', objectLinks: links('</>;rt="oma.lwm2m";ct="110 11544",</3/0>') }))).toBe(110);
    expect(contentFormatFor(registration({ objectLinks: links('</>;rt="oma.lwm2m";ct="11542",</3/0>') }))).toBe(11542);
  });
});

describe('command values', () => {
  it('types values by the object model, and by their JSON kind for unknown resources', () => {
    expect(
      toResourceValues('/3/0', [
        { path: '/3/0/13', value: { kind: 'time', v: 1_700_000_000 } },
        { path: '/3/0/14', value: { kind: 'string', v: '+01' } },
      ]),
    ).toEqual([
      { path: '/3/0/13', type: 'Time', value: 1_700_000_000 },
      { path: '/3/0/14', type: 'String', value: '+01' },
    ]);
    expect(toResourceValues('/3303/0/5700', [{ path: '/3303/0/5700', value: { kind: 'number', v: 3 } }])[0]?.type).toBe('Float');
    expect(toResourceValues('/9999/0', [{ path: '/9999/0/1', value: { kind: 'number', v: 3 } }, { path: '/9999/0/2', value: { kind: 'data', v: 'AQI' } }])).toEqual([
      { path: '/9999/0/1', type: 'Integer', value: 3 },
      { path: '/9999/0/2', type: 'Opaque', value: new Uint8Array([1, 2]) },
    ]);
  });

  it('refuses values outside the path, of the wrong kind, or that do not fit the type', () => {
    expect(() => toResourceValues('/3/0/13', [{ path: '/3/0/14', value: { kind: 'string', v: 'x' } }])).toThrow(/outside the command's path/);
    expect(() => toResourceValues('/3/0', [{ path: '/3/0/13', value: { kind: 'string', v: 'today' } }])).toThrow(InvalidCommand);
    expect(() => toResourceValues('/3/0', [{ path: '/3/0/13', value: { kind: 'number', v: 1.5 } }])).toThrow(/whole number/);
    expect(() => toResourceValues('/3/0', [{ path: '/3/0', value: { kind: 'number', v: 1 } }])).toThrow(/resource or resource instance/);
  });

  it('turns what a device returned into typed JSON, keeping 64-bit integers exact', () => {
    expect(toPathValue({ path: '/3/0/9', type: 'Integer', value: 87 })).toEqual({ path: '/3/0/9', value: { kind: 'number', v: 87 } });
    expect(toPathValue({ path: '/3/0/9', type: 'Integer', value: 2n ** 62n })).toEqual({ path: '/3/0/9', value: { kind: 'string', v: '4611686018427387904' } });
    expect(toPathValue({ path: '/3/0/13', type: 'Time', value: 5 })).toEqual({ path: '/3/0/13', value: { kind: 'time', v: 5 } });
    expect(toPathValue({ path: '/1/0/7', type: 'Opaque', value: new Uint8Array([251, 255]) })).toEqual({ path: '/1/0/7', value: { kind: 'data', v: '-_8' } });
    expect(toPathValue({ path: '/3/0/x', type: 'Objlnk', value: { objectId: 3, instanceId: 0 } }).value).toEqual({ kind: 'objlnk', v: '3:0' });
  });
});

describe('failure codes', () => {
  it("carries the device's code, else the kind of failure, never a success code", () => {
    expect(failureOf(new Lwm2mResponseError(0x84, 'lamp-1', 'read', '/3/0/1', undefined)).lwm2mCode).toBe('4.04');
    expect(failureOf(new Lwm2mTimeoutError('no-ack', 93_000, 'no ACK')).lwm2mCode).toBe('timeout');
    expect(failureOf(new Lwm2mError('device-gone', 'gone')).lwm2mCode).toBe('device-gone');
    expect(failureOf(new CodecError('invalid-value', 'bad')).lwm2mCode).toBe('invalid-request');
    expect(failureOf(new Error('boom'))).toMatchObject({ lwm2mCode: 'internal', message: expect.stringMatching(/boom/) as string });
  });
});

describe('inbound messages', () => {
  const command = { commandId: 'c-1', operation: 'read', path: '/3/0', requestedAt: '2026-01-01T00:00:00Z', expiresAt: '2026-01-01T00:01:00Z' };

  it('routes commands for any device and deliveries only for this bridge', () => {
    expect(routeInbound('cmd/lwm2m/lamp-1/req/c-1', 'b1')).toEqual({ kind: 'command', thingName: 'lamp-1', commandId: 'c-1' });
    expect(routeInbound('cmd/lwm2m-bridge/b1/bootstrap/lamp-1', 'b1')).toEqual({ kind: 'bootstrap', thingName: 'lamp-1' });
    expect(routeInbound('cmd/lwm2m-bridge/b2/bootstrap/lamp-1', 'b1')).toMatchObject({ kind: 'malformed', malformed: 'topic' });
    expect(routeInbound('dt/lwm2m/lamp-1/state', 'b1')).toMatchObject({ kind: 'malformed', malformed: 'topic' });
  });

  it('reads a command, naming what is wrong with a bad one', () => {
    expect(readCommand(Buffer.from(JSON.stringify(command)), 'c-1')).toEqual({ ok: true, value: command });
    expect(readCommand(Buffer.from('{'), 'c-1')).toMatchObject({ ok: false, malformed: 'json' });
    expect(readCommand(Buffer.from(JSON.stringify({ ...command, operation: 'write' })), 'c-1')).toMatchObject({ ok: false, malformed: 'schema', reason: expect.stringMatching(/values/) as string });
    expect(readCommand(Buffer.from(JSON.stringify(command)), 'c-2')).toMatchObject({ ok: false, malformed: 'mismatch' });
    expect(readCommand(Buffer.alloc(300 * 1024, 0x20), 'c-1')).toMatchObject({ ok: false, malformed: 'too-large' });
  });

  it('never quotes a delivery when refusing it', () => {
    const secret = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----';
    const broken = readDelivery(Buffer.from(`{"privateKeyPem": ${JSON.stringify(secret)}, x`), 'lamp-1');
    const wrong = readDelivery(Buffer.from(JSON.stringify({ endpoint: 'lamp-1', privateKeyPem: secret, certificatePem: 7 })), 'lamp-1');
    for (const read of [broken, wrong]) {
      expect(read.ok).toBe(false);
      if (!read.ok) {
        expect(read.reason).not.toMatch(/PRIVATE|MIGHAgEA/);
      }
    }
  });
});

describe('held work for sleeping devices', () => {
  const job = (log: string[], name: string, expiresAtMs: number) => ({
    expiresAtMs,
    run: () => log.push(`run ${name}`),
    abandon: (reason: string) => log.push(`${reason} ${name}`),
    expired: () => log.push(`expired ${name}`),
  });

  it('follows the server: awake for awakeMs after the device spoke, asleep after', () => {
    const s = manualScheduler(0);
    const held = new HeldWork(s, 1_000, 2);
    expect(held.isAwake('d', false)).toBe(true);
    expect(held.isAwake('d', true)).toBe(false);
    held.heardFrom('d');
    expect(held.isAwake('d', true)).toBe(true);
    s.advance(1_000);
    expect(held.isAwake('d', true)).toBe(false);
  });

  it('runs in order on wake, drops expired work without running it, bounds each device, and abandons on leave', () => {
    const s = manualScheduler(0);
    const held = new HeldWork(s, 1_000, 2);
    const log: string[] = [];
    expect(held.hold('d', job(log, 'a', 10_000))).toBe(true);
    expect(held.hold('d', job(log, 'b', 500))).toBe(true);
    expect(held.hold('d', job(log, 'c', 10_000))).toBe(false);
    s.advance(600);
    expect(log).toEqual(['expired b']);
    expect(held.hold('d', job(log, 'c', 10_000))).toBe(true);
    held.heardFrom('d');
    expect(log).toEqual(['expired b', 'run a', 'run c']);
    expect(held.size).toBe(0);
    held.hold('e', job(log, 'x', 10_000));
    held.forget('e');
    held.hold('f', job(log, 'y', 10_000));
    held.close();
    expect(log.slice(3)).toEqual(['device-gone x', 'closed y']);
    s.advance(20_000);
    expect(log).toHaveLength(5);
  });
});

describe('recent command ids', () => {
  it('tells a repeat from a new id and forgets the oldest beyond its capacity', () => {
    const recent = new RecentIds(2);
    expect([recent.add('a'), recent.add('a'), recent.add('b'), recent.add('c'), recent.add('a')]).toEqual([true, false, true, true, true]);
  });
});

describe('device data as SenML CBOR', () => {
  it('converts TLV, text and SenML JSON to SenML CBOR named by path, stamped with the receive time', () => {
    const receivedAt = '2026-01-01T00:00:10.000Z';
    const read = (bytes: Uint8Array) => resolve(decodeSenmlCbor(bytes, { profile: 'lwm2m' }), 0, { profile: 'lwm2m' }).map((r) => [r.name, r.value, r.time]);
    const t = Date.parse(receivedAt) / 1000;
    expect(read(toSenmlCbor({ contentFormat: 0, bytes: Buffer.from('21.5') }, '/3303/0/5700', receivedAt))).toEqual([['/3303/0/5700', { kind: 'number', v: 21.5 }, t]]);
    const tlv = encodePayload(11542, [{ path: '/3/0/0', type: 'String', value: 'Acme' }, { path: '/3/0/9', type: 'Integer', value: 80 }], { path: '/3/0' });
    expect(read(toSenmlCbor({ contentFormat: 11542, bytes: tlv }, '/3/0', receivedAt))).toEqual([
      ['/3/0/0', { kind: 'string', v: 'Acme' }, t],
      ['/3/0/9', { kind: 'number', v: 80 }, t],
    ]);
    const timed = encodePayload(110, [{ path: '/3303/0/5700', type: 'Float', value: 1, time: 1_700_000_000 }]);
    expect(read(toSenmlCbor({ contentFormat: 110, bytes: timed }, '/', receivedAt))).toEqual([['/3303/0/5700', { kind: 'number', v: 1 }, 1_700_000_000]]);
    expect(() => toSenmlCbor({ contentFormat: 11542, bytes: Buffer.from([0xff]) }, '/3/0', receivedAt)).toThrow(CodecError);
  });
});

describe('credential values', () => {
  it('puts the delivery into the MQTT Broker object resources, with the mandatory ones only on create', () => {
    const delivery = { endpoint: 'l', requestId: 'r', brokerUri: 'mqtts://b:8883', clientId: 'l', securityMode: 'certificate' as const, certificatePem: 'C', privateKeyPem: 'K', trustAnchorPem: 'T', expiresAt: '2026-01-01T00:00:00Z' };
    expect(credentialValues(delivery, undefined).map((v) => v.path)).toEqual(['/18830/0/0', '/18830/0/1', '/18830/0/6', '/18830/0/7', '/18830/0/8', '/18830/0/9']);
    expect(credentialValues(delivery, { cleanSession: false, keepAliveSeconds: 30 }).filter((v) => v.path === '/18830/0/2' || v.path === '/18830/0/3').map((v) => v.value)).toEqual([false, 30]);
  });
});

describe('standalone configuration', () => {
  const pemOf = (label: string) => `-----BEGIN ${label}-----\nAAAA\n-----END ${label}-----\n`;
  const files: Record<string, string> = { '/run/ca.pem': pemOf('CERTIFICATE'), '/run/key.pem': pemOf('PRIVATE KEY') };
  const readFile = (path: string) => {
    const text = files[path];
    if (text === undefined) throw new Error('ENOENT');
    return text;
  };
  const env = { FLEET_BRIDGE_ID: 'edge-1', FLEET_BRIDGE_MQTT_URL: 'mqtts://iot.example:8883', FLEET_BRIDGE_CA_FILE: '/run/ca.pem', FLEET_BRIDGE_CERT_PEM: pemOf('CERTIFICATE'), FLEET_BRIDGE_KEY_FILE: '/run/key.pem' };

  it('reads the bridge id, broker, PEMs (inline or from files) and the LwM2M listener', () => {
    const options = bridgeOptionsFromEnv({ ...env, FLEET_LWM2M_HOST: '0.0.0.0', FLEET_BRIDGE_PUBLIC_ENDPOINTS: 'coap://a:5683,coaps://a:5684' }, readFile);
    expect(options).toMatchObject({ bridgeId: 'edge-1', mqtt: { url: 'mqtts://iot.example:8883', key: files['/run/key.pem'] }, lwm2m: { host: '0.0.0.0', port: 5683 }, lwm2mEndpoints: ['coap://a:5683', 'coaps://a:5684'] });
    expect(bridgeOptionsFromEnv(env, readFile).lwm2m).toEqual({ host: '127.0.0.1', port: 5683 });
  });

  it('names the variable that is wrong, and never quotes a key', () => {
    expect(() => bridgeOptionsFromEnv({ ...env, FLEET_BRIDGE_ID: 'Edge_1' }, readFile)).toThrow(/FLEET_BRIDGE_ID/);
    expect(() => bridgeOptionsFromEnv({ ...env, FLEET_BRIDGE_MQTT_URL: 'mqtt://x:1883' }, readFile)).toThrow(/FLEET_BRIDGE_MQTT_URL/);
    expect(() => bridgeOptionsFromEnv({ ...env, FLEET_BRIDGE_KEY_PEM: pemOf('PRIVATE KEY') }, readFile)).toThrow(/exactly one of FLEET_BRIDGE_KEY_PEM/);
    expect(() => bridgeOptionsFromEnv({ ...env, FLEET_BRIDGE_KEY_FILE: '/nowhere' }, readFile)).toThrow(BridgeConfigError);
    let message = '';
    try {
      bridgeOptionsFromEnv({ ...env, FLEET_BRIDGE_KEY_FILE: undefined, FLEET_BRIDGE_KEY_PEM: 'secret-material-not-pem' }, readFile);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/FLEET_BRIDGE_KEY_PEM does not hold a PEM block/);
    expect(message).not.toContain('secret-material');
  });

  it('on Fargate: claims from a pool through a lease table, and leaves broker, CA and certificate to AWS', () => {
    const fargate = {
      FLEET_BRIDGE_ID_POOL: 'aws-1,aws-2',
      FLEET_BRIDGE_LEASE_TABLE: 'Fleet-BridgeLeases-1',
      CREDENTIALS_BUCKET: 'fleet-credentials',
      DIRECTORY_TABLE: 'Fleet-Directory-1',
      FLEET_LWM2M_HOST: '0.0.0.0',
      FLEET_BRIDGE_HEALTH_PORT: '8080',
    };
    expect(bridgeSettingsFromEnv(fargate, readFile)).toEqual({
      identity: { pool: ['aws-1', 'aws-2'], leaseTable: 'Fleet-BridgeLeases-1' },
      mqtt: { port: 8883 },
      lwm2m: { host: '0.0.0.0', port: 5683 },
      health: { host: '0.0.0.0', port: 8080 },
      credentialsBucket: 'fleet-credentials',
      directoryTable: 'Fleet-Directory-1',
    });
    // Without AWS, the same settings cannot make a bridge: it says what is missing.
    expect(() => bridgeOptionsFromEnv(fargate, readFile)).toThrow('A bridge configured without AWS needs FLEET_BRIDGE_ID, FLEET_BRIDGE_MQTT_URL, FLEET_BRIDGE_CA_PEM/_FILE, FLEET_BRIDGE_CERT_PEM/_FILE, FLEET_BRIDGE_KEY_PEM/_FILE.');
  });

  it('refuses an identity it cannot settle: both or neither of id and pool, a pool without a table, a bad pool id, half a certificate, no certificate source', () => {
    const aws = { CREDENTIALS_BUCKET: 'fleet-credentials' };
    expect(() => bridgeSettingsFromEnv({ ...aws, FLEET_BRIDGE_ID: 'a', FLEET_BRIDGE_ID_POOL: 'b', FLEET_BRIDGE_LEASE_TABLE: 'tbl' }, readFile)).toThrow(/not both/);
    expect(() => bridgeSettingsFromEnv(aws, readFile)).toThrow(/FLEET_BRIDGE_ID: set it, or FLEET_BRIDGE_ID_POOL and FLEET_BRIDGE_LEASE_TABLE/);
    expect(() => bridgeSettingsFromEnv({ ...aws, FLEET_BRIDGE_ID_POOL: 'aws-1' }, readFile)).toThrow(/needs FLEET_BRIDGE_LEASE_TABLE/);
    expect(() => bridgeSettingsFromEnv({ ...aws, FLEET_BRIDGE_ID_POOL: 'aws-1,AWS_2', FLEET_BRIDGE_LEASE_TABLE: 'tbl' }, readFile)).toThrow(/FLEET_BRIDGE_ID_POOL\.1: use 1-63 lowercase/);
    expect(() => bridgeSettingsFromEnv({ ...aws, FLEET_BRIDGE_ID: 'a', FLEET_BRIDGE_CERT_PEM: pemOf('CERTIFICATE') }, readFile)).toThrow(/FLEET_BRIDGE_KEY_PEM .* or neither certificate nor key/);
    expect(() => bridgeSettingsFromEnv({ FLEET_BRIDGE_ID: 'a' }, readFile)).toThrow(/or CREDENTIALS_BUCKET to read them from bridges\/<id>\/mqtt.json/);
    expect(() => bridgeSettingsFromEnv({ ...aws, FLEET_BRIDGE_ID: 'a', FLEET_BRIDGE_HEALTH_PORT: '80800' }, readFile)).toThrow(/FLEET_BRIDGE_HEALTH_PORT/);
  });
});

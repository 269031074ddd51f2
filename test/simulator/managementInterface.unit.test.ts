import { describe, expect, it } from 'vitest';
import { Method, formatCode, type CoapMessage } from '../../functions/lwm2m/coap/message.ts';
import { Option, option, stringOptions, uintOption } from '../../functions/lwm2m/coap/options.ts';
import { manualScheduler } from '../../functions/lwm2m/scheduler.ts';
import { handleManagementRequest, type ManagementContext, type OperationRecord } from '../../functions/simulator/managementInterface.ts';
import { AttributeStore } from '../../functions/simulator/notificationAttributes.ts';
import { ObjectTree } from '../../functions/simulator/objectTree.ts';
import { Observations } from '../../functions/simulator/observations.ts';
import { deviceBehaviour, deviceInstance } from '../../functions/simulator/objects/device.ts';
import { mqttBrokerBehaviour } from '../../functions/simulator/objects/mqttBroker.ts';
import { securityBehaviour, securityInstance } from '../../functions/simulator/objects/security.ts';
import { temperatureBehaviour, temperatureInstance } from '../../functions/simulator/objects/temperature.ts';
import { registrationLinks } from '../../functions/simulator/registrationLinks.ts';
import { decodePayload, encodePayload, type Lwm2mVersion, type ResourceValue } from '../../schemas/lwm2m/index.ts';

const AT = Date.parse('2026-01-01T00:00:00.000Z') / 1000;

/** The management interface over a real object tree, with every broker change recorded. */
const device = (version: Lwm2mVersion = '1.1') => {
  const clock = manualScheduler();
  const brokerChanges: string[] = [];
  const records: OperationRecord[] = [];
  const attributes = new AttributeStore();
  const observations = new Observations({ scheduler: clock, attributes: () => ({}), numericValue: () => undefined, send: () => Promise.resolve('keep') });
  const tree = new ObjectTree((paths) => observations.changed(paths));
  tree.add(securityBehaviour());
  tree.add(deviceBehaviour({ nowSeconds: () => AT, setClock: () => undefined, reboot: () => undefined, factoryReset: () => undefined }));
  tree.add(temperatureBehaviour(() => undefined));
  tree.add(mqttBrokerBehaviour((instanceId, change) => brokerChanges.push(`${change} ${instanceId}`)));
  tree.createInstance(0, 0, securityInstance('coap://127.0.0.1:5683', 1));
  tree.createInstance(3, 0, deviceInstance({ manufacturer: 'M', model: 'X', serial: 'S', firmware: '1', hardware: 'h' }, 'U'));
  tree.createInstance(3303, 0, temperatureInstance(21, AT));
  let sequence = 0;
  const ctx: ManagementContext = { tree, version, attributes, observations, nowSeconds: () => AT, nextSequence: () => ++sequence, onOperation: (r) => records.push(r) };
  let messageId = 0;
  const request = (code: number, path: string, extra: { accept?: number; contentFormat?: number; payload?: Uint8Array; query?: string[]; observe?: number; token?: Buffer } = {}) => {
    const message: CoapMessage = {
      type: 'CON',
      code,
      messageId: ++messageId,
      token: extra.token ?? Buffer.from([messageId]),
      options: [
        ...path.split('/').filter(Boolean).map((s) => option(Option.URI_PATH, s)),
        ...(extra.observe !== undefined ? [option(Option.OBSERVE, extra.observe)] : []),
        ...(extra.contentFormat !== undefined ? [option(Option.CONTENT_FORMAT, extra.contentFormat)] : []),
        ...(extra.query ?? []).map((q) => option(Option.URI_QUERY, q)),
        ...(extra.accept !== undefined ? [option(Option.ACCEPT, extra.accept)] : []),
      ],
      payload: Buffer.from(extra.payload ?? []),
    };
    const response = handleManagementRequest(ctx, { message, payload: message.payload });
    response.after?.();
    return { ...response, code: formatCode(response.code), text: Buffer.from(response.payload ?? []).toString('utf8') };
  };
  return { tree, ctx, request, brokerChanges, records, observations };
};

const tlv = (values: ResourceValue[], path: string) => encodePayload(11542, values, { path });
const broker: ResourceValue[] = [
  { path: '/18830/0/0', type: 'String', value: 'mqtts://broker:8883' },
  { path: '/18830/0/1', type: 'String', value: 'meter-1' },
  { path: '/18830/0/9', type: 'Opaque', value: new Uint8Array([1, 2, 3]) },
];

describe('the device management interface', () => {
  it('creates 18830/0 by a Write on the missing instance, as a Bootstrap-Write would; the registration then lists it', () => {
    const { request, tree, brokerChanges } = device();
    expect(registrationLinks(tree, '1.1')).toContain('</18830>');
    expect(request(Method.PUT, '/18830/0', { contentFormat: 11542, payload: tlv(broker, '/18830/0') }).code).toBe('2.04');
    expect(brokerChanges).toEqual(['created 0', 'written 0']);
    expect(registrationLinks(tree, '1.1')).toContain('</18830/0>');
    expect(registrationLinks(tree, '1.1')).not.toContain('</18830>,');
    // The defaults fill the mandatory resources the write left out; the key is never read back.
    const read = request(Method.GET, '/18830/0', { accept: 112 });
    const values = decodePayload(112, read.payload!, '/18830/0');
    expect(values.map((v) => v.path)).toEqual(['/18830/0/0', '/18830/0/1', '/18830/0/2', '/18830/0/3', '/18830/0/6']);
    expect(request(Method.GET, '/18830/0/9').code).toBe('4.05');
  });

  it('creates a missing instance by a Write to one of its resources too, and not by a Write that fails', () => {
    const { request, tree } = device();
    expect(request(Method.PUT, '/18830/0/0', { contentFormat: 0, payload: Buffer.from('mqtts://b:1') }).code).toBe('2.04');
    expect(tree.instanceIds(18830)).toEqual([0]);
    expect(request(Method.PUT, '/18830/1', { contentFormat: 11542, payload: Buffer.from([0xff]) }).code).toBe('4.00');
    expect(request(Method.PUT, '/18830/2/77', { contentFormat: 0, payload: Buffer.from('x') }).code).toBe('4.04');
    expect(tree.instanceIds(18830)).toEqual([0]);
  });

  it('creates with POST /18830, with or without the instance id in the body', () => {
    const { request, tree } = device();
    const named = request(Method.POST, '/18830', { contentFormat: 112, payload: encodePayload(112, broker.map((v) => ({ ...v, path: v.path.replace('/0/', '/4/') }))) });
    expect(named.code).toBe('2.01');
    expect(named.options?.filter((o) => o.number === Option.LOCATION_PATH).map((o) => o.value.toString())).toEqual(['18830', '4']);
    const bare = request(Method.POST, '/18830', { contentFormat: 11542, payload: tlv(broker, '/18830/0') });
    expect(bare.code).toBe('2.01');
    expect(stringOptions({ options: bare.options ?? [] }, Option.LOCATION_PATH)).toEqual(['18830', '0']);
    expect(tree.instanceIds(18830)).toEqual([0, 4]);
    expect(request(Method.POST, '/18830', { contentFormat: 11542, payload: tlv(broker, '/18830') }).code).toBe('4.00');
    expect(request(Method.POST, '/3', { contentFormat: 11542, payload: tlv(broker, '/18830') }).code).toBe('4.05');
  });

  it('answers reads in the format asked for, and refuses formats the version does not have', () => {
    const { request } = device('1.0');
    const plain = request(Method.GET, '/3/0/0');
    expect(plain.code).toBe('2.05');
    expect(uintOption({ options: plain.options ?? [] }, Option.CONTENT_FORMAT)).toBe(0);
    const whole = request(Method.GET, '/3/0');
    expect(uintOption({ options: whole.options ?? [] }, Option.CONTENT_FORMAT)).toBe(11542);
    expect(request(Method.GET, '/3/0', { accept: 112 }).code).toBe('4.06');
    expect(request(Method.GET, '/3/0/0', { accept: 42 }).code).toBe('4.06');
    expect(request(Method.PUT, '/3/0/14', { contentFormat: 112, payload: new Uint8Array([0x80]) }).code).toBe('4.15');
  });

  it('refuses what the device does not have or allow, and records each answer', () => {
    const { request, records } = device();
    expect(request(Method.GET, '/0/0/0').code).toBe('4.01');
    expect(request(Method.GET, '/rd/abc').code).toBe('4.04');
    expect(request(Method.GET, '/3/0/99').code).toBe('4.04');
    expect(request(Method.GET, '/3/0/0/1').code).toBe('4.04');
    expect(request(Method.GET, '/3/0/11/7').code).toBe('4.04');
    expect(request(Method.DELETE, '/3/0').code).toBe('4.05');
    expect(request(Method.DELETE, '/3303/0/5700').code).toBe('4.05');
    expect(request(Method.PUT, '/3', { contentFormat: 0, payload: Buffer.from('x') }).code).toBe('4.05');
    expect(request(Method.POST, '/3/0/13', { contentFormat: 0, payload: Buffer.from('1') }).code).toBe('4.05');
    expect(request(Method.FETCH, '/3/0').code).toBe('4.05');
    expect(request(Method.PUT, '/3/0/9', { contentFormat: 0, payload: Buffer.from('101') }).code).toBe('4.05');
    expect(records.map((r) => `${r.operation} ${r.path} ${r.code}`)).toEqual([
      'read /0/0/0 4.01',
      'unknown /rd/abc 4.04',
      'read /3/0/99 4.04',
      'read /3/0/0/1 4.04',
      'read /3/0/11/7 4.04',
      'delete /3/0 4.05',
      'delete /3303/0/5700 4.05',
      'write /3 4.05',
      'write /3/0/13 4.05',
      'unknown /3/0 4.05',
      'write /3/0/9 4.05',
    ]);
  });

  it('discovers an object with its instances and resources', () => {
    const { request } = device();
    const links = request(Method.GET, '/3303', { accept: 40 }).text.split(',');
    expect(links.slice(0, 3)).toEqual(['</3303>', '</3303/0>', '</3303/0/5518>']);
    expect(links).toContain('</3303/0/5605>');
  });

  it('observes with a sequence number and cancels with Observe=1 on the same token', () => {
    const { request, observations } = device();
    const token = Buffer.from('cafe', 'hex');
    const observed = request(Method.GET, '/3303/0/5700', { observe: 0, token });
    expect(uintOption({ options: observed.options ?? [] }, Option.OBSERVE)).toBe(1);
    expect(observations.size).toBe(1);
    request(Method.GET, '/3303/0/5700', { observe: 1, token: Buffer.from('beef', 'hex') });
    expect(observations.size).toBe(1);
    const cancelled = request(Method.GET, '/3303/0/5700', { observe: 1, token });
    expect(cancelled.code).toBe('2.05');
    expect(uintOption({ options: cancelled.options ?? [] }, Option.OBSERVE)).toBeUndefined();
    expect(observations.size).toBe(0);
    expect(request(Method.GET, '/3/0/4', { observe: 0 }).code).toBe('4.05');
    expect(observations.size).toBe(0);
  });

  it('takes Write-Attributes on a PUT with only a query', () => {
    const { request, ctx } = device();
    expect(request(Method.PUT, '/3303/0/5700', { query: ['pmin=5', 'gt=30'] }).code).toBe('2.04');
    expect(ctx.attributes.at([3303, 0, 5700])).toEqual({ pmin: 5, gt: 30 });
    expect(request(Method.PUT, '/3303/0/5701', { query: ['gt=30'] }).code).toBe('4.00');
    expect(request(Method.PUT, '/3303/9', { query: ['pmin=5'] }).code).toBe('4.04');
  });
});

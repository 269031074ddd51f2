import { describe, expect, it } from 'vitest';
import { BootstrapDelivery, BridgeRegister, CommandRequestMessage, CommandResponseMessage, BRIDGE_EVENT_SCHEMAS } from '../../schemas/bridge/index.ts';
import { BRIDGE_EVENTS } from '../../schemas/topics/topics.ts';

const at = '2026-11-24T12:00:00.000Z';

describe('bridge messages', () => {
  it('accepts a registration as a bridge sends it and refuses an endpoint that is not a thing name', () => {
    const ok = { endpoint: 'lamp-1', lwm2mVersion: '1.1', lifetimeSeconds: 300, bindingMode: 'U', queueMode: false, objectLinks: '</>;rt="oma.lwm2m",</3/0>', location: '/rd/abc', registeredAt: at, transport: 'coap' };
    expect(BridgeRegister.parse(ok)).toEqual(ok);
    const bad = BridgeRegister.safeParse({ ...ok, endpoint: 'lamp/1' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['endpoint']);
    expect(BridgeRegister.safeParse({ ...ok, extra: 1 }).success).toBe(false);
  });

  it('has a JSON schema for every bridge event except the SenML ones', () => {
    const json = BRIDGE_EVENTS.filter((e) => e !== 'notify' && e !== 'send');
    expect(Object.keys(BRIDGE_EVENT_SCHEMAS).sort()).toEqual([...json].sort());
  });

  it('requires values for a write and attributes for write-attributes, naming the field', () => {
    const base = { commandId: 'c-1', path: '/3/0/13', requestedAt: at, expiresAt: at };
    expect(CommandRequestMessage.safeParse({ ...base, operation: 'read' }).success).toBe(true);
    const write = CommandRequestMessage.safeParse({ ...base, operation: 'write' });
    expect(write.error?.issues.map((i) => i.path)).toEqual([['values']]);
    expect(CommandRequestMessage.safeParse({ ...base, operation: 'write', values: [{ path: '/3/0/13', value: { kind: 'time', v: 1767225600 } }] }).success).toBe(true);
    expect(CommandRequestMessage.safeParse({ ...base, operation: 'write-attributes' }).error?.issues[0]?.path).toEqual(['attributes']);
    expect(CommandRequestMessage.safeParse({ ...base, operation: 'read', path: '/3/x' }).success).toBe(false);
  });

  it('reads a command response with values and refuses an unknown status', () => {
    const r = { commandId: 'c-1', bridgeId: 'b1', status: 'succeeded', lwm2mCode: '2.05', values: [{ path: '/3/0/0', value: { kind: 'string', v: 'Acme' } }], at };
    expect(CommandResponseMessage.parse(r)).toEqual(r);
    expect(CommandResponseMessage.safeParse({ ...r, status: 'done' }).success).toBe(false);
  });

  it('takes only certificate-mode deliveries', () => {
    const d = { endpoint: 'lamp-1', requestId: 'r1', brokerUri: 'mqtts://localhost:8883', clientId: 'lamp-1', securityMode: 'certificate', certificatePem: 'c', privateKeyPem: 'k', trustAnchorPem: 't', expiresAt: at };
    expect(BootstrapDelivery.parse(d)).toEqual(d);
    expect(BootstrapDelivery.safeParse({ ...d, securityMode: 'psk' }).success).toBe(false);
  });
});

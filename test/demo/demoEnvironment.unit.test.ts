import { describe, expect, it } from 'vitest';
import { demoEnvironment, isLoopbackHost } from '../../functions/demo/demoEnvironment.ts';

describe('the demo environment', () => {
  it('turns plain CoAP and plain-CoAP bootstrap on, whatever was set, and keeps the rest', () => {
    const result = demoEnvironment({ FLEET_DATA_DIR: '/tmp/x', FLEET_LWM2M_PLAIN_COAP: 'false', FLEET_BOOTSTRAP_OVER_PLAIN_COAP: 'false' });
    expect(result).toEqual({
      ok: true,
      env: { FLEET_DATA_DIR: '/tmp/x', FLEET_LOG_LEVEL: 'warn', FLEET_LWM2M_PLAIN_COAP: 'true', FLEET_BOOTSTRAP_OVER_PLAIN_COAP: 'true' },
    });
  });

  it('logs at warn so the log does not drown the narration, unless FLEET_LOG_LEVEL says otherwise', () => {
    expect(demoEnvironment({ FLEET_LOG_LEVEL: 'debug' })).toMatchObject({ ok: true, env: { FLEET_LOG_LEVEL: 'debug' } });
  });

  it('runs on the default LwM2M host, which is loopback', () => {
    expect(demoEnvironment({}).ok).toBe(true);
  });

  it.each(['127.0.0.1', '127.1.2.3', '::1', '0:0:0:0:0:0:0:1', 'localhost'])('accepts the loopback host %s', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
    expect(demoEnvironment({ FLEET_LWM2M_HOST: host }).ok).toBe(true);
  });

  it.each(['0.0.0.0', '::', '192.168.1.10', '10.0.0.1', 'example.org', '128.0.0.1'])('refuses %s: plain CoAP would let anyone there claim a device', (host) => {
    const result = demoEnvironment({ FLEET_LWM2M_HOST: host });
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.message).toContain(`FLEET_LWM2M_HOST=${host} is not a loopback address`);
    expect(result.ok ? '' : result.message).toContain('Unset FLEET_LWM2M_HOST');
  });
});

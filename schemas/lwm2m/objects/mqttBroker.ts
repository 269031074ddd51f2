import { res } from './define.ts';
import type { ObjectDefinition } from './types.ts';

/**
 * Object 18830, MQTT Broker 1.0: how bootstrap hands a device its broker and keys. Written by us
 * from the object's description because not every registry copy carries it; ids, names and
 * types follow registry 18830.xml. One deliberate deviation: Password (5) is write-only here
 * (the registry says RW), like the keys, because the server must never read a secret back.
 * Certificates and keys are Opaque: PEM or DER bytes, as the device's TLS stack wants them.
 */
export const MQTT_BROKER: ObjectDefinition = Object.freeze({
  id: 18830,
  name: 'MQTT Broker',
  objectVersion: '1.0',
  lwm2mVersion: '1.1',
  multiple: true,
  mandatory: false,
  source: 'OMA LwM2M registry 18830.xml (object version 1.0), Password made write-only',
  resources: [
    res(0, 'URI', 'String', 'RW', 'single', 'mandatory'),
    res(1, 'Client Identifier', 'String', 'RW', 'single', 'mandatory'),
    res(2, 'Clean Session', 'Boolean', 'RW', 'single', 'mandatory'),
    res(3, 'Keep Alive', 'Unsigned Integer', 'RW', 'single', 'mandatory', { range: { min: 0, max: 65535 }, units: 's' }),
    res(4, 'User Name', 'String', 'RW', 'single', 'optional'),
    res(5, 'Password', 'Opaque', 'W', 'single', 'optional', { length: { min: 0, max: 65535 }, credential: true }),
    // 0 PSK, 1 RPK, 2 certificate (what we provision), 3 NoSec, 4 certificate with EST.
    res(6, 'Security Mode', 'Integer', 'RW', 'single', 'mandatory', { range: { min: 0, max: 4 } }),
    // The device's certificate (client certificate in certificate mode).
    res(7, 'Public Key or Identity', 'Opaque', 'W', 'single', 'optional', { credential: true }),
    // The broker's certificate or the trust anchor that signs it, as Certificate Usage (10) says.
    res(8, 'MQTT Broker Public Key', 'Opaque', 'W', 'single', 'optional', { credential: true }),
    // The device's private key.
    res(9, 'Secret Key', 'Opaque', 'W', 'single', 'optional', { credential: true }),
    res(10, 'Certificate Usage', 'Integer', 'RW', 'single', 'optional', { range: { min: 0, max: 3 } }),
  ],
});

/** Security Mode (resource 6) values. */
export const MQTT_SECURITY_MODE = Object.freeze({ preSharedKey: 0, rawPublicKey: 1, certificate: 2, noSec: 3, certificateWithEst: 4 });

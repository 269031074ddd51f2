import { res } from './define.ts';
import type { ObjectDefinition } from './types.ts';

/**
 * Object 0, LwM2M Security 1.2 (registry 0.xml). No resource has an operation: only the
 * Bootstrap-Server writes this object (Bootstrap-Write) and no LwM2M Server may read it, which
 * is what keeps device keys on the device. The key material resources are marked `credential`.
 */
export const SECURITY: ObjectDefinition = Object.freeze({
  id: 0,
  name: 'LwM2M Security',
  objectVersion: '1.2',
  lwm2mVersion: '1.1',
  multiple: true,
  mandatory: true,
  source: 'OMA LwM2M registry 0.xml (object version 1.2)',
  resources: [
    res(0, 'LwM2M Server URI', 'String', '', 'single', 'mandatory', { length: { min: 0, max: 255 } }),
    res(1, 'Bootstrap-Server', 'Boolean', '', 'single', 'mandatory'),
    res(2, 'Security Mode', 'Integer', '', 'single', 'mandatory', { range: { min: 0, max: 4 } }),
    res(3, 'Public Key or Identity', 'Opaque', '', 'single', 'mandatory', { credential: true }),
    res(4, 'Server Public Key', 'Opaque', '', 'single', 'mandatory', { credential: true }),
    res(5, 'Secret Key', 'Opaque', '', 'single', 'mandatory', { credential: true }),
    res(6, 'SMS Security Mode', 'Integer', '', 'single', 'optional', { range: { min: 0, max: 255 } }),
    res(7, 'SMS Binding Key Parameters', 'Opaque', '', 'single', 'optional', { length: { min: 6, max: 6 }, credential: true }),
    res(8, 'SMS Binding Secret Key(s)', 'Opaque', '', 'single', 'optional', { length: { min: 16, max: 48, oneOf: [16, 32, 48] }, credential: true }),
    res(9, 'LwM2M Server SMS Number', 'String', '', 'single', 'optional'),
    res(10, 'Short Server ID', 'Integer', '', 'single', 'optional', { range: { min: 1, max: 65534 } }),
    res(11, 'Client Hold Off Time', 'Integer', '', 'single', 'optional', { units: 's' }),
    res(12, 'Bootstrap-Server Account Timeout', 'Integer', '', 'single', 'optional', { units: 's' }),
    res(13, 'Matching Type', 'Unsigned Integer', '', 'single', 'optional', { range: { min: 0, max: 3 } }),
    res(14, 'SNI', 'String', '', 'single', 'optional'),
    res(15, 'Certificate Usage', 'Unsigned Integer', '', 'single', 'optional', { range: { min: 0, max: 3 } }),
    res(16, 'DTLS/TLS Ciphersuite', 'Unsigned Integer', '', 'multiple', 'optional'),
    res(17, 'OSCORE Security Mode', 'Objlnk', '', 'single', 'optional'),
    res(18, 'Groups To Use by Client', 'Unsigned Integer', '', 'multiple', 'optional', { range: { min: 0, max: 65535 } }),
    res(19, 'Signature Algorithms Supported by Server', 'Unsigned Integer', '', 'multiple', 'optional', { range: { min: 0, max: 65535 } }),
    res(20, 'Signature Algorithms To Use by Client', 'Unsigned Integer', '', 'multiple', 'optional', { range: { min: 0, max: 65535 } }),
    res(21, 'Signature Algorithm Certs Supported by Server', 'Unsigned Integer', '', 'multiple', 'optional', { range: { min: 0, max: 65535 } }),
    res(22, 'TLS 1.3 Features To Use by Client', 'Unsigned Integer', '', 'single', 'optional', { range: { min: 0, max: 65535 } }),
    res(23, 'TLS Extensions Supported by Server', 'Unsigned Integer', '', 'single', 'optional', { range: { min: 0, max: 65535 } }),
    res(24, 'TLS Extensions To Use by Client', 'Unsigned Integer', '', 'single', 'optional', { range: { min: 0, max: 65535 } }),
    res(25, 'Secondary LwM2M Server URI', 'String', '', 'multiple', 'optional', { length: { min: 0, max: 255 } }),
    res(26, 'MQTT Server', 'Objlnk', '', 'single', 'optional'),
    res(27, 'LwM2M COSE Security', 'Objlnk', '', 'multiple', 'optional'),
    res(28, 'RDS Destination Port', 'Integer', '', 'single', 'optional', { range: { min: 0, max: 15 } }),
    res(29, 'RDS Source Port', 'Integer', '', 'single', 'optional', { range: { min: 0, max: 15 } }),
    res(30, 'RDS Application ID', 'String', '', 'single', 'optional'),
  ],
});

import { res } from './define.ts';
import type { ObjectDefinition } from './types.ts';

/** Object 4, Connectivity Monitoring 1.3 (registry 4.xml): optional, every resource read-only. */
export const CONNECTIVITY_MONITORING: ObjectDefinition = Object.freeze({
  id: 4,
  name: 'Connectivity Monitoring',
  objectVersion: '1.3',
  lwm2mVersion: '1.1',
  multiple: false,
  mandatory: false,
  source: 'OMA LwM2M registry 4.xml (object version 1.3)',
  resources: [
    res(0, 'Network Bearer', 'Integer', 'R', 'single', 'mandatory', { range: { min: 0, max: 50 } }),
    res(1, 'Available Network Bearer', 'Integer', 'R', 'multiple', 'mandatory', { range: { min: 0, max: 50 } }),
    res(2, 'Radio Signal Strength', 'Integer', 'R', 'single', 'mandatory', { units: 'dBm' }),
    res(3, 'Link Quality', 'Integer', 'R', 'single', 'optional'),
    res(4, 'IP Addresses', 'String', 'R', 'multiple', 'mandatory'),
    res(5, 'Router IP Addresses', 'String', 'R', 'multiple', 'optional'),
    res(6, 'Link Utilization', 'Unsigned Integer', 'R', 'single', 'optional', { range: { min: 0, max: 100 }, units: '/100' }),
    res(7, 'APN', 'String', 'R', 'multiple', 'optional'),
    res(8, 'Cell ID', 'Integer', 'R', 'single', 'optional'),
    res(9, 'SMNC', 'Integer', 'R', 'single', 'optional', { range: { min: 0, max: 999 } }),
    res(10, 'SMCC', 'Integer', 'R', 'single', 'optional', { range: { min: 0, max: 999 } }),
    res(11, 'SignalSNR', 'Integer', 'R', 'single', 'optional', { units: 'dB' }),
    res(12, 'LAC', 'Integer', 'R', 'single', 'optional'),
    res(13, 'Coverage Enhancement Level', 'Integer', 'R', 'single', 'optional', { range: { min: 0, max: 4 } }),
  ],
});

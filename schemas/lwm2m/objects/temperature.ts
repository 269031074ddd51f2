import { res } from './define.ts';
import type { ObjectDefinition } from './types.ts';

/** Object 3303, IPSO Temperature 1.1 (registry 3303.xml): what our sensors report. */
export const TEMPERATURE: ObjectDefinition = Object.freeze({
  id: 3303,
  name: 'Temperature',
  objectVersion: '1.1',
  lwm2mVersion: '1.0',
  multiple: true,
  mandatory: false,
  source: 'OMA LwM2M registry 3303.xml (object version 1.1)',
  resources: [
    res(5700, 'Sensor Value', 'Float', 'R', 'single', 'mandatory'),
    res(5518, 'Timestamp', 'Time', 'R', 'single', 'optional'),
    res(5601, 'Min Measured Value', 'Float', 'R', 'single', 'optional'),
    res(5602, 'Max Measured Value', 'Float', 'R', 'single', 'optional'),
    res(5603, 'Min Range Value', 'Float', 'R', 'single', 'optional'),
    res(5604, 'Max Range Value', 'Float', 'R', 'single', 'optional'),
    res(5605, 'Reset Min and Max Measured Values', 'none', 'E', 'single', 'optional'),
    res(5701, 'Sensor Units', 'String', 'R', 'single', 'optional'),
    res(5750, 'Application Type', 'String', 'RW', 'single', 'optional'),
    res(6042, 'Measurement Quality Indicator', 'Integer', 'R', 'single', 'optional', { range: { min: 0, max: 23 } }),
    res(6049, 'Measurement Quality Level', 'Integer', 'R', 'single', 'optional', { range: { min: 0, max: 100 } }),
    res(6050, 'Fractional Timestamp', 'Float', 'R', 'single', 'optional', { units: 's' }),
  ],
});

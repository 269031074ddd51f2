import { res } from './define.ts';
import type { ObjectDefinition } from './types.ts';

/** Object 3, Device 1.2 (registry 3.xml). */
export const DEVICE: ObjectDefinition = Object.freeze({
  id: 3,
  name: 'Device',
  objectVersion: '1.2',
  lwm2mVersion: '1.1',
  multiple: false,
  mandatory: true,
  source: 'OMA LwM2M registry 3.xml (object version 1.2)',
  resources: [
    res(0, 'Manufacturer', 'String', 'R', 'single', 'optional'),
    res(1, 'Model Number', 'String', 'R', 'single', 'optional'),
    res(2, 'Serial Number', 'String', 'R', 'single', 'optional'),
    res(3, 'Firmware Version', 'String', 'R', 'single', 'optional'),
    res(4, 'Reboot', 'none', 'E', 'single', 'mandatory'),
    res(5, 'Factory Reset', 'none', 'E', 'single', 'optional'),
    res(6, 'Available Power Sources', 'Integer', 'R', 'multiple', 'optional', { range: { min: 0, max: 7 } }),
    res(7, 'Power Source Voltage', 'Integer', 'R', 'multiple', 'optional', { units: 'mV' }),
    res(8, 'Power Source Current', 'Integer', 'R', 'multiple', 'optional', { units: 'mA' }),
    res(9, 'Battery Level', 'Integer', 'R', 'single', 'optional', { range: { min: 0, max: 100 }, units: '/100' }),
    res(10, 'Memory Free', 'Integer', 'R', 'single', 'optional', { units: 'KiB' }),
    res(11, 'Error Code', 'Integer', 'R', 'multiple', 'mandatory', { range: { min: 0, max: 32 } }),
    res(12, 'Reset Error Code', 'none', 'E', 'single', 'optional'),
    res(13, 'Current Time', 'Time', 'RW', 'single', 'optional'),
    res(14, 'UTC Offset', 'String', 'RW', 'single', 'optional'),
    res(15, 'Timezone', 'String', 'RW', 'single', 'optional'),
    res(16, 'Supported Binding and Modes', 'String', 'R', 'single', 'mandatory'),
    res(17, 'Device Type', 'String', 'R', 'single', 'optional'),
    res(18, 'Hardware Version', 'String', 'R', 'single', 'optional'),
    res(19, 'Software Version', 'String', 'R', 'single', 'optional'),
    res(20, 'Battery Status', 'Integer', 'R', 'single', 'optional', { range: { min: 0, max: 6 } }),
    res(21, 'Memory Total', 'Integer', 'R', 'single', 'optional', { units: 'KiB' }),
    res(22, 'ExtDevInfo', 'Objlnk', 'R', 'multiple', 'optional'),
  ],
});

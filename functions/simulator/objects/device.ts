import { DEVICE } from '../../../schemas/lwm2m/index.ts';
import { multiple, single, type ObjectBehaviour, type ResourceContent } from '../objectTree.ts';
import { integer, text, time } from './values.ts';

export interface DeviceIdentity {
  readonly manufacturer: string;
  readonly model: string;
  readonly serial: string;
  readonly firmware: string;
  readonly hardware: string;
}

export interface DeviceObjectHooks {
  /** The device clock in seconds since 1970 (Current Time, 13, is read from it). */
  readonly nowSeconds: () => number;
  /** The server wrote Current Time: the clock moves to it. */
  readonly setClock: (seconds: number) => void;
  /** Reboot (4): runs after the 2.04 has left. */
  readonly reboot: () => void;
  /** Factory Reset (5): forget what the server gave (credentials), then reboot. */
  readonly factoryReset: () => void;
}

const REBOOT = 4;
const FACTORY_RESET = 5;
const ERROR_CODE = 11;
const RESET_ERROR_CODE = 12;
const CURRENT_TIME = 13;

/** Object 3, Device: who the device is, its clock, and the Reboot / Factory Reset / Reset Error Code executes. */
export const deviceBehaviour = (hooks: DeviceObjectHooks): ObjectBehaviour => ({
  definition: DEVICE,
  supported: [0, 1, 2, 3, REBOOT, FACTORY_RESET, 9, ERROR_CODE, RESET_ERROR_CODE, CURRENT_TIME, 14, 15, 16, 17, 18, 19],
  computed: (_instanceId, resourceId) => (resourceId === CURRENT_TIME ? time(hooks.nowSeconds()) : undefined),
  written: (_instanceId, written) => {
    const clock = written.get(CURRENT_TIME);
    if (clock !== undefined && !clock.multiple && typeof clock.value.value === 'number') hooks.setClock(clock.value.value);
    return undefined;
  },
  execute: (_instanceId, resourceId) => {
    if (resourceId === REBOOT) return { after: hooks.reboot };
    if (resourceId === FACTORY_RESET) return { after: hooks.factoryReset };
    // Reset Error Code (12): this device never has an error to reset; Error Code stays 0 (no error).
    return {};
  },
});

/** `binding` as Supported Binding and Modes (16) says it: U, or UQ with queue mode. */
export const deviceInstance = (identity: DeviceIdentity, binding: string): Map<number, ResourceContent> =>
  new Map([
    [0, single(text(identity.manufacturer))],
    [1, single(text(identity.model))],
    [2, single(text(identity.serial))],
    [3, single(text(identity.firmware))],
    [9, single(integer(100))],
    [ERROR_CODE, multiple([[0, integer(0)]])],
    [14, single(text('+00:00'))],
    [15, single(text('Etc/UTC'))],
    [16, single(text(binding))],
    [17, single(text('temperature sensor'))],
    [18, single(text(identity.hardware))],
    [19, single(text(identity.firmware))],
  ]);

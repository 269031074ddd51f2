import { TEMPERATURE } from '../../../schemas/lwm2m/index.ts';
import { single, type ObjectBehaviour, type ResourceContent } from '../objectTree.ts';
import { float, text, time } from './values.ts';

export const SENSOR_VALUE = 5700;
export const MIN_MEASURED = 5601;
export const MAX_MEASURED = 5602;
export const RESET_MIN_MAX = 5605;
export const TIMESTAMP = 5518;

/** Object 3303, Temperature: the sensor's value, the extremes seen, and the reset of those. */
export const temperatureBehaviour = (resetMinMax: (instanceId: number) => void): ObjectBehaviour => ({
  definition: TEMPERATURE,
  supported: [SENSOR_VALUE, TIMESTAMP, MIN_MEASURED, MAX_MEASURED, 5603, 5604, RESET_MIN_MAX, 5701, 5750],
  // Reset Min and Max Measured Values (5605) is the one Execute resource of the object.
  execute: (instanceId) => {
    resetMinMax(instanceId);
    return {};
  },
});

/** A sensor's instance: the first reading, and the range the sensor measures (a typical -40..85 °C part). */
export const temperatureInstance = (celsius: number, atSeconds: number): Map<number, ResourceContent> =>
  new Map([
    [SENSOR_VALUE, single(float(celsius))],
    [TIMESTAMP, single(time(atSeconds))],
    [MIN_MEASURED, single(float(celsius))],
    [MAX_MEASURED, single(float(celsius))],
    [5603, single(float(-40))],
    [5604, single(float(85))],
    [5701, single(text('Cel'))],
    [5750, single(text('ambient'))],
  ]);

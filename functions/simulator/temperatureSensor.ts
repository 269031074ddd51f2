/**
 * A temperature that drifts like a room's: each sample moves toward a mean (mean reversion) plus
 * a random step, clamped to what the sensor can measure. Values are rounded to 0.01 °C, as a
 * sensor's resolution would, so a value that did not move does not count as a change.
 */
export interface TemperatureDrift {
  /** Where readings settle. Default 21 °C. */
  readonly meanCelsius?: number;
  /** Fraction of the distance to the mean closed per sample. Default 0.05. */
  readonly reversion?: number;
  /** Largest random step per sample. Default 0.3 °C. */
  readonly stepCelsius?: number;
  /** The first reading. Default: the mean. */
  readonly startCelsius?: number;
  readonly minCelsius?: number;
  readonly maxCelsius?: number;
}

const round = (n: number): number => Math.round(n * 100) / 100;

export class TemperatureSensor {
  private value: number;
  private readonly mean: number;
  private readonly reversion: number;
  private readonly step: number;
  private readonly min: number;
  private readonly max: number;

  constructor(
    private readonly random: () => number,
    drift: TemperatureDrift = {},
  ) {
    this.mean = drift.meanCelsius ?? 21;
    this.reversion = drift.reversion ?? 0.05;
    this.step = drift.stepCelsius ?? 0.3;
    this.min = drift.minCelsius ?? -40;
    this.max = drift.maxCelsius ?? 85;
    this.value = this.clamp(drift.startCelsius ?? this.mean);
  }

  get current(): number {
    return this.value;
  }

  /** The next sample. */
  sample(): number {
    const next = this.value + (this.mean - this.value) * this.reversion + (this.random() * 2 - 1) * this.step;
    this.value = this.clamp(next);
    return this.value;
  }

  /** Forces a reading (a heat source next to the sensor); drift goes on from there. */
  force(celsius: number): number {
    if (!Number.isFinite(celsius)) throw new RangeError(`a temperature is a finite number, not ${celsius}`);
    this.value = this.clamp(celsius);
    return this.value;
  }

  private clamp(n: number): number {
    return round(Math.min(this.max, Math.max(this.min, n)));
  }
}

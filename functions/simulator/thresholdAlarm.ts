/**
 * An alarm on a threshold, with hysteresis so a value hovering at the line does not raise and
 * clear it at every sample: raised when the value goes above `above`, cleared when it falls
 * below `above - hysteresis`.
 */
export interface ThresholdAlarmOptions {
  readonly above: number;
  /** Default 1. */
  readonly hysteresis?: number;
}

export class ThresholdAlarm {
  private raised = false;

  constructor(private readonly options: ThresholdAlarmOptions) {}

  get isRaised(): boolean {
    return this.raised;
  }

  /** The transition this value causes, if any. */
  check(value: number): 'raised' | 'cleared' | undefined {
    if (!this.raised && value > this.options.above) {
      this.raised = true;
      return 'raised';
    }
    if (this.raised && value < this.options.above - (this.options.hysteresis ?? 1)) {
      this.raised = false;
      return 'cleared';
    }
    return undefined;
  }
}

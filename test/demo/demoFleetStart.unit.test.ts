import { describe, expect, it } from 'vitest';
import { startOffsetsMs } from '../../functions/demo/demoFleet.ts';

describe('startOffsetsMs', () => {
  it('ramps devices up at the rate asked for when each has its own address', () => {
    expect(startOffsetsMs(4, 20, false)).toEqual([0, 50, 100, 150]);
  });

  it('on one shared address, starts the first 20 in a burst and the rest at 2 a second, the server limit per address', () => {
    const offsets = startOffsetsMs(23, 20, true);
    expect(offsets.slice(0, 20)).toEqual(Array.from({ length: 20 }, (_, i) => i * 50));
    expect(offsets.slice(20)).toEqual([1450, 1950, 2450]);
  });
});

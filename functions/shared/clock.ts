/** The only way runtime code learns the time, so tests and replays can fix it. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock tests move by hand. */
export const manualClock = (start: Date | string = '2026-01-01T00:00:00.000Z') => {
  let t = new Date(start).getTime();
  return {
    now: () => new Date(t),
    advance(ms: number) {
      t += ms;
    },
    set(at: Date | string) {
      t = new Date(at).getTime();
    },
  };
};

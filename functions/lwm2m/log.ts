/** Where the server tells operators what it refused and what went wrong. */
export interface Lwm2mLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export const consoleLog: Lwm2mLog = {
  info: (details, message) => console.info(`[lwm2m] ${message}`, details),
  warn: (details, message) => console.warn(`[lwm2m] ${message}`, details),
  error: (details, message) => console.error(`[lwm2m] ${message}`, details),
};

export interface ThrottleOptions {
  /** Lines per kind per window; past it, one summary line says how many were suppressed. Default 20. */
  readonly perKind?: number;
  /** Default 60 s. */
  readonly windowMs?: number;
}

/**
 * Logging every hostile datagram would let an attacker fill the disk: each kind gets `perKind`
 * lines per window, and the next line after a window with suppressions reports their number.
 * Counting is never throttled (stats.ts); only the log lines are.
 */
export const throttledWarn = (log: Lwm2mLog, now: () => number, options: ThrottleOptions = {}) => {
  const perKind = options.perKind ?? 20;
  const windowMs = options.windowMs ?? 60_000;
  const windows = new Map<string, { start: number; lines: number; suppressed: number }>();
  return (kind: string, details: object, message: string): void => {
    const t = now();
    let w = windows.get(kind);
    if (w === undefined || t - w.start >= windowMs) {
      const suppressed = w?.suppressed ?? 0;
      w = { start: t, lines: 0, suppressed: 0 };
      windows.set(kind, w);
      if (suppressed > 0) log.warn({ kind, suppressed }, `${suppressed} more '${kind}' rejections were not logged in the last window`);
    }
    if (w.lines < perKind) {
      w.lines += 1;
      log.warn({ kind, ...details }, message);
    } else {
      w.suppressed += 1;
    }
  };
};

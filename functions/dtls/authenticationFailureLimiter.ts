import { ThingName, type AuthenticationFailureReason } from '../../events/catalog/index.ts';
import { systemScheduler, type Scheduler, type TimerHandle } from '../lwm2m/scheduler.ts';
import type { RefusedHandshake } from './dtlsTransport.ts';

/** One peer that failed to prove it is a device. */
export interface AuthenticationFailure {
  readonly reason: AuthenticationFailureReason;
  /** The PSK identity claimed (bytes from the handshake, or text). */
  readonly identity: Buffer | string;
  /** The device it belongs to, when the caller knows it (the PSK lookup found it, or the session's device). */
  readonly thingName?: string | undefined;
  readonly remote: { readonly address: string; readonly port: number };
  /** endpoint-mismatch: the endpoint name the session tried to register as. */
  readonly endpoint?: string | undefined;
}

/**
 * What the limiter hands its sink: one identity's attempts for one reason, 1 at the first attempt
 * and the sum of a window after. Everything in it is printable; no key material ever reaches it.
 */
export interface AuthenticationFailureReport {
  readonly reason: AuthenticationFailureReason;
  /** printableIdentity() of the claimed identity. */
  readonly identity: string;
  readonly thingName?: string | undefined;
  /** Where the last attempt came from. */
  readonly remote: { readonly address: string; readonly port: number };
  readonly endpoint?: string | undefined;
  readonly attempts: number;
  /** ISO times of the first and last attempt the report stands for. */
  readonly firstAttemptAt: string;
  readonly lastAttemptAt: string;
}

export interface AuthenticationFailureLimiterOptions {
  /**
   * Where reports go: the event store (the embedded recorder, authenticationFailures.ts) or the
   * bridge's MQTT link (the standalone bridge). A rejection or a throw is counted and logged.
   */
  readonly sink: (report: AuthenticationFailureReport) => Promise<unknown>;
  /** What a report becomes, for log lines: "a DeviceAuthenticationFailed event", "an auth-failed message". */
  readonly what: string;
  /**
   * Whether a device of this name is known to the fleet (any status, deprovisioned too): an unknown
   * identity that names one is reported as that device's. Without it, only the caller's thingName names a device.
   */
  readonly isKnownDevice?: (thingName: string) => boolean;
  readonly scheduler?: Scheduler;
  /** Per identity and reason, at most one report at the first attempt and one summing up each window of further attempts. Default 60 s. */
  readonly windowMs?: number;
  /** Identities (per reason) tracked at once; past it, attempts of new ones are only counted. Default 10,000. */
  readonly maxTracked?: number;
  /** Reports per window across all identities; past it, attempts are only counted. Default 600. */
  readonly maxReportsPerWindow?: number;
  readonly log: {
    warn(details: object, message: string): void;
    error(details: object, message: string): void;
  };
}

export interface AuthenticationFailureStats {
  /** Failures reported to the limiter. */
  readonly attempts: number;
  /** Reports the sink took (events appended, messages acknowledged). */
  readonly recorded: number;
  /** Attempts not reported as they happened, summed up into a later report. */
  readonly summarized: number;
  /** Attempts in no report: over maxTracked or maxReportsPerWindow, after stop, or a sink that failed. */
  readonly dropped: number;
  readonly sinkFailures: number;
  /** Identity windows open now. */
  readonly tracked: number;
}

export interface AuthenticationFailureLimiter {
  record(failure: AuthenticationFailure): void;
  stats(): AuthenticationFailureStats;
  /** Resolves once every report handed to the sink so far has settled. */
  settled(): Promise<void>;
  /** Sums up every open window in a last report, then stops reporting. */
  stop(): Promise<void>;
}

const IDENTITY_MAX = 128;
const ENDPOINT_MAX = 256;

/**
 * Bytes as printable ASCII for events, stream ids and logs: 0x21-0x7e stay, `\` becomes `\\` and
 * any other byte `\xNN`, so two different identities never print the same (unless cut at `max`,
 * marked by a trailing `...`). The empty identity prints as `\(empty)`, which no escaping produces.
 */
export const printableIdentity = (value: Buffer | string, max = IDENTITY_MAX): string => {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  if (bytes.length === 0) return '\\(empty)';
  let out = '';
  for (const byte of bytes) {
    out += byte === 0x5c ? '\\\\' : byte >= 0x21 && byte <= 0x7e ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`;
    if (out.length > max) return `${out.slice(0, max - 3)}...`;
  }
  return out;
};

/** The refused handshakes that are authentication failures; timeouts, malformed hellos and the like are only counted (server.stats()). */
export const authenticationFailureOf = (refused: RefusedHandshake): AuthenticationFailure | undefined => {
  if (refused.identity === undefined) return undefined;
  const reason: AuthenticationFailureReason | undefined =
    refused.reason === 'bad_record_mac' ? 'bad-psk' : refused.reason === 'bad_finished' ? 'bad-finished' : refused.reason === 'unknown_psk_identity' ? 'unknown-identity' : undefined;
  if (reason === undefined) return undefined;
  return { reason, identity: refused.identity, thingName: refused.device, remote: { address: refused.remote.address, port: refused.remote.port } };
};

interface Window {
  readonly reason: AuthenticationFailureReason;
  readonly identity: string;
  readonly thingName: string | undefined;
  /** Attempts since the last report, and the first and last of them. */
  pending: number;
  firstPendingAt: number;
  lastAt: number;
  lastRemote: { address: string; port: number };
  lastEndpoint: string | undefined;
  timer: TimerHandle | undefined;
}

const positive = (name: string, value: number): number => {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
};

/**
 * Decides when an authentication failure is reported, so that a flood reaches neither the store nor
 * the broker. Per identity and reason, the first attempt is reported at once; further attempts
 * within the window are counted and summed up in one report when it ends (`attempts`, first and
 * last attempt times), which opens the next window; a window without attempts closes. So one
 * identity gets at most one report per window after its first, however hard it tries. Across
 * identities, maxTracked and maxReportsPerWindow bound memory and reports; what they cut is counted
 * in stats(). The embedded recorder and the standalone bridge share it, so both sinks see the same.
 */
export const createAuthenticationFailureLimiter = (options: AuthenticationFailureLimiterOptions): AuthenticationFailureLimiter => {
  const scheduler = options.scheduler ?? systemScheduler;
  const windowMs = positive('windowMs', options.windowMs ?? 60_000);
  const maxTracked = positive('maxTracked', options.maxTracked ?? 10_000);
  const maxReportsPerWindow = positive('maxReportsPerWindow', options.maxReportsPerWindow ?? 600);
  const windows = new Map<string, Window>();
  const inFlight = new Set<Promise<void>>();
  const counts = { attempts: 0, recorded: 0, summarized: 0, dropped: 0, sinkFailures: 0 };
  let budgetStart = scheduler.now();
  let budgetUsed = 0;
  let lastCapWarning = -Infinity;
  let stopped = false;

  const warnCapped = (what: string) => {
    const now = scheduler.now();
    if (now - lastCapWarning < windowMs) return;
    lastCapWarning = now;
    options.log.warn({ dropped: counts.dropped, tracked: windows.size }, `DTLS authentication failures past ${what} are counted but not reported (a flood?)`);
  };

  const report = (w: Window, attempts: number, firstAt: number) => {
    const now = scheduler.now();
    if (now - budgetStart >= windowMs) {
      budgetStart = now;
      budgetUsed = 0;
    }
    if (budgetUsed >= maxReportsPerWindow) {
      counts.dropped += attempts;
      warnCapped(`maxReportsPerWindow (${maxReportsPerWindow})`);
      return;
    }
    budgetUsed += 1;
    const out: AuthenticationFailureReport = {
      reason: w.reason,
      identity: w.identity,
      ...(w.thingName === undefined ? {} : { thingName: w.thingName }),
      remote: { ...w.lastRemote },
      ...(w.lastEndpoint === undefined ? {} : { endpoint: w.lastEndpoint }),
      attempts,
      firstAttemptAt: new Date(firstAt).toISOString(),
      lastAttemptAt: new Date(w.lastAt).toISOString(),
    };
    // A sink that throws at once is treated like one that rejects: the caller of record() never sees it.
    const pending = Promise.resolve()
      .then(() => options.sink(out))
      .then(
        () => {
          counts.recorded += 1;
        },
        (error: unknown) => {
          counts.sinkFailures += 1;
          counts.dropped += attempts;
          options.log.error(
            { reason: out.reason, identity: out.identity, attempts, err: error instanceof Error ? error.message : String(error) },
            `${options.what} for a refused DTLS peer could not be delivered; the attempts stay counted in the DTLS stats`,
          );
        },
      );
    inFlight.add(pending);
    void pending.finally(() => inFlight.delete(pending));
  };

  const endOfWindow = (key: string) => {
    const w = windows.get(key);
    if (w === undefined) return;
    w.timer = undefined;
    if (w.pending === 0) {
      windows.delete(key);
      return;
    }
    const attempts = w.pending;
    w.pending = 0;
    report(w, attempts, w.firstPendingAt);
    // The summary opens the next window: a steady flood yields one report per window.
    if (!stopped) w.timer = scheduler.after(windowMs, () => endOfWindow(key));
  };

  const settled = async () => {
    while (inFlight.size > 0) await Promise.all([...inFlight]);
  };

  return {
    record(failure) {
      counts.attempts += 1;
      if (stopped) {
        counts.dropped += 1;
        return;
      }
      const identity = printableIdentity(failure.identity);
      const key = `${failure.reason} ${identity}`;
      const now = scheduler.now();
      const endpoint = failure.endpoint === undefined ? undefined : printableIdentity(failure.endpoint, ENDPOINT_MAX);
      const open = windows.get(key);
      if (open !== undefined) {
        if (open.pending === 0) open.firstPendingAt = now;
        open.pending += 1;
        open.lastAt = now;
        open.lastRemote = { ...failure.remote };
        open.lastEndpoint = endpoint;
        counts.summarized += 1;
        return;
      }
      if (windows.size >= maxTracked) {
        counts.dropped += 1;
        warnCapped(`maxTracked (${maxTracked} identities)`);
        return;
      }
      const named = failure.thingName ?? (ThingName.safeParse(identity).success && options.isKnownDevice?.(identity) === true ? identity : undefined);
      const w: Window = {
        reason: failure.reason,
        identity,
        thingName: named,
        pending: 0,
        firstPendingAt: now,
        lastAt: now,
        lastRemote: { ...failure.remote },
        lastEndpoint: endpoint,
        timer: undefined,
      };
      windows.set(key, w);
      w.timer = scheduler.after(windowMs, () => endOfWindow(key));
      report(w, 1, now);
    },
    stats: () => ({ ...counts, tracked: windows.size }),
    settled,
    async stop() {
      if (!stopped) {
        stopped = true;
        for (const [key, w] of [...windows]) {
          w.timer?.cancel();
          endOfWindow(key);
        }
        windows.clear();
      }
      await settled();
    },
  };
};

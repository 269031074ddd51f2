import { randomUUID } from 'node:crypto';
import { ThingName, type AuthenticationFailureReason, type EventData } from '../../events/catalog/index.ts';
import { deviceStreamId } from '../bootstrap/bootstrapStreams.ts';
import { bridgeActor, derivedEvent } from '../shared/derivedEvent.ts';
import type { AppendRequest } from '../eventStore/eventStore.ts';
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

export interface AuthenticationFailureRecorderOptions {
  readonly bridgeId: string;
  /** The event store's append. */
  readonly append: (request: AppendRequest) => Promise<unknown>;
  /**
   * Whether a device of this name has a stream (any status, deprovisioned too): an unknown identity
   * that names one is recorded in the device's stream; any other in `identity-<identity>`, so a
   * stranger never gets a `device-` stream (which would make it look provisioned).
   */
  readonly isKnownDevice?: (thingName: string) => boolean;
  readonly scheduler?: Scheduler;
  /** Per identity and reason, at most one event at the first attempt and one summing up each window of further attempts. Default 60 s. */
  readonly windowMs?: number;
  /** Identities (per reason) tracked at once; past it, attempts of new ones are only counted. Default 10,000. */
  readonly maxTracked?: number;
  /** Events appended per window across all identities; past it, attempts are only counted. Default 600. */
  readonly maxEventsPerWindow?: number;
  readonly log: {
    warn(details: object, message: string): void;
    error(details: object, message: string): void;
  };
}

export interface AuthenticationFailureStats {
  /** Failures reported to the recorder. */
  readonly attempts: number;
  /** DeviceAuthenticationFailed events the store accepted. */
  readonly recorded: number;
  /** Attempts not recorded as they happened, summed up into a later event. */
  readonly summarized: number;
  /** Attempts in no event: over maxTracked or maxEventsPerWindow, after stop, or an append that failed. */
  readonly dropped: number;
  readonly appendFailures: number;
  /** Identity windows open now. */
  readonly tracked: number;
}

export interface AuthenticationFailureRecorder {
  record(failure: AuthenticationFailure): void;
  stats(): AuthenticationFailureStats;
  /** Resolves once every append started so far has finished. */
  settled(): Promise<void>;
  /** Sums up every open window in a last event, then stops recording. */
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

/** Where a refusal of an identity no device holds is kept (cf. BootstrapRejected's `endpoint-<name>`). */
export const identityStreamId = (printable: string): string => `identity-${printable}`;

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
  /** Attempts since the last event, and the first and last of them. */
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
 * Turns authentication failures into DeviceAuthenticationFailed events without letting a flood fill
 * the store. Per identity and reason, the first attempt is recorded at once; further attempts within
 * the window are counted and summed up in one event when it ends (`attempts`, first and last
 * attempt times), which opens the next window; a window without attempts closes. So one identity
 * gets at most one event per window after its first, however hard it tries. Across identities,
 * maxTracked and maxEventsPerWindow bound memory and appends; what they cut is counted in stats().
 */
export const createAuthenticationFailureRecorder = (options: AuthenticationFailureRecorderOptions): AuthenticationFailureRecorder => {
  const scheduler = options.scheduler ?? systemScheduler;
  const windowMs = positive('windowMs', options.windowMs ?? 60_000);
  const maxTracked = positive('maxTracked', options.maxTracked ?? 10_000);
  const maxEventsPerWindow = positive('maxEventsPerWindow', options.maxEventsPerWindow ?? 600);
  const actor = bridgeActor(options.bridgeId);
  // Event ids: unique per recorder run and event, never derived from the (attacker-chosen) identity alone.
  const run = randomUUID();
  let sequence = 0;
  const windows = new Map<string, Window>();
  const inFlight = new Set<Promise<void>>();
  const counts = { attempts: 0, recorded: 0, summarized: 0, dropped: 0, appendFailures: 0 };
  let budgetStart = scheduler.now();
  let budgetUsed = 0;
  let lastCapWarning = -Infinity;
  let stopped = false;

  const warnCapped = (what: string) => {
    const now = scheduler.now();
    if (now - lastCapWarning < windowMs) return;
    lastCapWarning = now;
    options.log.warn({ dropped: counts.dropped, tracked: windows.size }, `DTLS authentication failures past ${what} are counted but not recorded as events (a flood?)`);
  };

  const append = (w: Window, attempts: number, firstAt: number) => {
    const now = scheduler.now();
    if (now - budgetStart >= windowMs) {
      budgetStart = now;
      budgetUsed = 0;
    }
    if (budgetUsed >= maxEventsPerWindow) {
      counts.dropped += attempts;
      warnCapped(`maxEventsPerWindow (${maxEventsPerWindow})`);
      return;
    }
    budgetUsed += 1;
    const data: EventData<'DeviceAuthenticationFailed'> = {
      ...(w.thingName === undefined ? {} : { thingName: w.thingName }),
      identity: w.identity,
      reason: w.reason,
      transport: 'coaps',
      bridgeId: options.bridgeId,
      remote: w.lastRemote,
      ...(w.lastEndpoint === undefined ? {} : { endpoint: w.lastEndpoint }),
      attempts,
      firstAttemptAt: new Date(firstAt).toISOString(),
      lastAttemptAt: new Date(w.lastAt).toISOString(),
    };
    let request: AppendRequest;
    try {
      sequence += 1;
      request = {
        streamId: w.thingName === undefined ? identityStreamId(w.identity) : deviceStreamId(w.thingName),
        expectedVersion: 'any',
        events: [derivedEvent('DeviceAuthenticationFailed', data, [run, String(sequence)], actor, `authentication-${run}-${sequence}`)],
      };
    } catch (error) {
      // The catalog refused the data: a bug here, not the peer's doing. Count it and carry on.
      counts.appendFailures += 1;
      counts.dropped += attempts;
      options.log.error({ reason: w.reason, identity: w.identity, err: error instanceof Error ? error.message : String(error) }, 'a DeviceAuthenticationFailed event did not pass its schema; it was not recorded');
      return;
    }
    const pending = options.append(request).then(
      () => {
        counts.recorded += 1;
      },
      (error: unknown) => {
        counts.appendFailures += 1;
        counts.dropped += attempts;
        options.log.error({ streamId: request.streamId, err: error instanceof Error ? error.message : String(error) }, 'a DeviceAuthenticationFailed event could not be appended; the attempts stay counted in the DTLS stats');
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
    append(w, attempts, w.firstPendingAt);
    // The summary opens the next window: a steady flood yields one event per window.
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
      append(w, 1, now);
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

import { randomUUID } from 'node:crypto';
import { systemClock, type Clock } from '../shared/clock.ts';
import type { Bus, BusEntry, BusRule, PutResult, PutResultEntry } from './bus.ts';
import { envelopeTime, type EventBridgeEnvelope } from './envelope.ts';
import { compilePattern, type EventPatternMatcher } from './patternMatcher.ts';
import { checkEntry, checkEntryCount } from './putEventsLimits.ts';

export interface RetryPolicy {
  /** Deliveries tried before the event becomes a dead letter (1 = no retry). */
  maxAttempts: number;
  /** Wait before the first retry; each further retry waits `factor` times longer, up to maxDelayMs. */
  baseDelayMs: number;
  factor: number;
  maxDelayMs: number;
}

/**
 * EventBridge itself retries a target for up to 24 hours; one process gives up within seconds instead,
 * so that a broken target shows up as a dead letter while someone is looking.
 */
export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 5, baseDelayMs: 200, factor: 2, maxDelayMs: 30_000 };

export interface DeadLetter {
  rule: string;
  event: EventBridgeEnvelope;
  attempts: number;
  /** What the target threw on its last attempt. */
  error: unknown;
  errorMessage: string;
  /** When the last attempt failed (bus clock). */
  failedAt: string;
}

export interface InProcessBusOptions {
  clock?: Clock;
  /** Event ids; a random UUID each by default. */
  ids?: () => string;
  account?: string;
  region?: string;
  retry?: Partial<RetryPolicy>;
  /** How the bus waits between retries; tests pass one that records delays and resolves at once. */
  sleep?: (ms: number) => Promise<void>;
  /** Dead letters kept for inspection, newest last; older ones are dropped past this (default 1000). */
  deadLetterLimit?: number;
  /** Told about every dead letter as it happens, e.g. to log it. Its own errors are ignored. */
  onDeadLetter?: (deadLetter: DeadLetter) => void;
}

export class BusClosedError extends Error {
  constructor() {
    super('the bus is closed and accepts no more events: put before close(), or create a new bus');
    this.name = 'BusClosedError';
  }
}

export interface InProcessBus extends Bus {
  /** Resolves once every rule's queue is empty and no delivery is in flight. */
  drain(): Promise<void>;
  /** Stops accepting events and subscriptions, then drains what was already accepted. */
  close(): Promise<void>;
  /** Dead letters of one rule, or of all rules, oldest first. */
  deadLetters(ruleName?: string): DeadLetter[];
}

/** An envelope waiting for one rule. */
interface Queued {
  /** The envelope as JSON: every attempt that has no fresh copy parses its own from this. */
  readonly serialised: string;
  /** A fresh parsed copy no one else holds, for the first attempt (saves one parse). */
  fresh: EventBridgeEnvelope | undefined;
}

interface Subscription {
  name: string;
  matcher: EventPatternMatcher;
  /**
   * The sources the pattern can match when it lists them as plain strings (the usual case), so an
   * entry from another source is passed over without building its envelope; undefined: any source.
   */
  sources: ReadonlySet<string> | undefined;
  target: BusRule['target'];
  /** Envelopes waiting for this rule, in put order. */
  queue: Queued[];
  /** Most delivery loops working through the queue at once. */
  concurrency: number;
  /** The loops working through the queue, while there are any. */
  workers: Set<Promise<void>>;
}

/** The pattern's `source` values when they are all plain strings (exact matches); undefined otherwise. */
const plainSources = (pattern: unknown): ReadonlySet<string> | undefined => {
  const source = typeof pattern === 'object' && pattern !== null ? (pattern as Record<string, unknown>).source : undefined;
  return Array.isArray(source) && source.length > 0 && source.every((v) => typeof v === 'string') ? new Set(source) : undefined;
};

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * The embedded mode's event bus: EventBridge envelopes, EventBridge pattern matching, PutEvents limits.
 * Delivery is asynchronous and at least once per matching rule. Rules are independent of each other;
 * within one rule events are delivered one at a time in put order (unless the rule asks for
 * maxConcurrency > 1, which gives up order for throughput), and a failing event is retried
 * (exponential backoff) before the next one is tried, so order holds even through retries. After
 * maxAttempts the event becomes a dead letter of that rule and the queue moves on.
 */
export const createInProcessBus = (options: InProcessBusOptions = {}): InProcessBus => {
  const clock = options.clock ?? systemClock;
  const ids = options.ids ?? randomUUID;
  const account = options.account ?? '000000000000';
  const region = options.region ?? 'local';
  const retry: RetryPolicy = { ...defaultRetryPolicy, ...options.retry };
  const sleep = options.sleep ?? defaultSleep;
  const deadLetterLimit = options.deadLetterLimit ?? 1000;
  if (!Number.isInteger(retry.maxAttempts) || retry.maxAttempts < 1) throw new Error(`retry.maxAttempts must be a whole number ≥ 1, got ${retry.maxAttempts}`);

  const subscriptions = new Map<string, Subscription>();
  const deadLetters: DeadLetter[] = [];
  // Rules with a delivery loop running, including ones unsubscribed since: drain() waits for all of them.
  const busy = new Set<Subscription>();
  let closed = false;

  const backoff = (failedAttempt: number) => Math.min(retry.maxDelayMs, retry.baseDelayMs * retry.factor ** (failedAttempt - 1));

  const deliver = async (sub: Subscription, queued: Queued): Promise<void> => {
    const { serialised } = queued;
    for (let attempt = 1; ; attempt++) {
      // A fresh copy per attempt: a target that mutates its event cannot change what a retry sees.
      const event = queued.fresh ?? (JSON.parse(serialised) as EventBridgeEnvelope);
      queued.fresh = undefined;
      try {
        await sub.target(event);
        return;
      } catch (error) {
        if (attempt >= retry.maxAttempts) {
          const letter: DeadLetter = {
            rule: sub.name,
            event: JSON.parse(serialised) as EventBridgeEnvelope,
            attempts: attempt,
            error,
            errorMessage: messageOf(error),
            failedAt: envelopeTime(clock.now()),
          };
          deadLetters.push(letter);
          if (deadLetters.length > deadLetterLimit) deadLetters.splice(0, deadLetters.length - deadLetterLimit);
          try {
            options.onDeadLetter?.(letter);
          } catch {
            // A broken observer must not stop delivery to the rest of the queue.
          }
          return;
        }
        try {
          await sleep(backoff(attempt));
        } catch {
          // A failed wait only shortens the backoff; it must not kill the rule's queue.
        }
      }
    }
  };

  const work = async (sub: Subscription): Promise<void> => {
    // Targets never run inside put(): a target that puts again must not re-enter the caller's put.
    await Promise.resolve();
    for (let next = sub.queue.shift(); next !== undefined; next = sub.queue.shift()) await deliver(sub, next);
  };

  const enqueue = (sub: Subscription, queued: Queued) => {
    sub.queue.push(queued);
    if (sub.workers.size >= sub.concurrency) return;
    busy.add(sub);
    // deliver() never rejects (failures become retries or dead letters), so this loop cannot either.
    const worker: Promise<void> = work(sub).finally(() => {
      sub.workers.delete(worker);
      if (sub.workers.size === 0) busy.delete(sub);
    });
    sub.workers.add(worker);
  };

  /** Accepts (or refuses) the entries synchronously, so that put order is queue order. */
  const accept = (entries: BusEntry[]): PutResult => {
    if (closed) throw new BusClosedError();
    checkEntryCount(entries);
    const results: PutResultEntry[] = [];
    for (const raw of entries) {
      const checked = checkEntry(raw);
      if (!checked.ok) {
        results.push({ ...checked.error });
        continue;
      }
      const { entry, detailJson } = checked;
      const candidates = [...subscriptions.values()].filter((sub) => sub.sources === undefined || sub.sources.has(entry.Source));
      if (candidates.length === 0) {
        // No rule can match this source: accepted and counted as EventBridge would, with no envelope to build.
        results.push({ EventId: ids() });
        continue;
      }
      const head: Omit<EventBridgeEnvelope, 'detail'> = {
        version: '0',
        id: ids(),
        'detail-type': entry.DetailType,
        source: entry.Source,
        account,
        time: envelopeTime(entry.Time ?? clock.now()),
        region,
        resources: [...(entry.Resources ?? [])],
      };
      // Round-tripped through JSON so targets see exactly what EventBridge would deliver. The
      // envelope's JSON is spliced from the detail's (same keys, same order as stringifying it whole).
      const envelope: EventBridgeEnvelope = { ...head, detail: JSON.parse(detailJson) as Record<string, unknown> };
      const serialised = `${JSON.stringify(head).slice(0, -1)},"detail":${detailJson}}`;
      // The envelope itself is a fresh parse no caller holds: the first matching rule gets it, the others their own copies.
      let fresh: EventBridgeEnvelope | undefined = envelope;
      for (const sub of candidates) {
        if (!sub.matcher.matches(envelope)) continue;
        enqueue(sub, { serialised, fresh });
        fresh = undefined;
      }
      results.push({ EventId: envelope.id });
    }
    return { FailedEntryCount: results.filter((r) => r.ErrorCode !== undefined).length, Entries: results };
  };

  const put = (entries: BusEntry[]): Promise<PutResult> => {
    try {
      return Promise.resolve(accept(entries));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  };

  const subscribe = (rule: BusRule): (() => void) => {
    if (closed) throw new BusClosedError();
    if (typeof rule.name !== 'string' || rule.name.length === 0) throw new Error('a rule needs a non-empty name');
    if (typeof rule.target !== 'function') throw new Error(`rule "${rule.name}" needs a target function`);
    if (subscriptions.has(rule.name)) throw new Error(`a rule named "${rule.name}" is already subscribed: unsubscribe it first or choose another name`);
    const concurrency = rule.maxConcurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`rule "${rule.name}" needs maxConcurrency to be a whole number >= 1, got ${concurrency}`);
    const sub: Subscription = {
      name: rule.name,
      matcher: compilePattern(rule.pattern),
      sources: plainSources(rule.pattern),
      target: rule.target,
      queue: [],
      concurrency,
      workers: new Set(),
    };
    subscriptions.set(rule.name, sub);
    // Unsubscribing stops new matches; events already queued for the rule are still delivered (at least once).
    return () => {
      if (subscriptions.get(rule.name) === sub) subscriptions.delete(rule.name);
    };
  };

  const drain = async (): Promise<void> => {
    // Deliveries can enqueue more (a target that puts), so wait until a pass finds nothing running.
    for (;;) {
      const pending = [...busy].flatMap((s) => [...s.workers]);
      if (pending.length === 0) return;
      await Promise.all(pending);
    }
  };

  return {
    put,
    subscribe,
    drain,
    close: async () => {
      closed = true;
      await drain();
    },
    deadLetters: (ruleName) => deadLetters.filter((d) => ruleName === undefined || d.rule === ruleName),
  };
};

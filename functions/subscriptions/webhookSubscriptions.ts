import type { EventBridgeEnvelope } from '../bus/envelope.ts';
import type { EventStore } from '../eventStore/eventStore.ts';
import type { SqliteDatabase } from '../eventStore/sqliteDatabase.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION, toPublishedEnvelope, type EnvelopeOrigin } from '../outbox/publishedEnvelope.ts';
import { systemClock, type Clock } from '../shared/clock.ts';
import { backoffDelay, defaultBackoff, judge, type BackoffPolicy } from './deliveryPolicy.ts';
import { signBody, SIGNATURE_HEADER } from './signature.ts';
import {
  createSqliteDeliveryStore,
  type DeadLetterFailure,
  type DeadLetterFilter,
  type Delivery,
  type NewDelivery,
  type StoredDeadLetter,
} from './sqliteDeliveryStore.ts';
import type { WebhookSubscription } from './subscriptionConfig.ts';
import { DeliveryAbortedError, sendWebhook, type WebhookSender } from './webhookSender.ts';

/** A dead letter as listed to operators: the envelope parsed. */
export interface DeadLetter extends Omit<StoredDeadLetter, 'envelope'> {
  readonly envelope: EventBridgeEnvelope;
}

/** Told as each attempt ends: what tests and logs wait on. */
export type DeliveryOutcome =
  | { readonly kind: 'delivered'; readonly subscription: string; readonly eventId: string; readonly attempts: number; readonly status: number }
  | {
      readonly kind: 'retrying';
      readonly subscription: string;
      readonly eventId: string;
      readonly attempts: number;
      readonly errorCode: string;
      readonly errorMessage: string;
      /** ms since the epoch (subscriptions clock). */
      readonly nextAttemptAt: number;
    }
  | { readonly kind: 'dead-lettered'; readonly subscription: string; readonly eventId: string; readonly deadLetter: DeadLetter };

export interface SubscriptionsLog {
  warn(details: Record<string, unknown>, message: string): void;
  error(details: Record<string, unknown>, message: string): void;
}

export interface WebhookSubscriptionsOptions {
  /** The events' SQLite file: queue, checkpoints and dead letters live beside the events. */
  readonly db: SqliteDatabase;
  readonly events: Pick<EventStore, 'readAll'> & { headPosition(): number };
  readonly subscriptions: readonly WebhookSubscription[];
  readonly clock?: Clock;
  /** Account and region written into envelopes and rule ARNs (the in-process bus's by default). */
  readonly origin?: EnvelopeOrigin;
  readonly backoff?: Partial<BackoffPolicy>;
  /** Jitter source in [0, 1). */
  readonly random?: () => number;
  /** Per attempt, connect to last byte (default 5000 ms, as API destinations). */
  readonly timeoutMs?: number;
  /** Attempts in flight at once per subscription (default 4). */
  readonly maxConcurrency?: number;
  /** Events read and matched per transaction (default 500). */
  readonly batchSize?: number;
  readonly send?: WebhookSender;
  readonly log?: SubscriptionsLog;
  readonly onOutcome?: (outcome: DeliveryOutcome) => void;
}

export interface WebhookSubscriptions {
  /** Wakes the matcher: call after appends. Cheap and safe to call often. */
  notify(): void;
  /** Resolves once every event appended before the call is matched and, where it matched, queued. */
  settled(): Promise<void>;
  /** Deliveries waiting (due or backing off), per subscription. */
  pending(): Map<string, number>;
  /** Dead letters, oldest first. */
  deadLetters(filter?: Omit<DeadLetterFilter, 'ids'>): DeadLetter[];
  /**
   * Queues dead letters again with a fresh retry budget, due now; returns how many. Only
   * subscriptions in the current file can be redriven (their target is needed to deliver).
   */
  redrive(filter?: Omit<DeadLetterFilter, 'limit'>): number;
  /**
   * Stops matching and delivering. Attempts in flight are abandoned: their deliveries stay queued
   * and are sent again after the next start (at least once).
   */
  stop(): Promise<void>;
}

const USER_AGENT = 'lwm2m-fleet/webhook-subscriptions';

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Webhook subscriptions for the embedded mode: EventBridge rules whose targets are HTTP endpoints,
 * delivered as API destinations deliver. It is a checkpointed consumer of the store (one checkpoint
 * per subscription): each page of events becomes the envelopes the outbox publishes, is matched
 * against every pattern, and the matches are queued in SQLite in the same transaction that moves
 * the checkpoints. Deliveries then run from that queue, several at once per subscription (so
 * order is not promised, as with EventBridge), retried with backoff, and end acknowledged (deleted)
 * or as dead letters. A restart resumes both: nothing queued is lost, and only deliveries that were
 * not acknowledged are sent again. Receivers de-duplicate with `x-fleet-event-id`.
 */
export const createWebhookSubscriptions = (options: WebhookSubscriptionsOptions): WebhookSubscriptions => {
  const { events, subscriptions } = options;
  const clock = options.clock ?? systemClock;
  const origin = { account: options.origin?.account ?? LOCAL_ACCOUNT, region: options.origin?.region ?? LOCAL_REGION };
  const backoff: BackoffPolicy = { ...defaultBackoff, ...options.backoff };
  const random = options.random ?? Math.random;
  const timeoutMs = options.timeoutMs ?? 5000;
  const maxConcurrency = options.maxConcurrency ?? 4;
  const batchSize = options.batchSize ?? 500;
  const send = options.send ?? sendWebhook;
  const store = createSqliteDeliveryStore(options.db);
  const byName = new Map(subscriptions.map((s) => [s.name, s]));
  const ruleArn = (name: string) => `arn:aws:events:${origin.region}:${origin.account}:rule/${name}`;
  const now = () => clock.now().getTime();
  const tell = (outcome: DeliveryOutcome) => {
    try {
      options.onOutcome?.(outcome);
    } catch {
      // An observer's failure must not disturb deliveries.
    }
  };

  // Where each subscription has matched up to. A new one starts at the head (only events from now
  // on, as a new EventBridge rule) unless it asks for the whole history; either way it is saved at once.
  const checkpoints = new Map<string, number>();
  const fresh = new Map<string, number>();
  for (const s of subscriptions) {
    const saved = store.checkpoint(s.name);
    const position = saved ?? (s.startFrom === 'beginning' ? 0 : events.headPosition());
    checkpoints.set(s.name, position);
    if (saved === undefined) fresh.set(s.name, position);
  }
  if (fresh.size > 0) store.enqueue([], fresh);
  for (const [name, count] of store.pending()) {
    if (!byName.has(name)) options.log?.warn({ subscription: name, pending: count }, 'deliveries are queued for a subscription that is no longer in the file: they wait until it is back');
  }

  let stopped = false;

  // ---- matching: store -> queue ------------------------------------------------------------

  let matching: Promise<void> | undefined;
  let dirty = false;
  let matchFailures = 0;
  let matchRetry: { timer: NodeJS.Timeout; resolve: () => void } | undefined;

  const matchPage = async (): Promise<boolean> => {
    if (subscriptions.length === 0) return false;
    const from = Math.min(...checkpoints.values());
    const page = (await events.readAll({ after: String(from), limit: batchSize })).events;
    const last = page.at(-1)?.globalPosition;
    if (last === undefined) {
      if (page.length > 0) throw new Error('webhook subscriptions need a store with global positions (SQLite)');
      return false;
    }
    const queued: NewDelivery[] = [];
    const enqueuedAt = now();
    for (const event of page) {
      let envelope: EventBridgeEnvelope | undefined;
      let json: string | undefined;
      for (const s of subscriptions) {
        if ((event.globalPosition ?? 0) <= checkpoints.get(s.name)!) continue;
        envelope ??= toPublishedEnvelope(event, origin);
        if (!s.matcher.matches(envelope)) continue;
        json ??= JSON.stringify(envelope);
        queued.push({ subscription: s.name, eventId: event.eventId, position: event.globalPosition!, envelope: json, enqueuedAt });
      }
    }
    const moved = new Map(subscriptions.filter((s) => checkpoints.get(s.name)! < last).map((s) => [s.name, last]));
    store.enqueue(queued, moved);
    for (const [name, position] of moved) checkpoints.set(name, position);
    if (queued.length > 0) pump();
    return page.length === batchSize;
  };

  const matchLoop = async () => {
    do {
      dirty = false;
      try {
        while (!stopped && (await matchPage()));
        matchFailures = 0;
      } catch (error) {
        matchFailures++;
        options.log?.error({ err: messageOf(error), failures: matchFailures }, 'webhook subscriptions could not match new events; retrying');
        if (stopped) return;
        await new Promise<void>((resolve) => {
          matchRetry = { timer: setTimeout(resolve, Math.min(30_000, 200 * 2 ** (matchFailures - 1))), resolve };
        });
        matchRetry = undefined;
        dirty = true;
      }
    } while (dirty && !stopped);
  };

  const notify = () => {
    if (stopped) return;
    if (matching) {
      dirty = true;
      return;
    }
    matching = matchLoop().finally(() => {
      matching = undefined;
    });
  };

  // ---- delivering: queue -> HTTP -----------------------------------------------------------

  const inFlight = new Map<number, { subscription: string; abort: AbortController; done: Promise<void> }>();
  let timer: NodeJS.Timeout | undefined;

  const parseEnvelope = (json: string) => JSON.parse(json) as EventBridgeEnvelope;

  const toDeadLetterView = (l: StoredDeadLetter): DeadLetter => ({ ...l, envelope: parseEnvelope(l.envelope) });

  const bury = (delivery: Delivery, failure: DeadLetterFailure) => {
    const id = store.deadLetter(delivery, failure);
    const { envelope: _json, id: _deliveryId, nextAttemptAt: _next, lastError: _last, ...rest } = delivery;
    const deadLetter: DeadLetter = { ...rest, ...failure, id, envelope: parseEnvelope(delivery.envelope) };
    options.log?.warn(
      { subscription: delivery.subscription, eventId: delivery.eventId, attempts: failure.attempts, errorCode: failure.errorCode, err: failure.errorMessage },
      'webhook delivery dead-lettered',
    );
    tell({ kind: 'dead-lettered', subscription: delivery.subscription, eventId: delivery.eventId, deadLetter });
  };

  const bodyOf = (s: WebhookSubscription, delivery: Delivery, envelope: EventBridgeEnvelope): string => {
    const input = s.input;
    if (input.kind === 'event') return delivery.envelope;
    if (input.kind === 'path') {
      const selected = input.path.evaluate(envelope);
      return JSON.stringify(selected.found ? selected.value : null) ?? 'null';
    }
    const recordedAt = envelope.detail.recordedAt;
    return input.transform(envelope, {
      ruleName: s.name,
      ruleArn: ruleArn(s.name),
      ingestionTime: typeof recordedAt === 'string' ? recordedAt : envelope.time,
    });
  };

  const attempt = async (s: WebhookSubscription, delivery: Delivery, signal: AbortSignal): Promise<void> => {
    const attempts = delivery.attempts + 1;
    const maxAgeMs = s.retry.maximumEventAgeSeconds * 1000;
    if (delivery.attempts > 0 && now() - delivery.enqueuedAt > maxAgeMs) {
      bury(delivery, {
        attempts: delivery.attempts,
        failedAt: now(),
        errorCode: 'MaximumEventAgeExceeded',
        errorMessage: `the event waited longer than ${s.retry.maximumEventAgeSeconds} s; last error: ${delivery.lastError ?? 'none'}`,
        exhaustedRetryCondition: 'MaximumEventAgeInSeconds',
      });
      return;
    }
    const envelope = parseEnvelope(delivery.envelope);
    let body: string;
    try {
      body = bodyOf(s, delivery, envelope);
    } catch (error) {
      bury(delivery, { attempts, failedAt: now(), errorCode: 'InputTransformationFailed', errorMessage: messageOf(error) });
      return;
    }
    const result = await send({
      url: s.url,
      method: s.method,
      headers: {
        ...s.headers,
        'content-type': 'application/json; charset=utf-8',
        'user-agent': USER_AGENT,
        'x-fleet-event-id': delivery.eventId,
        'x-fleet-subscription': s.name,
        'x-fleet-delivery-attempt': String(attempts),
        [SIGNATURE_HEADER]: signBody(body, s.secret),
      },
      body,
      timeoutMs,
      signal,
    });
    if (stopped) return; // the answer came as we stop: leave the delivery queued rather than write to a closing database
    const at = clock.now();
    const verdict = judge(result, at);
    if (verdict.kind === 'delivered') {
      store.acknowledge(delivery.id);
      tell({ kind: 'delivered', subscription: s.name, eventId: delivery.eventId, attempts, status: verdict.status });
      return;
    }
    const failure = { attempts, failedAt: at.getTime(), errorCode: verdict.errorCode, errorMessage: verdict.errorMessage, status: verdict.status };
    if (verdict.kind === 'fail') {
      bury(delivery, failure);
      return;
    }
    if (verdict.retryAfterMs !== undefined && verdict.retryAfterMs < 0) {
      bury(delivery, { ...failure, errorCode: 'RetryAfterRefused', errorMessage: `${verdict.errorMessage} with a negative Retry-After: the receiver asks not to retry` });
      return;
    }
    if (attempts - 1 >= s.retry.maximumRetryAttempts) {
      bury(delivery, { ...failure, exhaustedRetryCondition: 'MaximumRetryAttempts' });
      return;
    }
    // The more patient of our backoff and the receiver's Retry-After.
    const delay = Math.max(backoffDelay(attempts, backoff, random), verdict.retryAfterMs ?? 0);
    const nextAttemptAt = at.getTime() + delay;
    if (nextAttemptAt - delivery.enqueuedAt > maxAgeMs) {
      bury(delivery, { ...failure, exhaustedRetryCondition: 'MaximumEventAgeInSeconds' });
      return;
    }
    const lastError = `${verdict.errorCode}: ${verdict.errorMessage}`;
    store.reschedule(delivery.id, attempts, nextAttemptAt, lastError);
    tell({ kind: 'retrying', subscription: s.name, eventId: delivery.eventId, attempts, errorCode: verdict.errorCode, errorMessage: verdict.errorMessage, nextAttemptAt });
  };

  const start = (s: WebhookSubscription, delivery: Delivery) => {
    const abort = new AbortController();
    const done = attempt(s, delivery, abort.signal)
      .catch((error: unknown) => {
        if (error instanceof DeliveryAbortedError) return;
        // A store write failed (the database closing): the delivery stays queued as it was.
        options.log?.error({ subscription: s.name, eventId: delivery.eventId, err: messageOf(error) }, 'webhook delivery could not be recorded; it will be sent again');
      })
      .finally(() => {
        inFlight.delete(delivery.id);
        pump();
      });
    inFlight.set(delivery.id, { subscription: s.name, abort, done });
  };

  /** Starts every due delivery there is room for, then sleeps until the next retry is due. */
  function pump(): void {
    if (stopped) return;
    const t = now();
    const busy = new Set(inFlight.keys());
    for (const s of subscriptions) {
      let running = 0;
      for (const f of inFlight.values()) if (f.subscription === s.name) running++;
      for (const delivery of store.due(s.name, t, maxConcurrency - running, busy)) start(s, delivery);
    }
    if (timer) clearTimeout(timer);
    timer = undefined;
    const next = store.nextAttemptAfter(t);
    if (next !== undefined) {
      timer = setTimeout(pump, Math.max(0, next - now()));
      // Waiting retries alone must not keep a process alive that has nothing else to do.
      timer.unref();
    }
  }

  notify();
  pump();

  return {
    notify,
    async settled() {
      notify();
      while (matching) await matching;
    },
    pending: () => store.pending(),
    deadLetters: (filter = {}) => store.deadLetters(filter).map(toDeadLetterView),
    redrive(filter = {}) {
      if (filter.subscription !== undefined && !byName.has(filter.subscription)) {
        throw new Error(`no subscription named "${filter.subscription}" is configured; known: ${[...byName.keys()].join(', ') || 'none'}`);
      }
      const letters = store.deadLetters(filter);
      const orphans = [...new Set(letters.filter((l) => !byName.has(l.subscription)).map((l) => l.subscription))];
      if (orphans.length > 0) {
        throw new Error(`dead letters of ${orphans.map((o) => `"${o}"`).join(', ')} cannot be redriven: that subscription is no longer in the file (add it back first)`);
      }
      const moved = store.redrive(letters, now());
      if (moved > 0) pump();
      return moved;
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (matchRetry) {
        clearTimeout(matchRetry.timer);
        matchRetry.resolve();
      }
      for (const f of inFlight.values()) f.abort.abort();
      while (matching) await matching;
      await Promise.all([...inFlight.values()].map((f) => f.done));
    },
  };
};

import type { Scheduler, TimerHandle } from '../lwm2m/scheduler.ts';
import type { Attributes } from './notificationAttributes.ts';

/**
 * The observations the server holds on this device (RFC 7641, LwM2M Core 1.1 §6.4.1) and when
 * each one notifies:
 *
 * - a value under the observed path changed, and, on a numeric resource with gt/lt/st, it
 *   crossed gt or lt (either way) or moved by st since the last notification;
 * - but never sooner than pmin after the previous notification (a change inside pmin is sent
 *   when pmin has passed, with the value of that moment);
 * - and at least every pmax, changed or not (pmax below pmin is ignored, as the spec says).
 *
 * The initial answer counts as the first notification. A notification the server answers with
 * RST, or never acknowledges, ends the observation (RFC 7641 §3.6, §4.5).
 */

export interface ObservationDeps {
  readonly scheduler: Scheduler;
  /** The attributes in force for a path (object → instance → resource, over the server's defaults). */
  readonly attributes: (path: readonly number[]) => Attributes;
  /** The numeric value at a single numeric resource, for gt/lt/st; undefined elsewhere. */
  readonly numericValue: (path: readonly number[]) => number | undefined;
  /** Sends one notification; resolves 'keep', or 'drop' when the observation is over. */
  readonly send: (observation: Observation, confirmable: boolean | undefined) => Promise<'keep' | 'drop'>;
}

export class Observation {
  lastSentAt: number;
  lastValue: number | undefined;
  minTimer: TimerHandle | undefined;
  maxTimer: TimerHandle | undefined;
  notifications = 0;

  constructor(
    readonly token: Buffer,
    readonly path: readonly number[],
    /** The Content-Format of the initial answer; every notification uses the same. */
    readonly contentFormat: number,
    now: number,
    value: number | undefined,
  ) {
    this.lastSentAt = now;
    this.lastValue = value;
  }

  get pathText(): string {
    return `/${this.path.join('/')}`;
  }

  stop(): void {
    this.minTimer?.cancel();
    this.maxTimer?.cancel();
    this.minTimer = undefined;
    this.maxTimer = undefined;
  }
}

/** A change at `changed` concerns an observation of `observed` when one path contains the other. */
const related = (observed: readonly number[], changed: readonly number[]): boolean => {
  const n = Math.min(observed.length, changed.length);
  for (let i = 0; i < n; i++) if (observed[i] !== changed[i]) return false;
  return true;
};

const parse = (path: string): number[] => path.split('/').filter((s) => s !== '').map(Number);

export class Observations {
  private readonly byToken = new Map<string, Observation>();

  constructor(private readonly deps: ObservationDeps) {}

  get size(): number {
    return this.byToken.size;
  }

  all(): Observation[] {
    return [...this.byToken.values()];
  }

  /** Registers an observation (a GET with Observe=0 on the same token replaces the old one). */
  add(token: Buffer, path: readonly number[], contentFormat: number): Observation {
    this.remove(token);
    const observation = new Observation(token, path, contentFormat, this.deps.scheduler.now(), this.deps.numericValue(path));
    this.byToken.set(token.toString('hex'), observation);
    this.armMax(observation);
    return observation;
  }

  remove(token: Buffer): boolean {
    const key = token.toString('hex');
    const observation = this.byToken.get(key);
    if (observation === undefined) return false;
    observation.stop();
    this.byToken.delete(key);
    return true;
  }

  /** Forgets every observation: a new registration means the server forgot them (LwM2M §6.2.1). */
  clear(): void {
    for (const observation of this.byToken.values()) observation.stop();
    this.byToken.clear();
  }

  /** Values changed at these paths. */
  changed(paths: readonly string[]): void {
    if (this.byToken.size === 0) return;
    const changed = paths.map(parse);
    for (const observation of [...this.byToken.values()]) {
      if (!changed.some((p) => related(observation.path, p))) continue;
      const attributes = this.deps.attributes(observation.path);
      if (!this.passesThresholds(observation, attributes)) continue;
      this.schedule(observation, attributes);
    }
  }

  /** Attributes were written: pmax timers restart with the new values. */
  attributesChanged(): void {
    for (const observation of this.byToken.values()) {
      observation.maxTimer?.cancel();
      observation.maxTimer = undefined;
      this.armMax(observation);
    }
  }

  private passesThresholds(observation: Observation, attributes: Attributes): boolean {
    const { gt, lt, st } = attributes;
    if (gt === undefined && lt === undefined && st === undefined) return true;
    const value = this.deps.numericValue(observation.path);
    const previous = observation.lastValue;
    if (value === undefined || previous === undefined) return true;
    if (gt !== undefined && (previous > gt) !== (value > gt)) return true;
    if (lt !== undefined && (previous < lt) !== (value < lt)) return true;
    return st !== undefined && Math.abs(value - previous) >= st;
  }

  private schedule(observation: Observation, attributes: Attributes): void {
    const pminMs = (attributes.pmin ?? 0) * 1000;
    const since = this.deps.scheduler.now() - observation.lastSentAt;
    if (since >= pminMs) {
      this.fire(observation);
      return;
    }
    observation.minTimer ??= this.deps.scheduler.after(pminMs - since, () => {
      observation.minTimer = undefined;
      this.fire(observation);
    });
  }

  private armMax(observation: Observation): void {
    const { pmin, pmax } = this.deps.attributes(observation.path);
    if (pmax === undefined || pmax <= 0 || (pmin !== undefined && pmax < pmin)) return;
    const due = observation.lastSentAt + pmax * 1000 - this.deps.scheduler.now();
    observation.maxTimer = this.deps.scheduler.after(Math.max(0, due), () => {
      observation.maxTimer = undefined;
      this.fire(observation);
    });
  }

  private fire(observation: Observation): void {
    if (this.byToken.get(observation.token.toString('hex')) !== observation) return;
    observation.stop();
    observation.lastSentAt = this.deps.scheduler.now();
    observation.lastValue = this.deps.numericValue(observation.path);
    observation.notifications += 1;
    this.armMax(observation);
    const con = this.deps.attributes(observation.path).con;
    const dropIfOver = (verdict: 'keep' | 'drop') => {
      if (verdict === 'drop' && this.byToken.get(observation.token.toString('hex')) === observation) this.remove(observation.token);
    };
    // A send that fails is a notification lost, not an observation lost: the next change retries.
    this.deps.send(observation, con === undefined ? undefined : con === 1).then(dropIfOver, () => undefined);
  }
}

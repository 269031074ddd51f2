import { Code, formatCode, Method, type CoapMessage } from '../lwm2m/coap/message.ts';
import { Option, option, stringOptions, uintOption } from '../lwm2m/coap/options.ts';
import type { Scheduler, TimerHandle } from '../lwm2m/scheduler.ts';
import { CONTENT_FORMAT, type Lwm2mVersion } from '../../schemas/lwm2m/index.ts';
import type { ClientRequest } from './coapClient.ts';

/**
 * The client side of the Registration Interface (LwM2M Core 1.1 §6.2, Transport §6.4.2):
 *
 *   Register    POST /rd?ep=..&lt=..&lwm2m=..&b=..[&Q]   → 2.01 + Location-Path
 *   Update      POST /rd/{location}[?lt=..&b=..]         → 2.04
 *   De-register DELETE /rd/{location}                    → 2.02
 *
 * An Update goes out before the lifetime runs out (`updateLeadMs` before it, and never later than
 * half-way), and whenever something the server holds changed: the lifetime, the binding, or the
 * objects (a new 18830 instance after the bootstrap). Only what changed is sent. An Update
 * answered 4.04 means the server forgot the registration (it restarted, or the registration
 * expired): the client registers again at once. Any other failure retries with exponential
 * back-off and jitter, so a fleet that lost its server does not come back all in the same second;
 * a 5.03 with Max-Age waits as long as the server asks.
 */

export type RegisterReason = 'start' | 'not-found' | 'retry' | 'reboot';

export interface RegistrationHooks {
  readonly registered: (location: string, reason: RegisterReason) => void;
  readonly updated: (location: string, objectsSent: boolean) => void;
  readonly failed: (operation: 'register' | 'update', reason: string, retryInMs: number) => void;
  readonly deregistered: () => void;
}

export interface RegistrationOptions {
  readonly request: (request: ClientRequest) => Promise<CoapMessage>;
  readonly scheduler: Scheduler;
  readonly random: () => number;
  readonly endpoint: string;
  readonly version: Lwm2mVersion;
  /** Read at each Register/Update: the Server object holds them and the server may write them. */
  readonly lifetimeSeconds: () => number;
  readonly queueMode: () => boolean;
  readonly links: () => string;
  /** Send the Update this long before the lifetime ends (a CON may need MAX_TRANSMIT_WAIT to get through). */
  readonly updateLeadMs: number;
  readonly retry: { readonly initialMs: number; readonly maxMs: number };
  readonly hooks: RegistrationHooks;
}

interface Sent {
  readonly lifetimeSeconds: number;
  readonly queueMode: boolean;
  readonly links: string;
}

export type RegistrationState = 'idle' | 'registering' | 'registered' | 'stopped';

export class RegistrationClient {
  private stateValue: RegistrationState = 'idle';
  private location: string[] | undefined;
  private sent: Sent | undefined;
  private timer: TimerHandle | undefined;
  private failures = 0;
  private busy = false;
  /** An Update was asked for while another operation was under way. */
  private updateWanted = false;
  /** Bumped by start and stop: an answer to an older generation's request is ignored. */
  private epoch = 0;

  constructor(private readonly options: RegistrationOptions) {}

  get state(): RegistrationState {
    return this.stateValue;
  }

  /** '/rd/abc' while registered. */
  get locationPath(): string | undefined {
    return this.location === undefined ? undefined : `/${this.location.join('/')}`;
  }

  start(reason: RegisterReason = 'start'): void {
    this.epoch += 1;
    this.stateValue = 'registering';
    this.failures = 0;
    this.run(() => this.register(reason));
  }

  /** Something the server holds changed: tell it now (or right after the exchange under way). */
  requestUpdate(): void {
    if (this.stateValue !== 'registered') return;
    if (this.busy) {
      this.updateWanted = true;
      return;
    }
    this.run(() => this.update());
  }

  /** Stops every timer; with `deregister`, tells the server first. Never throws. */
  async stop(options: { readonly deregister: boolean }): Promise<void> {
    const location = this.location;
    const wasRegistered = this.stateValue === 'registered';
    this.epoch += 1;
    this.stateValue = 'stopped';
    this.timer?.cancel();
    this.timer = undefined;
    this.location = undefined;
    if (!options.deregister || !wasRegistered || location === undefined) return;
    try {
      const response = await this.options.request({ code: Method.DELETE, options: location.map((segment) => option(Option.URI_PATH, segment)) });
      // 4.04: it was gone already, which is what De-register wants.
      if (response.code === Code.DELETED || response.code === Code.NOT_FOUND) this.options.hooks.deregistered();
    } catch {
      // The server did not answer: the registration expires there on its own.
    }
  }

  /** Runs one operation at a time; an Update asked for meanwhile follows it. */
  private run(operation: () => Promise<void>): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.busy = true;
    operation()
      .catch(() => undefined)
      .finally(() => {
        this.busy = false;
        if (this.updateWanted && this.stateValue === 'registered') {
          this.updateWanted = false;
          this.run(() => this.update());
        }
      })
      .catch(() => undefined);
  }

  private schedule(ms: number, operation: () => Promise<void>): void {
    this.timer?.cancel();
    this.timer = this.options.scheduler.after(ms, () => {
      this.timer = undefined;
      if (this.stateValue !== 'stopped') this.run(operation);
    });
  }

  private backoffMs(): number {
    const { initialMs, maxMs } = this.options.retry;
    const base = Math.min(maxMs, initialMs * 2 ** Math.min(this.failures, 20));
    this.failures += 1;
    // Jitter in [base/2, base): devices that failed together retry apart.
    return Math.round(base / 2 + (this.options.random() * base) / 2);
  }

  private scheduleNextUpdate(): void {
    const lifetimeMs = (this.sent?.lifetimeSeconds ?? 0) * 1000;
    if (lifetimeMs === 0) return;
    this.schedule(Math.max(lifetimeMs - this.options.updateLeadMs, lifetimeMs / 2), () => this.update());
  }

  private retryRegister(reason: string, response?: CoapMessage): void {
    const maxAge = response?.code === Code.SERVICE_UNAVAILABLE ? uintOption(response, Option.MAX_AGE) : undefined;
    const wait = maxAge !== undefined ? maxAge * 1000 : this.backoffMs();
    this.options.hooks.failed('register', reason, wait);
    this.schedule(wait, () => this.register('retry'));
  }

  private async register(reason: RegisterReason): Promise<void> {
    if (this.stateValue === 'stopped') return;
    const epoch = this.epoch;
    this.stateValue = 'registering';
    this.location = undefined;
    const { version, endpoint } = this.options;
    const now: Sent = { lifetimeSeconds: this.options.lifetimeSeconds(), queueMode: this.options.queueMode(), links: this.options.links() };
    const query = [`ep=${endpoint}`, `lt=${now.lifetimeSeconds}`, `lwm2m=${version}`, ...bindingQuery(version, now.queueMode)];
    let response: CoapMessage;
    try {
      response = await this.options.request({
        code: Method.POST,
        options: [option(Option.URI_PATH, 'rd'), ...query.map((q) => option(Option.URI_QUERY, q)), option(Option.CONTENT_FORMAT, CONTENT_FORMAT.LINK_FORMAT)],
        payload: Buffer.from(now.links, 'utf8'),
      });
    } catch (error) {
      if (epoch !== this.epoch) return;
      this.retryRegister(error instanceof Error ? error.message : String(error));
      return;
    }
    if (epoch !== this.epoch) return;
    const location = stringOptions(response, Option.LOCATION_PATH);
    if (response.code !== Code.CREATED || location.length === 0) {
      this.retryRegister(`Register answered ${formatCode(response.code)}${diagnostic(response)}`, response);
      return;
    }
    this.location = location;
    this.sent = now;
    this.failures = 0;
    this.stateValue = 'registered';
    this.options.hooks.registered(`/${location.join('/')}`, reason);
    // Anything that changed while the Register was on its way goes in an Update.
    if (this.options.links() !== now.links || this.options.lifetimeSeconds() !== now.lifetimeSeconds || this.options.queueMode() !== now.queueMode) {
      this.updateWanted = true;
    }
    this.scheduleNextUpdate();
  }

  private async update(): Promise<void> {
    const location = this.location;
    const sent = this.sent;
    if (this.stateValue !== 'registered' || location === undefined || sent === undefined) return;
    const epoch = this.epoch;
    const now: Sent = { lifetimeSeconds: this.options.lifetimeSeconds(), queueMode: this.options.queueMode(), links: this.options.links() };
    const query = [
      ...(now.lifetimeSeconds !== sent.lifetimeSeconds ? [`lt=${now.lifetimeSeconds}`] : []),
      ...(now.queueMode !== sent.queueMode ? bindingQuery(this.options.version, now.queueMode) : []),
    ];
    const objectsSent = now.links !== sent.links;
    let response: CoapMessage;
    try {
      response = await this.options.request({
        code: Method.POST,
        options: [
          ...location.map((segment) => option(Option.URI_PATH, segment)),
          ...query.map((q) => option(Option.URI_QUERY, q)),
          ...(objectsSent ? [option(Option.CONTENT_FORMAT, CONTENT_FORMAT.LINK_FORMAT)] : []),
        ],
        ...(objectsSent ? { payload: Buffer.from(now.links, 'utf8') } : {}),
      });
    } catch (error) {
      if (epoch !== this.epoch || this.stateValue !== 'registered') return;
      // No answer: the server may be gone or restarting; register afresh after a pause.
      const wait = this.backoffMs();
      this.options.hooks.failed('update', error instanceof Error ? error.message : String(error), wait);
      this.schedule(wait, () => this.register('retry'));
      return;
    }
    if (epoch !== this.epoch || this.stateValue !== 'registered') return;
    if (response.code === Code.CHANGED) {
      this.sent = now;
      this.failures = 0;
      this.options.hooks.updated(`/${location.join('/')}`, objectsSent);
      this.scheduleNextUpdate();
      return;
    }
    this.options.hooks.failed('update', `Update answered ${formatCode(response.code)}${diagnostic(response)}`, 0);
    if (response.code === Code.NOT_FOUND) {
      // The server forgot us (restart, expiry): register again at once.
      await this.register('not-found');
      return;
    }
    const wait = this.backoffMs();
    this.schedule(wait, () => this.register('retry'));
  }
}

/** Queue mode is `b=UQ` in 1.0 and `b=U&Q` from 1.1 (Transport 1.1 §6.4). */
const bindingQuery = (version: Lwm2mVersion, queueMode: boolean): string[] => {
  if (version === '1.0') return [`b=${queueMode ? 'UQ' : 'U'}`];
  return queueMode ? ['b=U', 'Q'] : ['b=U'];
};

const diagnostic = (response: CoapMessage): string => (response.payload.length > 0 && response.payload.length <= 200 ? ` (${response.payload.toString('utf8')})` : '');

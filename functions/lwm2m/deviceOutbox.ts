import type { OutgoingRequest } from './coap/endpoint.ts';
import type { CoapMessage } from './coap/message.ts';
import { Lwm2mError } from './errors.ts';
import type { Scheduler, TimerHandle } from './scheduler.ts';
import type { PeerAddress } from './transport.ts';

/**
 * Requests waiting for one device, keyed by endpoint name so they survive a re-registration.
 *
 * - At most `nstart` requests are outstanding towards a device at once (RFC 7252 §4.7 NSTART = 1):
 *   constrained devices often handle one request at a time.
 * - A queue-mode device (LwM2M Core §6.5) is reachable only for `awakeMs` after it last sent
 *   something; outside that window requests wait here until it registers, updates or otherwise
 *   speaks, and then go out in order. A request that waits longer than `queueTimeoutMs` fails
 *   with kind 'queue-expired'; past `maxQueued` waiting requests a new one fails with 'queue-full'.
 */

export interface OutboxTarget {
  readonly address: PeerAddress;
  readonly queueMode: boolean;
}

export interface OutboxSettings {
  readonly scheduler: Scheduler;
  readonly send: (peer: PeerAddress, request: OutgoingRequest) => Promise<CoapMessage>;
  readonly nstart: number;
  readonly awakeMs: number;
  readonly queueTimeoutMs: number;
  readonly maxQueued: number;
  readonly onExpired: () => void;
  readonly onFull: () => void;
}

interface Job {
  readonly request: OutgoingRequest;
  readonly describe: string;
  readonly onDispatch: ((peer: PeerAddress) => void) | undefined;
  readonly resolve: (message: CoapMessage) => void;
  readonly reject: (error: Error) => void;
  expiry: TimerHandle | undefined;
}

export class DeviceOutbox {
  private readonly queue: Job[] = [];
  private inFlight = 0;
  private awakeUntil = 0;
  private pumpScheduled = false;

  constructor(
    readonly endpoint: string,
    private target: OutboxTarget | undefined,
    private readonly settings: OutboxSettings,
  ) {}

  get waiting(): number {
    return this.queue.length;
  }

  get busy(): boolean {
    return this.inFlight > 0 || this.queue.length > 0;
  }

  /** Queues a request; `onDispatch` learns the address it finally leaves for. */
  submit(request: OutgoingRequest, describe: string, onDispatch?: (peer: PeerAddress) => void): Promise<CoapMessage> {
    return new Promise<CoapMessage>((resolve, reject) => {
      if (this.queue.length >= this.settings.maxQueued) {
        this.settings.onFull();
        reject(new Lwm2mError('queue-full', `${describe}: ${this.queue.length} requests already wait for ${this.endpoint} (maxQueuedRequests); try later`));
        return;
      }
      const job: Job = { request, describe, onDispatch, resolve, reject, expiry: undefined };
      job.expiry = this.settings.scheduler.after(this.settings.queueTimeoutMs, () => {
        const at = this.queue.indexOf(job);
        if (at < 0) return;
        this.queue.splice(at, 1);
        this.settings.onExpired();
        reject(
          new Lwm2mError(
            'queue-expired',
            `${describe}: ${this.endpoint} did not come online within ${this.settings.queueTimeoutMs} ms (queueTimeoutMs); the request was not sent`,
          ),
        );
      });
      this.queue.push(job);
      this.schedulePump();
    });
  }

  /** The device spoke (Register, Update, any message): a queue-mode device is awake now. */
  heardFrom(): void {
    this.awakeUntil = this.settings.scheduler.now() + this.settings.awakeMs;
    this.schedulePump();
  }

  retarget(target: OutboxTarget): void {
    this.target = target;
    this.schedulePump();
  }

  /** The device is gone: nothing waiting will ever be sent. Requests already sent finish on their own. */
  failWaiting(error: Error): void {
    this.target = undefined;
    for (const job of this.queue.splice(0)) {
      job.expiry?.cancel();
      job.reject(error);
    }
  }

  // Deferred so the answer to the Register/Update that woke the device leaves before queued requests.
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    queueMicrotask(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (this.queue.length > 0 && this.inFlight < this.settings.nstart && this.canSend()) {
      const job = this.queue.shift()!;
      job.expiry?.cancel();
      const peer = this.target!.address;
      job.onDispatch?.(peer);
      this.inFlight += 1;
      // Never rejects: job.reject takes the failure.
      void this.settings
        .send(peer, job.request)
        .then(job.resolve, job.reject)
        .finally(() => {
          this.inFlight -= 1;
          this.schedulePump();
        });
    }
  }

  private canSend(): boolean {
    if (this.target === undefined) return false;
    return !this.target.queueMode || this.settings.scheduler.now() < this.awakeUntil;
  }
}

import { randomBytes } from 'node:crypto';
import type { ObjectLinks } from './registrationObjects.ts';
import type { Lwm2mVersion, RegisterParams, UpdateParams } from './registrationQuery.ts';
import type { Scheduler, TimerHandle } from './scheduler.ts';
import { peerKey, type PeerAddress } from './transport.ts';

/** One live registration, as the bridge sees it. Immutable: every change makes a new object. */
export interface Registration {
  /** The location id: the client updates and de-registers at /rd/{id}. 128 random bits. */
  readonly id: string;
  readonly endpoint: string;
  /** Seconds; 0 = no expiry. */
  readonly lifetimeSeconds: number;
  readonly lwm2mVersion: Lwm2mVersion;
  readonly binding: string;
  readonly queueMode: boolean;
  readonly smsNumber?: string;
  readonly objectLinks: ObjectLinks;
  /** Where requests to the device go: the source of its last Register or Update. */
  readonly address: PeerAddress;
  /** The peer identity the transport proved (DTLS), when there is one. */
  readonly identity?: string;
  readonly registeredAt: string;
  readonly updatedAt: string;
  /** Absent when the lifetime is 0 (no expiry). */
  readonly expiresAt?: string;
}

export type RemovalReason = 'deregistered' | 'expired' | 'replaced' | 'server-closed';

export interface RegistrationLifecycle {
  registered(registration: Registration, replaced: Registration | undefined): void;
  updated(registration: Registration, previous: Registration): void;
  removed(registration: Registration, reason: RemovalReason): void;
}

/**
 * The registrations this server holds, indexed by location id, endpoint name and source address,
 * with one lifetime timer each (LwM2M Core §6.2: a registration not updated within its lifetime
 * is removed). A Register with an endpoint name already registered replaces that registration.
 */
export class Registrations {
  private readonly byId = new Map<string, Registration>();
  private readonly byEndpoint = new Map<string, string>();
  private readonly byPeer = new Map<string, string>();
  private readonly timers = new Map<string, TimerHandle>();

  constructor(
    private readonly scheduler: Scheduler,
    /** Added to every lifetime before expiry, for a late Update in flight. */
    private readonly graceMs: number,
    private readonly lifecycle: RegistrationLifecycle,
  ) {}

  get size(): number {
    return this.byId.size;
  }

  all(): Registration[] {
    return [...this.byId.values()];
  }

  get(id: string): Registration | undefined {
    return this.byId.get(id);
  }

  byEndpointName(endpoint: string): Registration | undefined {
    const id = this.byEndpoint.get(endpoint);
    return id === undefined ? undefined : this.byId.get(id);
  }

  byAddress(peer: PeerAddress): Registration | undefined {
    const id = this.byPeer.get(peerKey(peer));
    return id === undefined ? undefined : this.byId.get(id);
  }

  register(params: RegisterParams, objectLinks: ObjectLinks, address: PeerAddress, identity: string | undefined): Registration {
    const now = this.scheduler.now();
    const registration: Registration = {
      id: randomBytes(16).toString('base64url'),
      endpoint: params.endpoint,
      lifetimeSeconds: params.lifetimeSeconds,
      lwm2mVersion: params.lwm2mVersion,
      binding: params.binding,
      queueMode: params.queueMode,
      ...(params.smsNumber !== undefined ? { smsNumber: params.smsNumber } : {}),
      objectLinks,
      address: { address: address.address, port: address.port },
      ...(identity !== undefined ? { identity } : {}),
      registeredAt: new Date(now).toISOString(),
      updatedAt: new Date(now).toISOString(),
      ...expiry(now, params.lifetimeSeconds),
    };
    const replaced = this.byEndpointName(params.endpoint);
    if (replaced !== undefined) this.drop(replaced);
    // Another endpoint at the same address (a device that rebooted under a new name) loses the address index, not its registration.
    this.index(registration);
    this.arm(registration);
    if (replaced !== undefined) this.lifecycle.removed(replaced, 'replaced');
    this.lifecycle.registered(registration, replaced);
    return registration;
  }

  update(id: string, params: UpdateParams, objectLinks: ObjectLinks | undefined, address: PeerAddress): Registration | undefined {
    const previous = this.byId.get(id);
    if (previous === undefined) return undefined;
    const now = this.scheduler.now();
    const lifetimeSeconds = params.lifetimeSeconds ?? previous.lifetimeSeconds;
    const { expiresAt: _dropped, ...rest } = previous;
    const registration: Registration = {
      ...rest,
      lifetimeSeconds,
      ...(params.binding !== undefined ? { binding: params.binding } : {}),
      ...(params.queueMode !== undefined ? { queueMode: params.queueMode } : {}),
      ...(params.smsNumber !== undefined ? { smsNumber: params.smsNumber } : {}),
      ...(objectLinks !== undefined ? { objectLinks } : {}),
      address: { address: address.address, port: address.port },
      updatedAt: new Date(now).toISOString(),
      ...expiry(now, lifetimeSeconds),
    };
    this.drop(previous);
    this.index(registration);
    this.arm(registration);
    this.lifecycle.updated(registration, previous);
    return registration;
  }

  remove(id: string, reason: RemovalReason): Registration | undefined {
    const registration = this.byId.get(id);
    if (registration === undefined) return undefined;
    this.drop(registration);
    this.lifecycle.removed(registration, reason);
    return registration;
  }

  /** Cancels every lifetime timer and reports each registration removed with reason 'server-closed'. */
  clear(): void {
    for (const registration of this.all()) this.remove(registration.id, 'server-closed');
  }

  private index(registration: Registration): void {
    this.byId.set(registration.id, registration);
    this.byEndpoint.set(registration.endpoint, registration.id);
    this.byPeer.set(peerKey(registration.address), registration.id);
  }

  private drop(registration: Registration): void {
    this.timers.get(registration.id)?.cancel();
    this.timers.delete(registration.id);
    this.byId.delete(registration.id);
    if (this.byEndpoint.get(registration.endpoint) === registration.id) this.byEndpoint.delete(registration.endpoint);
    const key = peerKey(registration.address);
    if (this.byPeer.get(key) === registration.id) this.byPeer.delete(key);
  }

  private arm(registration: Registration): void {
    if (registration.lifetimeSeconds === 0) return;
    const timer = this.scheduler.after(registration.lifetimeSeconds * 1000 + this.graceMs, () => {
      this.timers.delete(registration.id);
      if (this.byId.get(registration.id) === registration) this.remove(registration.id, 'expired');
    });
    this.timers.set(registration.id, timer);
  }
}

const expiry = (now: number, lifetimeSeconds: number): { expiresAt?: string } =>
  lifetimeSeconds === 0 ? {} : { expiresAt: new Date(now + lifetimeSeconds * 1000).toISOString() };

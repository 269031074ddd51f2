import { EventEmitter } from 'node:events';
import { BridgeAuthenticationFailed } from '../../schemas/bridge/authenticationMessages.ts';
import { BridgeBootstrapResult, BridgeDeregister, BridgeRegister, BridgeStatus, BridgeUpdate } from '../../schemas/bridge/bridgeEvents.ts';
import type { BootstrapDelivery } from '../../schemas/bridge/bootstrapMessages.ts';
import { CommandResponseMessage, type CommandRequestMessage } from '../../schemas/bridge/commandMessages.ts';
import { CodecError, type ObjectModel } from '../../schemas/lwm2m/index.ts';
import { assertBridgeId, bridgeThingName, isDeviceThingName, topicFilters, topics, type BridgeEvent } from '../../schemas/topics/topics.ts';
import { coapTiming } from '../lwm2m/coap/timing.ts';
import { consoleLog, throttledWarn, type Lwm2mLog } from '../lwm2m/log.ts';
import { startLwm2mServer, type Lwm2mServer, type Lwm2mServerEvents, type Lwm2mServerOptions } from '../lwm2m/lwm2mServer.ts';
import type { Notification } from '../lwm2m/observations.ts';
import type { Payload } from '../lwm2m/payload.ts';
import type { Registration } from '../lwm2m/registrations.ts';
import { systemScheduler, type Scheduler } from '../lwm2m/scheduler.ts';
import { emptyBridgeStats, type BridgeStats } from './bridgeStats.ts';
import { DEFAULT_CREATE, writeCredentials, type CreateDefaults, type WriteOutcome } from './bootstrapWriter.ts';
import { ObservationBook, runCommand, type CommandOutcome } from './commandRunner.ts';
import { clip } from './failureCode.ts';
import { HeldWork } from './heldWork.ts';
import { readCommand, readDelivery, routeInbound, type MalformedKind } from './inboundMessage.ts';
import { openMqttLink, type MqttLink } from './mqttLink.ts';
import { RecentIds } from './recentIds.ts';
import { deregisterMessage, registerMessage, updateMessage } from './registrationMessages.ts';
import { toSenmlCbor } from './senmlRelay.ts';

export interface BridgeMqttOptions {
  /** mqtts://host:port of the broker (the embedded broker, or the AWS IoT Core ATS endpoint on 8883). */
  readonly url: string;
  /** PEM of the CA that signs the broker's certificate. */
  readonly ca: string;
  /** PEM of the bridge's certificate (CN / thing `bridge:<bridgeId>`) and its private key. */
  readonly cert: string;
  readonly key: string;
  /** Default 2 s. */
  readonly reconnectPeriodMs?: number;
  /** Default 30 s. */
  readonly connectTimeoutMs?: number;
  /** QoS 1 publishes awaiting their PUBACK at once; more wait in order (publishWindow.ts). Default 100, AWS IoT Core's in-flight quota per client. */
  readonly maxInFlight?: number;
  /** Publishes waiting behind the window before new ones are refused (counted in publishFailures). Default 100,000. */
  readonly maxQueued?: number;
}

export interface BridgeOptions {
  readonly bridgeId: string;
  readonly mqtt: BridgeMqttOptions;
  /** A running LwM2M server (the caller closes it), or the options to start one (the bridge closes it). */
  readonly lwm2m: Lwm2mServer | Lwm2mServerOptions;
  /**
   * How long a queue-mode device stays reachable after it spoke: the server's `queue.awakeMs`.
   * Read from the options when the bridge starts the server; give it when you pass a server with
   * a non-default value. Default: the server's default (MAX_TRANSMIT_WAIT of its timing).
   */
  readonly queueAwakeMs?: number;
  /** The clock and timers; the server's when the bridge starts it with one. */
  readonly scheduler?: Scheduler;
  readonly log?: Lwm2mLog;
  /** Object definitions that type values; the objects the project ships by default. */
  readonly model?: ObjectModel;
  /** Where devices reach this bridge, for the status message. Default coap://<bound address>:<port>. */
  readonly lwm2mEndpoints?: readonly string[];
  /** Commands and deliveries waiting per sleeping device; more are answered `queue-full`. Default 64. */
  readonly maxHeldPerDevice?: number;
  /** Clean Session and Keep Alive for a device whose MQTT Broker instance must be created. */
  readonly bootstrapCreate?: CreateDefaults;
}

/** What the bridge did with one input: tests and operators can wait on it. */
export type Handled =
  | {
      readonly kind: 'command';
      readonly thingName: string;
      readonly commandId: string;
      readonly outcome: 'ignored' | 'duplicate' | 'expired' | 'malformed' | 'queued' | 'succeeded' | 'failed';
    }
  | { readonly kind: 'bootstrap'; readonly thingName: string; readonly outcome: 'ok' | 'failed' | 'expired' | 'malformed' | 'queued' | 'duplicate' }
  | { readonly kind: 'malformed'; readonly topic: string; readonly malformed: MalformedKind; readonly reason: string };

export interface BridgeEvents {
  /** Connected and subscribed; `first` is false after a reconnect. */
  connected: [{ readonly first: boolean }];
  handled: [Handled];
}

export interface Bridge {
  readonly bridgeId: string;
  readonly server: Lwm2mServer;
  readonly events: EventEmitter<BridgeEvents>;
  stats(): BridgeStats;
  /**
   * Publishes a report of peers its LwM2M server refused on `dt/lwm2m-bridge/<bridgeId>/auth-failed`.
   * Resolves on PUBACK; rejects when the report does not fit its schema, the link is closed, or the
   * publish fails. The caller rate limits (functions/dtls/authenticationFailureLimiter.ts).
   */
  reportAuthenticationFailure(report: BridgeAuthenticationFailed): Promise<void>;
  /** Fails what waits for sleeping devices, closes the server it started, publishes `offline`, disconnects. */
  close(): Promise<void>;
}

const isServer = (lwm2m: Lwm2mServer | Lwm2mServerOptions): lwm2m is Lwm2mServer =>
  typeof (lwm2m as Partial<Lwm2mServer>).read === 'function' && (lwm2m as Partial<Lwm2mServer>).events instanceof EventEmitter;

/** Commands seen, for telling a QoS 1 redelivery from a new command. */
const RECENT_COMMANDS = 10_000;

/**
 * Starts the LwM2M-to-MQTT bridge: connects to the broker as `bridge:<bridgeId>` (retained
 * `online`, `offline` as its last will), relays what its LwM2M server sees as bridge events, runs
 * the commands addressed to devices its server holds and writes delivered credentials to them.
 * Resolves once connected and subscribed; rejects (having closed what it opened) when it cannot.
 */
export const startBridge = async (options: BridgeOptions): Promise<Bridge> => {
  const bridgeId = assertBridgeId(options.bridgeId);
  const log = options.log ?? consoleLog;
  const given = isServer(options.lwm2m) ? options.lwm2m : undefined;
  const serverOptions = given === undefined ? (options.lwm2m as Lwm2mServerOptions) : undefined;
  const scheduler = options.scheduler ?? serverOptions?.scheduler ?? systemScheduler;
  const server = given ?? (await startLwm2mServer({ ...serverOptions, log: serverOptions?.log ?? log, scheduler }));
  const awakeMs = options.queueAwakeMs ?? serverOptions?.queue?.awakeMs ?? coapTiming(serverOptions?.timing).maxTransmitWaitMs;
  const bridge = new LwM2mMqttBridge(bridgeId, server, given === undefined, options, { log, scheduler, awakeMs });
  try {
    await bridge.start();
  } catch (error) {
    await bridge.close();
    throw error;
  }
  return bridge;
};

class LwM2mMqttBridge implements Bridge {
  readonly events = new EventEmitter<BridgeEvents>();
  private readonly counters = emptyBridgeStats();
  private readonly log: Lwm2mLog;
  private readonly warn: (kind: string, details: object, message: string) => void;
  private readonly scheduler: Scheduler;
  private readonly held: HeldWork;
  private readonly observations = new ObservationBook();
  private readonly recentCommands = new RecentIds(RECENT_COMMANDS);
  private readonly recentDeliveries = new RecentIds(1_000);
  private readonly inFlight = new Set<Promise<void>>();
  private readonly publishing = new Set<Promise<void>>();
  private readonly detach: (() => void)[] = [];
  private link: MqttLink | undefined;
  private closing: Promise<void> | undefined;
  private linkClosed = false;

  constructor(
    readonly bridgeId: string,
    readonly server: Lwm2mServer,
    private readonly ownsServer: boolean,
    private readonly options: BridgeOptions,
    settings: { readonly log: Lwm2mLog; readonly scheduler: Scheduler; readonly awakeMs: number },
  ) {
    this.log = settings.log;
    this.scheduler = settings.scheduler;
    this.warn = throttledWarn(settings.log, () => settings.scheduler.now());
    this.held = new HeldWork(settings.scheduler, settings.awakeMs, options.maxHeldPerDevice ?? 64);
  }

  stats(): BridgeStats {
    const c = this.counters;
    return {
      ...c,
      mqtt: { ...c.mqtt, connects: this.link?.connects ?? 0, connected: this.link?.connected ?? false, inFlight: this.link?.inFlight ?? 0, queued: this.link?.queued ?? 0 },
      relayed: { ...c.relayed },
      commands: { ...c.commands },
      bootstrap: { ...c.bootstrap },
      malformed: { ...c.malformed },
      held: this.held.size,
      observations: this.observations.size,
    };
  }

  async start(): Promise<void> {
    // Registrations the server held before the bridge listened are announced on the first connect.
    const before = new Set(this.server.registrations().map((r) => r.id));
    this.link = openMqttLink({
      ...this.options.mqtt,
      clientId: bridgeThingName(this.bridgeId),
      will: { topic: topics.bridgeStatus(this.bridgeId), payload: JSON.stringify(BridgeStatus.parse({ bridgeId: this.bridgeId, status: 'offline' })) },
      subscriptions: [topicFilters.allCommandRequests, topicFilters.bootstrapResponsesFor(this.bridgeId)],
      log: this.log,
      onConnected: (first) => this.onConnected(first, before),
      onMessage: (topic, payload) => this.onMessage(topic, payload),
    });
    this.listen();
    await this.link.ready;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const off of this.detach.splice(0)) off();
      // Answered while the connection is still up: what waited for a sleeping device will not be sent.
      this.held.close();
      if (this.ownsServer) await this.server.close();
      else await this.observations.cancelAll();
      await settleWithin([...this.inFlight], 5_000);
      await settleWithin([...this.publishing], 5_000);
      const offline = JSON.stringify(BridgeStatus.parse({ bridgeId: this.bridgeId, status: 'offline', at: this.isoNow() }));
      await this.link?.close({ topic: topics.bridgeStatus(this.bridgeId), payload: offline, retain: true });
      this.linkClosed = true;
    })();
    return this.closing;
  }

  // ---- MQTT side --------------------------------------------------------------------------

  private onConnected(first: boolean, before: ReadonlySet<string>): void {
    this.publish(topics.bridgeStatus(this.bridgeId), JSON.stringify(this.onlineStatus()), true);
    if (first) {
      for (const registration of this.server.registrations()) if (before.has(registration.id)) this.relayJson('register', registration.endpoint, BridgeRegister, registerMessage(registration));
    } else {
      // While the bridge was away the backend saw its `offline` will and ended these sessions; an Update restores them.
      for (const registration of this.server.registrations()) {
        this.relayJson('update', registration.endpoint, BridgeUpdate, updateMessage(registration, undefined, this.isoNow()));
      }
    }
    this.emit('connected', { first });
  }

  private onlineStatus(): BridgeStatus {
    const { address, port } = this.server.address();
    const host = address.includes(':') ? `[${address}]` : address;
    return {
      bridgeId: this.bridgeId,
      status: 'online',
      at: this.isoNow(),
      lwm2mEndpoints: [...(this.options.lwm2mEndpoints ?? [`coap://${host}:${port}`])].slice(0, 4),
    };
  }

  private publish(topic: string, payload: string | Uint8Array, retain = false): void {
    if (this.link === undefined || this.linkClosed) return;
    const sent = this.link.publish(topic, payload, { retain }).then(
      () => {
        this.counters.mqtt.published += 1;
      },
      (error: unknown) => {
        this.counters.mqtt.publishFailures += 1;
        this.warn('publish-failed', { topic, err: error }, 'a message could not be published');
      },
    );
    this.publishing.add(sent);
    void sent.finally(() => this.publishing.delete(sent));
  }

  async reportAuthenticationFailure(report: BridgeAuthenticationFailed): Promise<void> {
    const body = JSON.stringify(BridgeAuthenticationFailed.parse(report));
    if (this.link === undefined || this.linkClosed) throw new Error(`bridge ${this.bridgeId} has closed its MQTT connection: the auth-failed report was not sent`);
    const sent = this.link.publish(topics.bridgeAuthFailed(this.bridgeId), body).then(
      () => {
        this.counters.mqtt.published += 1;
      },
      (error: unknown) => {
        this.counters.mqtt.publishFailures += 1;
        throw error;
      },
    );
    // close() waits for it as for every other publish, so a summary sent at shutdown goes out before `offline`.
    const tracked = sent.catch(() => undefined);
    this.publishing.add(tracked);
    void tracked.finally(() => this.publishing.delete(tracked));
    await sent;
  }

  private onMessage(topic: string, payload: Buffer): void {
    this.counters.mqtt.received += 1;
    if (this.closing !== undefined) return;
    try {
      const route = routeInbound(topic, this.bridgeId);
      if (route.kind === 'malformed') this.malformed(topic, route.malformed, route.reason);
      else if (route.kind === 'command') this.onCommand(topic, route.thingName, route.commandId, payload);
      else this.onDelivery(topic, route.thingName, payload);
    } catch (error) {
      // A bug, not bad input (that is refused above): logged, and the bridge carries on.
      this.log.error({ topic, err: error }, 'handling an MQTT message failed unexpectedly');
    }
  }

  private malformed(topic: string, kind: MalformedKind, reason: string): void {
    this.counters.malformed[kind] += 1;
    this.warn(`malformed-${kind}`, { topic }, `refused an MQTT message: ${reason}`);
    this.emit('handled', { kind: 'malformed', topic, malformed: kind, reason });
  }

  // ---- Commands ---------------------------------------------------------------------------

  private onCommand(topic: string, thingName: string, commandId: string, payload: Buffer): void {
    this.counters.commands.received += 1;
    const registration = this.server.registration(thingName);
    if (registration === undefined) {
      // Another bridge holds it (or none does, which the backend knows): not ours to answer.
      this.counters.commands.ignored += 1;
      this.handledCommand(thingName, commandId, 'ignored');
      return;
    }
    const read = readCommand(payload, commandId);
    if (!read.ok) {
      this.malformed(topic, read.malformed, read.reason);
      this.answer(thingName, commandId, { status: 'failed', lwm2mCode: 'invalid-request', message: read.reason });
      this.handledCommand(thingName, commandId, 'malformed');
      return;
    }
    const message = read.value;
    if (!this.recentCommands.add(commandId)) {
      this.counters.commands.duplicate += 1;
      this.handledCommand(thingName, commandId, 'duplicate');
      return;
    }
    const expiresAtMs = Date.parse(message.expiresAt);
    if (this.scheduler.now() >= expiresAtMs) {
      this.commandExpired(thingName, commandId);
      return;
    }
    if (this.held.isAwake(thingName, registration.queueMode)) {
      this.dispatch(thingName, message);
      return;
    }
    const accepted = this.held.hold(thingName, {
      expiresAtMs,
      run: () => this.dispatch(thingName, message),
      abandon: (reason) => this.finish(thingName, commandId, { status: 'failed', lwm2mCode: reason, message: abandoned(reason, thingName) }),
      expired: () => this.commandExpired(thingName, commandId),
    });
    if (!accepted) {
      this.finish(thingName, commandId, { status: 'failed', lwm2mCode: 'queue-full', message: `${this.options.maxHeldPerDevice ?? 64} commands already wait for ${thingName} to wake; try later` });
      return;
    }
    this.counters.commands.queued += 1;
    this.answer(thingName, commandId, { status: 'queued' });
    this.handledCommand(thingName, commandId, 'queued');
  }

  private commandExpired(thingName: string, commandId: string): void {
    this.counters.commands.expired += 1;
    this.log.info({ thingName, commandId }, 'a command expired before it could be sent; it is dropped (the backend records the timeout)');
    this.handledCommand(thingName, commandId, 'expired');
  }

  private dispatch(thingName: string, message: CommandRequestMessage): void {
    const registration = this.server.registration(thingName);
    if (registration === undefined) {
      this.finish(thingName, message.commandId, { status: 'failed', lwm2mCode: 'device-gone', message: abandoned('device-gone', thingName) });
      return;
    }
    this.counters.commands.dispatched += 1;
    this.answer(thingName, message.commandId, { status: 'dispatched' });
    this.track(
      runCommand(message, {
        server: this.server,
        registration,
        observations: this.observations,
        model: this.options.model,
        nowSeconds: Math.floor(this.scheduler.now() / 1000),
        heardFrom: () => this.held.heardFrom(thingName),
      }).then((outcome) => this.finish(thingName, message.commandId, outcome)),
    );
  }

  private finish(thingName: string, commandId: string, outcome: CommandOutcome): void {
    if (outcome.status === 'succeeded') this.counters.commands.succeeded += 1;
    else this.counters.commands.failed += 1;
    this.answer(thingName, commandId, outcome);
    this.handledCommand(thingName, commandId, outcome.status);
  }

  private answer(thingName: string, commandId: string, body: { readonly status: CommandResponseMessage['status'] } & Partial<Omit<CommandOutcome, 'status'>>): void {
    const draft = {
      commandId,
      bridgeId: this.bridgeId,
      status: body.status,
      ...(body.lwm2mCode !== undefined ? { lwm2mCode: body.lwm2mCode } : {}),
      ...('values' in body && body.values !== undefined ? { values: body.values } : {}),
      ...('links' in body && body.links !== undefined ? { links: body.links } : {}),
      ...(body.message !== undefined ? { message: clip(body.message) } : {}),
      at: this.isoNow(),
    };
    const checked = CommandResponseMessage.safeParse(draft);
    const message = checked.success
      ? checked.data
      : CommandResponseMessage.parse({
          commandId,
          bridgeId: this.bridgeId,
          status: 'failed',
          lwm2mCode: 'bad-payload',
          message: clip(`the device's answer does not fit a command response (${checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')})`),
          at: this.isoNow(),
        });
    this.publish(topics.commandResponse(thingName, commandId), JSON.stringify(message));
  }

  private handledCommand(thingName: string, commandId: string, outcome: Extract<Handled, { kind: 'command' }>['outcome']): void {
    this.emit('handled', { kind: 'command', thingName, commandId, outcome });
  }

  // ---- Bootstrap deliveries ---------------------------------------------------------------

  private onDelivery(topic: string, thingName: string, payload: Buffer): void {
    this.counters.bootstrap.received += 1;
    const read = readDelivery(payload, thingName);
    if (!read.ok) {
      this.malformed(topic, read.malformed, read.reason);
      this.emit('handled', { kind: 'bootstrap', thingName, outcome: 'malformed' });
      return;
    }
    const delivery = read.value;
    if (!this.recentDeliveries.add(delivery.requestId)) {
      this.emit('handled', { kind: 'bootstrap', thingName, outcome: 'duplicate' });
      return;
    }
    const expiresAtMs = Date.parse(delivery.expiresAt);
    if (this.scheduler.now() >= expiresAtMs) {
      this.deliveryExpired(thingName, delivery.requestId);
      return;
    }
    const registration = this.server.registration(thingName);
    if (registration === undefined) {
      this.bootstrapResult(thingName, delivery.requestId, { ok: false, lwm2mCode: 'not-registered', message: `${thingName} is not registered with bridge ${this.bridgeId}'s LwM2M server` });
      return;
    }
    if (this.held.isAwake(thingName, registration.queueMode)) {
      this.deliver(thingName, delivery);
      return;
    }
    const accepted = this.held.hold(thingName, {
      expiresAtMs,
      run: () => this.deliver(thingName, delivery),
      abandon: (reason) => this.bootstrapResult(thingName, delivery.requestId, { ok: false, lwm2mCode: reason, message: abandoned(reason, thingName) }),
      expired: () => this.deliveryExpired(thingName, delivery.requestId),
    });
    if (!accepted) this.bootstrapResult(thingName, delivery.requestId, { ok: false, lwm2mCode: 'queue-full', message: `too much already waits for ${thingName} to wake` });
    else this.emit('handled', { kind: 'bootstrap', thingName, outcome: 'queued' });
  }

  private deliveryExpired(thingName: string, requestId: string): void {
    this.counters.bootstrap.expired += 1;
    this.log.info({ thingName, requestId }, 'a credential delivery expired before it could be written; it is dropped');
    this.emit('handled', { kind: 'bootstrap', thingName, outcome: 'expired' });
  }

  private deliver(thingName: string, delivery: BootstrapDelivery): void {
    const registration = this.server.registration(thingName);
    if (registration === undefined) {
      this.bootstrapResult(thingName, delivery.requestId, { ok: false, lwm2mCode: 'device-gone', message: abandoned('device-gone', thingName) });
      return;
    }
    const requestId = delivery.requestId;
    // Only the request id outlives this call: the delivery itself is dropped once the write is done.
    this.track(
      writeCredentials(this.server, registration, delivery, this.options.bootstrapCreate ?? DEFAULT_CREATE).then((outcome) => {
        if (outcome.ok || /^\d\.\d\d$/.test(outcome.lwm2mCode)) this.held.heardFrom(thingName);
        this.bootstrapResult(thingName, requestId, outcome);
      }),
    );
  }

  private bootstrapResult(thingName: string, requestId: string, outcome: WriteOutcome): void {
    if (outcome.ok) this.counters.bootstrap.ok += 1;
    else this.counters.bootstrap.failed += 1;
    const result = BridgeBootstrapResult.parse({
      endpoint: thingName,
      requestId,
      ok: outcome.ok,
      lwm2mCode: outcome.lwm2mCode.slice(0, 16),
      ...(outcome.message !== undefined ? { message: clip(outcome.message) } : {}),
      at: this.isoNow(),
    });
    this.publish(topics.bridgeEvent(this.bridgeId, 'bootstrap-result', thingName), JSON.stringify(result));
    this.emit('handled', { kind: 'bootstrap', thingName, outcome: outcome.ok ? 'ok' : 'failed' });
  }

  // ---- LwM2M side -------------------------------------------------------------------------

  private listen(): void {
    const on = <K extends keyof Lwm2mServerEvents>(name: K, listener: (...args: Lwm2mServerEvents[K]) => void) => {
      this.server.events.on(name, listener as never);
      this.detach.push(() => this.server.events.off(name, listener as never));
    };
    on('registered', ({ registration }) => {
      this.relayJson('register', registration.endpoint, BridgeRegister, registerMessage(registration));
      // Registered devices are awake: what waited for them goes out after the register event.
      this.held.heardFrom(registration.endpoint);
    });
    on('updated', ({ registration, previous }) => {
      this.relayJson('update', registration.endpoint, BridgeUpdate, updateMessage(registration, previous));
      this.held.heardFrom(registration.endpoint);
    });
    on('deregistered', ({ registration }) => this.removed(registration, 'deregistered'));
    on('expired', ({ registration }) => this.removed(registration, 'lifetime-expired'));
    on('notification', (notification) => this.onNotification(notification));
    on('send', ({ endpoint, payload, receivedAt }) => {
      this.held.heardFrom(endpoint);
      this.relayData('send', endpoint, payload, '/', receivedAt);
    });
  }

  private removed(registration: Registration, reason: BridgeDeregister['reason']): void {
    this.relayJson('deregister', registration.endpoint, BridgeDeregister, deregisterMessage(registration, reason, this.isoNow()));
    this.held.forget(registration.endpoint);
  }

  private onNotification(notification: Notification): void {
    this.held.heardFrom(notification.endpoint);
    if (notification.payload === undefined || !/^2\.\d\d$/.test(notification.code)) {
      this.log.info({ endpoint: notification.endpoint, path: notification.path, code: notification.code }, 'the device ended an observation');
      return;
    }
    this.relayData('notify', notification.endpoint, notification.payload, notification.path, notification.receivedAt);
  }

  private relayable(event: BridgeEvent, endpoint: string): boolean {
    if (isDeviceThingName(endpoint)) return true;
    this.counters.notRelayed += 1;
    this.warn('endpoint-not-a-thing-name', { endpoint: endpoint.slice(0, 300), event }, 'an endpoint name is not a device thing name (1-128 of a-z A-Z 0-9 : _ -, not bridge:...): its events are not relayed and no command can reach it');
    return false;
  }

  private relayJson<T>(event: BridgeEvent, endpoint: string, schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { message: string } } }, body: T): void {
    if (!this.relayable(event, endpoint)) return;
    const checked = schema.safeParse(body);
    if (!checked.success) {
      this.counters.notRelayed += 1;
      this.warn(`unrelayable-${event}`, { endpoint, err: checked.error.message }, `a ${event} does not fit the bridge contract and is not relayed`);
      return;
    }
    this.counters.relayed[event as keyof BridgeStats['relayed']] += 1;
    this.publish(topics.bridgeEvent(this.bridgeId, event, endpoint), JSON.stringify(checked.data));
  }

  private relayData(event: 'notify' | 'send', endpoint: string, payload: Payload, path: string, receivedAt: string): void {
    if (!this.relayable(event, endpoint)) return;
    let senml: Uint8Array;
    try {
      senml = toSenmlCbor(payload, path, receivedAt, this.options.model);
    } catch (error) {
      if (!(error instanceof CodecError)) throw error;
      this.counters.notRelayed += 1;
      this.warn(`undecodable-${event}`, { endpoint, path, contentFormat: payload.contentFormat, err: error.message }, `device data (${event}) does not decode and is not relayed`);
      return;
    }
    this.counters.relayed[event] += 1;
    this.publish(topics.bridgeEvent(this.bridgeId, event, endpoint), senml);
  }

  // ---- plumbing ---------------------------------------------------------------------------

  private track(work: Promise<void>): void {
    const tracked = work.catch((error: unknown) => this.log.error({ err: error }, 'a device operation failed unexpectedly'));
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }

  private emit<K extends keyof BridgeEvents>(name: K, ...args: BridgeEvents[K]): void {
    try {
      (this.events as EventEmitter).emit(name, ...args);
    } catch (error) {
      this.log.error({ event: name, err: error }, 'a bridge event listener threw; the bridge carries on');
    }
  }

  private isoNow(): string {
    return new Date(this.scheduler.now()).toISOString();
  }
}

const abandoned = (reason: 'device-gone' | 'closed', thingName: string): string =>
  reason === 'device-gone' ? `${thingName} left (de-registered or expired) before it woke; nothing was sent` : `the bridge shut down before ${thingName} woke; nothing was sent`;

const settleWithin = async (promises: readonly Promise<unknown>[], ms: number): Promise<void> => {
  if (promises.length === 0) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.allSettled(promises), new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
};

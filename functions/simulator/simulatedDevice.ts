import { EventEmitter } from 'node:events';
import { Code, formatCode, Method } from '../lwm2m/coap/message.ts';
import { Option, option } from '../lwm2m/coap/options.ts';
import { coapTiming, type CoapTimingInput } from '../lwm2m/coap/timing.ts';
import { systemScheduler, type Scheduler, type TimerHandle } from '../lwm2m/scheduler.ts';
import { openUdpTransport, type DatagramTransport, type PeerAddress } from '../lwm2m/transport.ts';
import { CONTENT_FORMAT, encodePayload, MQTT_BROKER, type Lwm2mVersion, type ResourceValue } from '../../schemas/lwm2m/index.ts';
import { assertDeviceThingName, topics } from '../../schemas/topics/topics.ts';
import { CoapClient, type CoapClientStats, type NotifyOutcome } from './coapClient.ts';
import { handleManagementRequest, readPath, type ManagementContext, type OperationRecord } from './managementInterface.ts';
import { readCredentials, sameCredentials } from './mqttCredentials.ts';
import { alarmPack, statePack } from './mqttPayloads.ts';
import { MqttSession, type MqttSessionOptions } from './mqttSession.ts';
import { AttributeStore } from './notificationAttributes.ts';
import { Observations, type Observation } from './observations.ts';
import { ObjectTree, single } from './objectTree.ts';
import { deviceBehaviour, deviceInstance, type DeviceIdentity } from './objects/device.ts';
import { mqttBrokerBehaviour } from './objects/mqttBroker.ts';
import { securityBehaviour, securityInstance } from './objects/security.ts';
import { serverBehaviour, serverInstance } from './objects/server.ts';
import { MAX_MEASURED, MIN_MEASURED, SENSOR_VALUE, TIMESTAMP, temperatureBehaviour, temperatureInstance } from './objects/temperature.ts';
import { float, numberOf, stringOf, time } from './objects/values.ts';
import { seededRandom, seedOf } from './random.ts';
import { RegistrationClient, type RegisterReason, type RegistrationState } from './registrationClient.ts';
import { registrationLinks } from './registrationLinks.ts';
import { TemperatureSensor, type TemperatureDrift } from './temperatureSensor.ts';
import { ThresholdAlarm } from './thresholdAlarm.ts';

/**
 * One simulated LwM2M device: a UDP socket of its own, objects 0, 1, 3, 3303 and 18830, the
 * registration lifecycle, the management interface, observations, Send, and, once object 18830
 * holds credentials, an MQTT connection over which it publishes its state and its alarms.
 * Every timer goes through the injected scheduler (mqtt.js's own reconnect and keep-alive timers
 * aside), so tests move time by hand.
 */

export interface SimulatedDeviceOptions {
  /** The endpoint name, which is the thing name (and the MQTT client id the bootstrap writes). */
  readonly endpoint: string;
  readonly server: PeerAddress;
  /** Bring a transport; otherwise a UDP socket is bound on `bindHost` (default 127.0.0.1), ephemeral port. */
  readonly transport?: DatagramTransport;
  readonly bindHost?: string;
  /** Default 1.1. */
  readonly lwm2mVersion?: Lwm2mVersion;
  readonly queueMode?: boolean;
  /** Default 300 s. */
  readonly lifetimeSeconds?: number;
  /** Queue mode: how long the device listens after it last sent or heard something. Default MAX_TRANSMIT_WAIT (93 s). */
  readonly awakeMs?: number;
  /** Send the periodic Update this long before the lifetime ends. Default MAX_TRANSMIT_WAIT. */
  readonly updateLeadMs?: number;
  readonly scheduler?: Scheduler;
  readonly timing?: CoapTimingInput;
  /** In [0, 1). Default: seeded from the endpoint name, so a device behaves the same every run. */
  readonly random?: () => number;
  /** Temperature sampling period. Default 5 s; 0 samples only when told (setTemperature). */
  readonly sampleEveryMs?: number;
  /** MQTT state publishing period once connected. Default 10 s; 0 publishes only on connect. */
  readonly publishEveryMs?: number;
  /** LwM2M Send of the temperature to /dp (1.1+). Default 0: never on its own. */
  readonly sendEveryMs?: number;
  readonly temperature?: TemperatureDrift;
  /** Raise an alarm above this temperature. Default 30 °C. */
  readonly alarmAboveCelsius?: number;
  /** Clear it below `alarmAboveCelsius - alarmHysteresis`. Default 1 °C. */
  readonly alarmHysteresis?: number;
  /** Notifications as CON (default) or NON; the `con` attribute (1.2) overrides per observation. */
  readonly confirmableNotifications?: boolean;
  /** Time between a Reboot execute and the new Register. Default 2000 ms. */
  readonly rebootDelayMs?: number;
  /** Back-off of failed Register/Update. Default 2 s doubling to 5 min. */
  readonly retry?: { readonly initialMs: number; readonly maxMs: number };
  readonly mqtt?: MqttSessionOptions;
  readonly identity?: Partial<DeviceIdentity>;
  /** Short Server ID of the one server. Default 1. */
  readonly shortServerId?: number;
}

export interface SimulatedDeviceEvents {
  registered: [{ readonly location: string; readonly reason: RegisterReason }];
  updated: [{ readonly location: string; readonly objectsSent: boolean }];
  deregistered: [];
  'registration-failed': [{ readonly operation: 'register' | 'update'; readonly reason: string; readonly retryInMs: number }];
  /** A request from the server, answered. */
  operation: [OperationRecord];
  notified: [{ readonly path: string; readonly outcome: NotifyOutcome }];
  sent: [{ readonly code: string }];
  /** Object 18830 holds a complete set of credentials (again, when they changed). */
  bootstrapped: [{ readonly uri: string; readonly clientId: string }];
  'mqtt-connected': [{ readonly uri: string }];
  'mqtt-disconnected': [];
  'mqtt-error': [{ readonly message: string }];
  published: [{ readonly topic: string; readonly kind: 'state' | 'alarm'; readonly bytes: number }];
  alarm: [{ readonly state: 'raised' | 'cleared'; readonly celsius: number }];
  sampled: [{ readonly celsius: number }];
  rebooting: [{ readonly factoryReset: boolean }];
}

export interface SimulatedDeviceStats {
  readonly coap: Readonly<CoapClientStats>;
  readonly observations: number;
  readonly notifications: number;
  readonly published: number;
  readonly publishFailures: number;
  readonly alarmsPending: number;
}

const SERVER_OBJECT = 1;
const DEVICE_OBJECT = 3;
const TEMPERATURE_OBJECT = 3303;
/** Alarm packs kept while MQTT is down, oldest dropped first. */
const MAX_PENDING_ALARMS = 100;

export class SimulatedDevice {
  readonly events = new EventEmitter<SimulatedDeviceEvents>();
  readonly endpoint: string;
  readonly version: Lwm2mVersion;
  private readonly scheduler: Scheduler;
  private readonly tree: ObjectTree;
  private readonly attributes = new AttributeStore();
  private readonly observations: Observations;
  private readonly coap: CoapClient;
  private readonly registration: RegistrationClient;
  private readonly context: ManagementContext;
  private readonly sensor: TemperatureSensor;
  private readonly alarm: ThresholdAlarm;
  private readonly awakeMs: number;
  private readonly timers = new Set<TimerHandle>();
  private readonly pendingAlarms: Uint8Array[] = [];
  private session: MqttSession | undefined;
  private clockOffsetMs = 0;
  private awakeUntil = 0;
  private sequence = 0;
  private notifications = 0;
  private published = 0;
  private publishFailures = 0;
  private running = false;
  private stopping: Promise<void> | undefined;

  /** Binds a UDP socket (unless a transport is given) and builds the device; `start()` registers it. */
  static async open(options: SimulatedDeviceOptions): Promise<SimulatedDevice> {
    const transport = options.transport ?? (await openUdpTransport({ host: options.bindHost ?? '127.0.0.1', port: 0 }));
    return new SimulatedDevice(options, transport, options.transport === undefined);
  }

  private constructor(
    private readonly options: SimulatedDeviceOptions,
    private readonly transport: DatagramTransport,
    private readonly ownsTransport: boolean,
  ) {
    this.endpoint = assertDeviceThingName(options.endpoint);
    this.version = options.lwm2mVersion ?? '1.1';
    this.scheduler = options.scheduler ?? systemScheduler;
    const random = options.random ?? seededRandom(seedOf(options.endpoint));
    const timing = coapTiming(options.timing);
    this.awakeMs = options.awakeMs ?? timing.maxTransmitWaitMs;
    this.sensor = new TemperatureSensor(random, options.temperature);
    this.alarm = new ThresholdAlarm({ above: options.alarmAboveCelsius ?? 30, hysteresis: options.alarmHysteresis ?? 1 });

    this.observations = new Observations({
      scheduler: this.scheduler,
      attributes: (path) => this.attributes.effective(path, this.defaultPeriods()),
      numericValue: (path) => (path.length === 3 ? numberOf(this.tree.value(path[0]!, path[1]!, path[2]!)) : undefined),
      send: (observation, confirmable) => this.notify(observation, confirmable),
    });
    this.tree = new ObjectTree((paths) => this.observations.changed(paths));
    this.buildObjects();

    this.context = {
      tree: this.tree,
      version: this.version,
      attributes: this.attributes,
      observations: this.observations,
      nowSeconds: () => this.nowSeconds(),
      nextSequence: () => this.nextSequence(),
      onOperation: (record) => this.events.emit('operation', record),
    };
    this.coap = new CoapClient({
      transport,
      server: options.server,
      scheduler: this.scheduler,
      timing,
      random,
      onRequest: (request) => handleManagementRequest(this.context, request),
      onNotificationReset: (token) => this.observations.remove(token),
      listening: () => this.awake,
      onActivity: () => (this.awakeUntil = this.scheduler.now() + this.awakeMs),
    });
    this.registration = new RegistrationClient({
      request: (request) => this.coap.request(request),
      scheduler: this.scheduler,
      random,
      endpoint: this.endpoint,
      version: this.version,
      lifetimeSeconds: () => numberOf(this.tree.value(SERVER_OBJECT, 0, 1)) ?? 300,
      queueMode: () => this.queueMode(),
      links: () => registrationLinks(this.tree, this.version),
      updateLeadMs: options.updateLeadMs ?? timing.maxTransmitWaitMs,
      retry: options.retry ?? { initialMs: 2000, maxMs: 300_000 },
      hooks: {
        registered: (location, reason) => {
          // A new registration: the server forgot every observation of the old one (LwM2M §6.2.1).
          this.observations.clear();
          this.events.emit('registered', { location, reason });
        },
        updated: (location, objectsSent) => this.events.emit('updated', { location, objectsSent }),
        failed: (operation, reason, retryInMs) => this.events.emit('registration-failed', { operation, reason, retryInMs }),
        deregistered: () => this.events.emit('deregistered'),
      },
    });
  }

  // --- lifecycle ----------------------------------------------------------------------------------

  /** Registers and starts sampling (and publishing, once bootstrapped). */
  start(): void {
    if (this.running || this.stopping !== undefined) return;
    this.running = true;
    this.registration.start('start');
    this.startTimers();
    this.refreshMqtt();
  }

  /**
   * Stops everything; with `deregister` (default) the server hears a De-register first, waiting
   * for its answer at most `deadlineMs` (default: the CoAP retransmissions' own limit).
   */
  stop(options: { readonly deregister?: boolean; readonly deadlineMs?: number } = {}): Promise<void> {
    this.stopping ??= (async () => {
      this.running = false;
      this.stopTimers();
      this.observations.clear();
      const deregistering = this.registration.stop({ deregister: options.deregister ?? true });
      if (options.deadlineMs === undefined) await deregistering;
      else {
        let timer: TimerHandle | undefined;
        await Promise.race([deregistering, new Promise<void>((resolve) => (timer = this.scheduler.after(options.deadlineMs ?? 0, resolve)))]);
        timer?.cancel();
      }
      const session = this.session;
      this.session = undefined;
      await session?.stop();
      this.coap.close();
      if (this.ownsTransport) await this.transport.close();
    })();
    return this.stopping;
  }

  /** The local UDP address the server sees. */
  address(): PeerAddress {
    return this.transport.localAddress();
  }

  get registrationState(): RegistrationState {
    return this.registration.state;
  }

  /** '/rd/…' while registered. */
  get location(): string | undefined {
    return this.registration.locationPath;
  }

  get mqttConnected(): boolean {
    return this.session?.connected ?? false;
  }

  /** Queue mode: whether the radio is on now. */
  get awake(): boolean {
    return !this.queueMode() || this.scheduler.now() < this.awakeUntil;
  }

  get temperature(): number {
    return this.sensor.current;
  }

  stats(): SimulatedDeviceStats {
    return {
      coap: { ...this.coap.stats },
      observations: this.observations.size,
      notifications: this.notifications,
      published: this.published,
      publishFailures: this.publishFailures,
      alarmsPending: this.pendingAlarms.length,
    };
  }

  /** The values under a path as the device holds them (readable or not: this is the device's own view). */
  valuesAt(path: string): ResourceValue[] {
    return this.tree.values(toIds(path), false);
  }

  /** Tells the server now what changed (or that the device is alive): an Update outside the schedule. */
  updateNow(): void {
    this.registration.requestUpdate();
  }

  /** The sensor reads this value now (a heat source, a test): observers, alarms and min/max follow. */
  setTemperature(celsius: number): void {
    this.applyReading(this.sensor.force(celsius));
  }

  /** LwM2M Send (1.1 §6.4.6): the current values at these paths to /dp as SenML CBOR. Resolves with the code. */
  async send(paths: readonly string[] = ['/3303/0/5700']): Promise<string> {
    if (this.version === '1.0') throw new Error('Send is an LwM2M 1.1 operation; this device speaks 1.0');
    const at = this.nowSeconds();
    const values = paths.flatMap((p) => this.tree.values(toIds(p), true)).map((v) => ({ ...v, time: at }));
    if (values.length === 0) throw new Error(`nothing readable at ${paths.join(', ')} to send`);
    const response = await this.coap.request({
      code: Method.POST,
      options: [option(Option.URI_PATH, 'dp'), option(Option.CONTENT_FORMAT, CONTENT_FORMAT.SENML_CBOR)],
      payload: Buffer.from(encodePayload(CONTENT_FORMAT.SENML_CBOR, values)),
    });
    const code = formatCode(response.code);
    this.events.emit('sent', { code });
    return code;
  }

  // --- objects --------------------------------------------------------------------------------------

  private buildObjects(): void {
    const { options } = this;
    const shortServerId = options.shortServerId ?? 1;
    const binding = options.queueMode === true ? 'UQ' : 'U';
    const serial = `SIM-${seedOf(options.endpoint).toString(16).padStart(8, '0').toUpperCase()}`;
    const identity: DeviceIdentity = {
      manufacturer: 'LwM2M Fleet Simulator',
      model: 'SIM-TEMP-1',
      serial,
      firmware: '1.0.0',
      hardware: 'rev-a',
      ...options.identity,
    };
    this.tree.add(securityBehaviour());
    this.tree.add(
      serverBehaviour({
        registrationChanged: () => this.registration.requestUpdate(),
        updateTriggered: () => this.registration.requestUpdate(),
      }),
    );
    this.tree.add(
      deviceBehaviour({
        nowSeconds: () => this.nowSeconds(),
        setClock: (seconds) => {
          this.clockOffsetMs = seconds * 1000 - this.scheduler.now();
        },
        reboot: () => this.reboot(false),
        factoryReset: () => this.reboot(true),
      }),
    );
    this.tree.add(temperatureBehaviour((instanceId) => this.resetMinMax(instanceId)));
    this.tree.add(mqttBrokerBehaviour((_instanceId, change) => this.credentialsChanged(change)));

    const serverUri = `coap://${options.server.address}:${options.server.port}`;
    this.tree.createInstance(0, 0, securityInstance(serverUri, shortServerId));
    this.tree.createInstance(SERVER_OBJECT, 0, serverInstance(shortServerId, options.lifetimeSeconds ?? 300, binding));
    this.tree.createInstance(DEVICE_OBJECT, 0, deviceInstance(identity, binding));
    this.tree.createInstance(TEMPERATURE_OBJECT, 0, temperatureInstance(this.sensor.current, this.nowSeconds()));
  }

  private queueMode(): boolean {
    return (stringOf(this.tree.value(SERVER_OBJECT, 0, 7)) ?? 'U').includes('Q');
  }

  private defaultPeriods(): { pmin: number | undefined; pmax: number | undefined } {
    return { pmin: numberOf(this.tree.value(SERVER_OBJECT, 0, 2)), pmax: numberOf(this.tree.value(SERVER_OBJECT, 0, 3)) };
  }

  private nowSeconds(): number {
    return Math.floor((this.scheduler.now() + this.clockOffsetMs) / 1000);
  }

  private nextSequence(): number {
    this.sequence = (this.sequence + 1) & 0xffffff;
    return this.sequence;
  }

  private applyReading(celsius: number): void {
    const min = Math.min(numberOf(this.tree.value(TEMPERATURE_OBJECT, 0, MIN_MEASURED)) ?? celsius, celsius);
    const max = Math.max(numberOf(this.tree.value(TEMPERATURE_OBJECT, 0, MAX_MEASURED)) ?? celsius, celsius);
    this.tree.setMany(
      TEMPERATURE_OBJECT,
      0,
      new Map([
        [SENSOR_VALUE, single(float(celsius))],
        [MIN_MEASURED, single(float(min))],
        [MAX_MEASURED, single(float(max))],
        [TIMESTAMP, single(time(this.nowSeconds()))],
      ]),
    );
    this.events.emit('sampled', { celsius });
    const transition = this.alarm.check(celsius);
    if (transition !== undefined) this.raiseOrClear(transition, celsius);
  }

  private resetMinMax(instanceId: number): void {
    const value = this.tree.value(TEMPERATURE_OBJECT, instanceId, SENSOR_VALUE);
    if (value === undefined) return;
    this.tree.setMany(TEMPERATURE_OBJECT, instanceId, new Map([[MIN_MEASURED, single(value)], [MAX_MEASURED, single(value)]]));
  }

  // --- observations -----------------------------------------------------------------------------------

  private async notify(observation: Observation, confirmable: boolean | undefined): Promise<'keep' | 'drop'> {
    const result = readPath(this.context, observation.path, observation.contentFormat);
    if (!result.ok) {
      // What was observed is gone: a final notification with the error ends the observation (RFC 7641 §3.2).
      await this.coap.notify({ confirmable: true, token: observation.token, code: result.response.code, options: [], payload: result.response.payload });
      return 'drop';
    }
    const outcome = await this.coap.notify({
      confirmable: confirmable ?? this.options.confirmableNotifications ?? true,
      token: observation.token,
      code: Code.CONTENT,
      options: [option(Option.OBSERVE, this.nextSequence()), option(Option.CONTENT_FORMAT, result.contentFormat)],
      payload: result.bytes,
    });
    this.notifications += 1;
    this.events.emit('notified', { path: observation.pathText, outcome });
    return outcome === 'reset' || outcome === 'timeout' ? 'drop' : 'keep';
  }

  // --- timers ---------------------------------------------------------------------------------------------

  private every(ms: number | undefined, task: () => void): void {
    if (ms === undefined || ms <= 0) return;
    let handle: TimerHandle;
    const arm = () => {
      handle = this.scheduler.after(ms, () => {
        this.timers.delete(handle);
        if (!this.running) return;
        arm();
        task();
      });
      this.timers.add(handle);
    };
    arm();
  }

  private startTimers(): void {
    this.every(this.options.sampleEveryMs ?? 5000, () => this.applyReading(this.sensor.sample()));
    this.every(this.options.publishEveryMs ?? 10_000, () => this.publishState());
    if (this.version !== '1.0') {
      this.every(this.options.sendEveryMs, () => {
        if (this.registration.state === 'registered') this.send().catch(() => undefined);
      });
    }
  }

  private stopTimers(): void {
    for (const timer of this.timers) timer.cancel();
    this.timers.clear();
  }

  private reboot(factoryReset: boolean): void {
    if (!this.running) return;
    this.events.emit('rebooting', { factoryReset });
    this.running = false;
    this.stopTimers();
    this.observations.clear();
    void this.registration.stop({ deregister: false });
    const session = this.session;
    this.session = undefined;
    if (session !== undefined) {
      session.stop().catch(() => undefined);
      this.events.emit('mqtt-disconnected');
    }
    if (factoryReset) {
      // What the server gave is gone: credentials, attributes, the clock it set.
      for (const instanceId of this.tree.instanceIds(MQTT_BROKER.id)) this.tree.deleteInstance(MQTT_BROKER.id, instanceId);
      this.attributes.clear();
      this.clockOffsetMs = 0;
    }
    const timer = this.scheduler.after(this.options.rebootDelayMs ?? 2000, () => {
      this.timers.delete(timer);
      if (this.stopping !== undefined) return;
      this.running = true;
      this.registration.start('reboot');
      this.startTimers();
      this.refreshMqtt();
    });
    this.timers.add(timer);
  }

  // --- MQTT ------------------------------------------------------------------------------------------------

  private credentialsChanged(change: 'created' | 'written' | 'deleted'): void {
    // A new or removed 18830 instance changes the object links the server holds: tell it.
    if (change !== 'written') this.registration.requestUpdate();
    if (this.running) this.refreshMqtt();
  }

  /** Connects with the credentials in the first 18830 instance once they are complete; reconnects when they change. */
  private refreshMqtt(): void {
    const instanceId = this.tree.instanceIds(MQTT_BROKER.id)[0];
    const read = instanceId === undefined ? undefined : readCredentials(this.tree, instanceId);
    if (read !== undefined && !read.ok) {
      if (read.invalid !== undefined) this.events.emit('mqtt-error', { message: read.invalid });
      // Still missing resources: the bootstrap has more writes to make.
      if (read.missing.length > 0 || read.invalid !== undefined) return;
    }
    const credentials = read?.ok === true ? read.value : undefined;
    if (credentials !== undefined && sameCredentials(credentials, this.session?.credentials)) return;
    const previous = this.session;
    this.session = undefined;
    previous?.stop().catch(() => undefined);
    if (previous !== undefined) this.events.emit('mqtt-disconnected');
    if (credentials === undefined) return;
    this.events.emit('bootstrapped', { uri: credentials.uri, clientId: credentials.clientId });
    const session: MqttSession = new MqttSession(
      credentials,
      {
        connected: () => {
          if (this.session !== session) return;
          this.events.emit('mqtt-connected', { uri: credentials.uri });
          this.flushAlarms();
          this.publishState();
        },
        disconnected: () => {
          if (this.session === session) this.events.emit('mqtt-disconnected');
        },
        error: (message) => {
          if (this.session === session) this.events.emit('mqtt-error', { message });
        },
      },
      this.options.mqtt,
    );
    this.session = session;
  }

  private publish(kind: 'state' | 'alarm', topic: string, payload: Uint8Array): void {
    const session = this.session;
    if (session === undefined) return;
    session.publish(topic, payload).then(
      () => {
        this.published += 1;
        this.events.emit('published', { topic, kind, bytes: payload.length });
      },
      (error: unknown) => {
        this.publishFailures += 1;
        this.events.emit('mqtt-error', { message: `publish to ${topic} failed: ${error instanceof Error ? error.message : String(error)}` });
      },
    );
  }

  private publishState(): void {
    if (this.session?.connected !== true) return;
    this.publish('state', topics.deviceState(this.endpoint), statePack(this.sensor.current, this.nowSeconds()));
  }

  private raiseOrClear(state: 'raised' | 'cleared', celsius: number): void {
    this.events.emit('alarm', { state, celsius });
    const threshold = this.options.alarmAboveCelsius ?? 30;
    const pack = alarmPack({
      alarmId: 'temperature-high-3303-0',
      state,
      atSeconds: this.nowSeconds(),
      code: 'TEMPERATURE_HIGH',
      severity: 'major',
      message: `temperature ${celsius} Cel is above ${threshold} Cel`,
      path: '/3303/0/5700',
    });
    if (this.session?.connected === true) {
      this.publish('alarm', topics.deviceAlarms(this.endpoint), pack);
      return;
    }
    this.pendingAlarms.push(pack);
    if (this.pendingAlarms.length > MAX_PENDING_ALARMS) this.pendingAlarms.shift();
  }

  private flushAlarms(): void {
    for (const pack of this.pendingAlarms.splice(0)) this.publish('alarm', topics.deviceAlarms(this.endpoint), pack);
  }
}

const toIds = (path: string): number[] => path.split('/').filter((s) => s !== '').map(Number);

import { spawn } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as pause } from 'node:timers/promises';
import type { StoredEvent } from '../../events/envelope.ts';
import { CommandAcceptedSchema } from '../../functions/commands/commandApiSchemas.ts';
import { startLwm2mServer } from '../../functions/lwm2m/lwm2mServer.ts';
import { PLAIN_COAP_ENV, startBridgeSystem, type BridgeSystem } from '../lib/bridgeSystem.ts';
import type { FleetReport, FleetRequest } from '../lib/lwm2mFleet.ts';
import { rate, timed, type BenchResult, type BenchSuite } from '../lib/report.ts';
import { quantile } from '../lib/stats.ts';

/**
 * Simulated devices (functions/simulator, every one on its own UDP socket) in a child process
 * (bench/lib/lwm2mFleet.ts), so the server and system measured here have their event loop to
 * themselves. First the bare LwM2M server:
 *
 * - registrations/s: N devices register, W at a time (each waits for its 2.01);
 * - read round trip: server.read(ep, '/3303/0/5700') one after another over the devices,
 *   p50 and p99 from the API call to its resolution.
 *
 * Beside each, the same shape of traffic as raw UDP on loopback in the same run: W sockets doing
 * request/response round trips of a Register's size against an echo socket (the floor under any
 * CoAP exchange), and one socket's sequential round trips for latency.
 *
 * Then the whole embedded system (bench/lib/bridgeSystem.ts), with the bare server's figures as
 * baselines:
 *
 * - bootstraps/s: N devices provisioned from a manifest, registered W at a time with the bridge's
 *   server, bootstrapped by the workflow through the bridge, until every device's stream holds
 *   DeviceBootstrapped and every device is connected to the broker over mutual TLS;
 * - registrations stored/s, in the same run: from the first Register to the last device's
 *   DeviceRegistered stored (its recordedAt: bridge publish, broker, handler, store), and its
 *   latency per device;
 * - command round trip: an operator's POST /commands (read /3303/0/5700) at a bounded rate, from
 *   the request leaving to CommandSucceeded stored, p50 and p99.
 *
 * The bridge figures run 1,000 devices (50 with --quick); BENCH_LWM2M_DEVICES=<n> sets another size.
 */

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
/** Every simulated device sends from 127.0.0.1: the per-address Register limit (right for a network) is lifted. */
const NO_REGISTRATION_LIMIT = { burst: 1_000_000, perSecond: 1_000_000 };
/** About the size of a Register with its link-format body. */
const REGISTER_SIZE = 160;
/** Registered first and not measured. */
const WARMUP_DEVICES = 100;
/** About the size of a read of one resource. */
const READ_SIZE = 24;

const bindSocket = async (): Promise<Socket> => {
  const socket = createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  return socket;
};

/** An echo socket: what a server that does nothing but answer costs. */
const echoServer = async () => {
  const socket = await bindSocket();
  socket.on('message', (bytes, from) => socket.send(bytes, from.port, from.address));
  return { port: socket.address().port, close: () => new Promise<void>((resolve) => socket.close(() => resolve())) };
};

const roundTrip = (socket: Socket, port: number, payload: Buffer): Promise<void> =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('a raw UDP round trip was lost on loopback; the baseline is void')), 2000);
    socket.once('message', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.send(payload, port, '127.0.0.1');
  });

/** `total` round trips over `total` sockets, `window` in flight, as the registrations run. */
const rawRoundTripsPerSecond = async (total: number, window: number): Promise<number> => {
  const echo = await echoServer();
  const sockets = await Promise.all(Array.from({ length: total }, bindSocket));
  const payload = Buffer.alloc(REGISTER_SIZE, 0x41);
  let next = 0;
  const { ms } = await timed(() =>
    Promise.all(
      Array.from({ length: window }, async () => {
        while (next < total) await roundTrip(sockets[next++]!, echo.port, payload);
      }),
    ),
  );
  await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  await echo.close();
  return rate(total, ms);
};

const rawLatencies = async (count: number): Promise<number[]> => {
  const echo = await echoServer();
  const socket = await bindSocket();
  const payload = Buffer.alloc(READ_SIZE, 0x41);
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) latencies.push((await timed(() => roundTrip(socket, echo.port, payload))).ms);
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  await echo.close();
  return latencies;
};

/** Epoch milliseconds with a fraction, as the fleet process reports its times. */
const epochNow = () => performance.timeOrigin + performance.now();

interface FleetProcess {
  /** Every report from the fleet; returns the unsubscribe. */
  onReport(listener: (report: FleetReport) => void): () => void;
  /** Sends a request and resolves with the first report that `until` accepts. */
  request(request: FleetRequest, until: (report: FleetReport) => boolean, timeoutMs?: number): Promise<FleetReport>;
  /** Rejects once the fleet reports a failure or exits: race it against any wait on the fleet. */
  readonly failed: Promise<never>;
  close(): Promise<void>;
}

/** Starts bench/lib/lwm2mFleet.ts; a device that cannot register, or the process dying, fails every wait on it. */
const startFleet = (): FleetProcess => {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../lib/lwm2mFleet.ts')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const listeners = new Set<(report: FleetReport) => void>();
  let exited = false;
  const failed = new Promise<never>((_, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const report = JSON.parse(line) as FleetReport;
      if (report.type === 'failed') reject(new Error(`the simulated fleet failed: ${report.message}`));
      for (const listener of listeners) listener(report);
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      exited = true;
      reject(new Error(`the simulated fleet exited with ${code} before the bench ended`));
    });
  });
  // Raced against every wait below; unhandled only when nothing waits, which is no failure of the bench.
  failed.catch(() => undefined);
  const onReport = (listener: (report: FleetReport) => void) => {
    listeners.add(listener);
    return () => void listeners.delete(listener);
  };
  return {
    onReport,
    failed,
    request(request, until, timeoutMs = 120_000) {
      let unsubscribe: () => void = () => undefined;
      let timer: NodeJS.Timeout | undefined;
      const answered = new Promise<FleetReport>((resolve, reject) => {
        unsubscribe = onReport((report) => {
          if (until(report)) resolve(report);
        });
        timer = setTimeout(() => reject(new Error(`the simulated fleet did not finish ${JSON.stringify({ ...request, names: undefined })} within ${timeoutMs} ms`)), timeoutMs);
      });
      child.stdin.write(JSON.stringify(request) + '\n');
      return Promise.race([answered, failed]).finally(() => {
        clearTimeout(timer);
        unsubscribe();
      });
    },
    async close() {
      if (exited) return;
      const exit = once(child, 'exit');
      child.stdin.end();
      await exit;
    },
  };
};

const openGroup = (fleet: FleetProcess, group: string, names: readonly string[], server: { address: string; port: number }) =>
  fleet.request({ op: 'open', group, names, server }, (r) => r.type === 'opened' && r.group === group);

const closeGroup = (fleet: FleetProcess, group: string) => fleet.request({ op: 'close', group }, (r) => r.type === 'closed' && r.group === group);

/** Registers a group `window` at a time; the fleet's own clock, from the first Register sent to the last 2.01. */
const registerGroup = async (fleet: FleetProcess, group: string, window: number): Promise<number> => {
  const done = await fleet.request({ op: 'register', group, window }, (r) => r.type === 'all-registered' && r.group === group);
  return (done as { ms: number }).ms;
};

const thingOfStream = (event: StoredEvent) => event.streamId.replace(/^(device|endpoint)-/, '');

interface BootstrapRun {
  /** From the first Register sent to the last device both bootstrapped and connected. */
  readonly ms: number;
  /** From the first Register sent to the last device's DeviceRegistered stored. */
  readonly registeredMs: number;
  /** Per device: its 2.01 → DeviceRegistered stored. */
  readonly registeredLatencies: number[];
  /** Per device: its 2.01 (as the device saw it) → DeviceBootstrapped projected. */
  readonly latencies: number[];
  /** Per device: its 2.01 → connected to the broker. */
  readonly connectLatencies: number[];
  /** mqtt.js errors on the way (a CONNACK that came late is retried after the reconnect period). */
  readonly mqttErrors: number;
}

/**
 * Registers a group with the bridge's server, `window` at a time, and waits until every device's
 * stream holds DeviceBootstrapped and every device is connected to the broker. A refusal or
 * failure of any of them ends the bench with its reason; so does `timeoutMs` passing, with how far
 * it got.
 */
const bootstrapGroup = async (bs: BridgeSystem, fleet: FleetProcess, group: string, names: readonly string[], window: number, timeoutMs: number): Promise<BootstrapRun> => {
  const wanted = new Set(names);
  const registeredAt = new Map<string, number>();
  const bootstrappedAt = new Map<string, number>();
  const storedAt = new Map<string, number>();
  const connectedAt = new Map<string, number>();
  let startedAt: number | undefined;
  let mqttErrors = 0;
  const cleanups: (() => void)[] = [];
  let timer: NodeJS.Timeout | undefined;
  const done = new Promise<void>((resolve, reject) => {
    const check = () => {
      if (bootstrappedAt.size === wanted.size && connectedAt.size === wanted.size) resolve();
    };
    cleanups.push(
      bs.onProjected((events) => {
        const now = epochNow();
        for (const e of events) {
          const thing = thingOfStream(e);
          if (!wanted.has(thing)) continue;
          if (e.type === 'DeviceBootstrapped') bootstrappedAt.set(thing, now);
          // The store's own clock at the append (milliseconds): when it was stored, not when it was projected.
          else if (e.type === 'DeviceRegistered' && !storedAt.has(thing)) storedAt.set(thing, Date.parse(e.recordedAt));
          else if (e.type === 'BootstrapFailed' || e.type === 'BootstrapRejected') reject(new Error(`${thing}: ${e.type} ${JSON.stringify(e.data)}; the bootstrap figure is void`));
        }
        check();
      }),
      fleet.onReport((r) => {
        if (r.type === 'registering' && r.group === group) startedAt = r.at;
        else if (r.type === 'mqtt-error' && wanted.has(r.name)) mqttErrors += 1;
        else if ((r.type === 'registered' || r.type === 'mqtt-connected') && wanted.has(r.name)) {
          (r.type === 'registered' ? registeredAt : connectedAt).set(r.name, r.at);
          check();
        }
      }),
    );
    timer = setTimeout(() => {
      const stats = JSON.stringify(bs.lwm2m.bridge?.stats().bootstrap);
      const got = `${registeredAt.size} registered, ${storedAt.size} DeviceRegistered, ${bootstrappedAt.size} DeviceBootstrapped, ${connectedAt.size} connected to MQTT, ${mqttErrors} MQTT errors, bridge deliveries ${stats}`;
      reject(new Error(`bootstrap of ${wanted.size} devices not done within ${timeoutMs} ms: ${got}`));
    }, timeoutMs);
  });
  try {
    await Promise.race([Promise.all([registerGroup(fleet, group, window), done]), fleet.failed]);
    if (startedAt === undefined) throw new Error('the fleet never said when it started registering');
    const start = startedAt;
    const end = Math.max(...connectedAt.values(), ...bootstrappedAt.values());
    const since = (at: Map<string, number>) => names.map((n) => at.get(n)! - (registeredAt.get(n) ?? start));
    // A device's DeviceRegistered comes before its DeviceBootstrapped, so every one is in by now.
    if (storedAt.size !== wanted.size) throw new Error(`${wanted.size - storedAt.size} bootstrapped devices have no DeviceRegistered; the registration figure is void`);
    return {
      ms: end - start,
      registeredMs: Math.max(...storedAt.values()) - start,
      registeredLatencies: since(storedAt),
      latencies: since(bootstrappedAt),
      connectLatencies: since(connectedAt),
      mqttErrors,
    };
  } finally {
    clearTimeout(timer);
    for (const cleanup of cleanups) cleanup();
  }
};

/** What the store and the bridge say, beyond the events the bench counted: every stream holds DeviceBootstrapped, no delivery failed. */
const checkBootstrapped = async (bs: BridgeSystem, names: readonly string[]) => {
  for (const name of names) {
    const types = (await bs.system.events.readStream(`device-${name}`)).map((e) => e.type);
    if (!types.includes('DeviceBootstrapped')) throw new Error(`${name} has no DeviceBootstrapped in its stream (${types.join(', ')})`);
  }
  const stats = bs.lwm2m.bridge?.stats().bootstrap;
  if (stats?.failed !== 0 || stats.ok < names.length) throw new Error(`the bridge reports bootstrap deliveries ${JSON.stringify(stats)}; expected ${names.length} ok and none failed`);
};

/**
 * `count` operator reads of /3303/0/5700 through POST /commands, round-robin over `things`, one
 * every 1/perSecond s whatever the earlier ones are doing (an operator console does not wait for
 * the last answer). Each latency runs from the request leaving to CommandSucceeded stored: the
 * commands module tells its listeners after the append. The token is minted once, as a console
 * would hold it.
 */
const commandRoundTrips = async (bs: BridgeSystem, things: readonly string[], count: number, perSecond: number, timeoutMs: number): Promise<number[]> => {
  const token = await bs.system.tokens.issue('operator', 'bench-operator');
  // An answer can be stored before the 202 reaches us: it waits here for its commandId.
  const early = new Map<string, number | Error>();
  const waiting = new Map<string, (outcome: number | Error) => void>();
  const unsubscribe = bs.commands.onAnswer((outcome, message) => {
    if (message.route?.kind !== 'command-response') return;
    const id = message.route.commandId;
    let result: number | Error;
    if (outcome.kind === 'rejected') result = new Error(`the answer to command ${id} was rejected: ${outcome.reason}`);
    else if (outcome.kind === 'applied' && outcome.eventTypes.includes('CommandSucceeded')) result = performance.now();
    else if (outcome.kind === 'applied' && outcome.eventTypes.some((t) => t !== 'CommandDispatched' && t !== 'CommandQueued')) result = new Error(`command ${id} ended ${outcome.eventTypes.join(', ')}`);
    else return;
    const settle = waiting.get(id);
    if (settle) settle(result);
    else early.set(id, result);
  });
  const one = async (thingName: string): Promise<number> => {
    const start = performance.now();
    const res = await fetch(`${bs.system.url}/commands`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ thingName, operation: 'read', path: '/3303/0/5700' }),
    });
    if (res.status !== 202) throw new Error(`POST /commands for ${thingName} answered ${res.status}: ${await res.text()}`);
    const accepted = CommandAcceptedSchema.parse(await res.json());
    if (accepted.status !== 'published') throw new Error(`command ${accepted.commandId} on ${thingName} was ${accepted.status}, not published: no bridge held the device`);
    const outcome =
      early.get(accepted.commandId) ??
      (await new Promise<number | Error>((resolve) => {
        const timer = setTimeout(() => resolve(new Error(`command ${accepted.commandId} on ${thingName}: no CommandSucceeded within ${timeoutMs} ms`)), timeoutMs);
        waiting.set(accepted.commandId, (o) => {
          clearTimeout(timer);
          resolve(o);
        });
      }));
    early.delete(accepted.commandId);
    waiting.delete(accepted.commandId);
    if (outcome instanceof Error) throw outcome;
    return outcome - start;
  };
  try {
    const runs: Promise<number>[] = [];
    const t0 = performance.now();
    for (let i = 0; i < count; i++) {
      const wait = t0 + (i * 1000) / perSecond - performance.now();
      if (wait > 1) await pause(wait);
      const run = one(things[i % things.length]!);
      // Marked handled at once, since the loop may be pausing when it fails; Promise.all below reports it.
      run.catch(() => undefined);
      runs.push(run);
    }
    return await Promise.all(runs);
  } finally {
    unsubscribe();
  }
};

/** Registrations/s and read round trips through the bare server, beside raw UDP. */
const measureServer = async (fleet: FleetProcess, log: (line: string) => void, deviceCount: number, window: number, reads: number) => {
  const server = await startLwm2mServer({ port: 0, log: quiet, registrationRateLimit: NO_REGISTRATION_LIMIT });
  const names = Array.from({ length: deviceCount }, (_, i) => `bench-${i}`);
  try {
    await openGroup(fleet, 'server-warmup', Array.from({ length: WARMUP_DEVICES }, (_, i) => `warmup-${i}`), server.address());
    await openGroup(fleet, 'server', names, server.address());
    // A first round, not measured, so the JIT has compiled the server before the clock runs.
    await registerGroup(fleet, 'server-warmup', window);
    log(`registrations: ${deviceCount} devices, ${window} at a time`);
    const registrations = rate(deviceCount, await registerGroup(fleet, 'server', window));
    const missing = names.filter((n) => server.registration(n) === undefined);
    if (missing.length > 0) throw new Error(`the server does not hold ${missing.length} of ${deviceCount} registrations (${missing[0]} ...)`);
    log('baseline: raw UDP round trips, same count and window');
    const rawRegistrations = await rawRoundTripsPerSecond(deviceCount, window);

    log(`reads: ${reads} sequential server.read('/3303/0/5700') over the devices`);
    const readLatencies: number[] = [];
    for (let i = 0; i < reads; i++) readLatencies.push((await timed(() => server.read(names[i % names.length]!, '/3303/0/5700'))).ms);
    log('baseline: raw UDP round trip latency');
    const rawReadLatencies = await rawLatencies(reads);
    return { registrations, rawRegistrations, readLatencies, rawReadLatencies };
  } finally {
    await closeGroup(fleet, 'server-warmup').catch(() => undefined);
    await closeGroup(fleet, 'server').catch(() => undefined);
    await server.close();
  }
};

/** Bootstraps/s and command round trips through the whole system. */
const measureBridge = async (
  fleet: FleetProcess,
  log: (line: string) => void,
  workDir: string,
  sizes: { readonly devices: number; readonly warmup: number; readonly window: number; readonly commands: number; readonly commandsPerSecond: number },
) => {
  log(`system: ${Object.entries(PLAIN_COAP_ENV).map(([k, v]) => `${k}=${v}`).join(' ')} (the simulator speaks plain CoAP; this system listens on loopback only)`);
  const bs = await startBridgeSystem({ dataDir: workDir, bridgeId: 'bench', registrationRateLimit: NO_REGISTRATION_LIMIT });
  try {
    const server = bs.lwm2m.plainCoap!;
    const warmupNames = Array.from({ length: sizes.warmup }, (_, i) => `warm-${i}`);
    const names = Array.from({ length: sizes.devices }, (_, i) => `boot-${i}`);
    log(`provisioning ${sizes.warmup + sizes.devices} devices from a manifest (not measured)`);
    await bs.provision('b-bench-lwm2m', [...warmupNames, ...names]);
    await openGroup(fleet, 'bridge-warmup', warmupNames, server);
    await openGroup(fleet, 'bridge', names, server);
    // Generous: the workflow's checks come 4 s and then 16 s apart when a write is late.
    const timeoutMs = 60_000 + 200 * sizes.devices;

    // Not measured: the JIT compiles the bridge, workflow and broker paths first.
    await bootstrapGroup(bs, fleet, 'bridge-warmup', warmupNames, sizes.window, timeoutMs);
    log(`bootstraps: ${sizes.devices} devices, registered ${sizes.window} at a time, until DeviceBootstrapped and connected to MQTT`);
    const cpuBefore = process.cpuUsage();
    const loopBefore = performance.eventLoopUtilization();
    const bootstraps = await bootstrapGroup(bs, fleet, 'bridge', names, sizes.window, timeoutMs);
    const loop = performance.eventLoopUtilization(loopBefore);
    const cpu = process.cpuUsage(cpuBefore);
    await checkBootstrapped(bs, [...warmupNames, ...names]);
    await bs.system.projections.settled();

    await commandRoundTrips(bs, warmupNames, Math.min(20, sizes.commands), sizes.commandsPerSecond, 30_000);
    log(`commands: ${sizes.commands} operator reads of /3303/0/5700 through POST /commands, ${sizes.commandsPerSecond}/s, until CommandSucceeded`);
    const commandLatencies = await commandRoundTrips(bs, names, sizes.commands, sizes.commandsPerSecond, 30_000);
    return { bootstraps, bootstrapCpuMs: (cpu.user + cpu.system) / 1000, bootstrapLoopBusy: loop.utilization, commandLatencies };
  } finally {
    await closeGroup(fleet, 'bridge-warmup').catch(() => undefined);
    await closeGroup(fleet, 'bridge').catch(() => undefined);
    await bs.system.stop();
  }
};

/** BENCH_LWM2M_DEVICES: the bridge figures' fleet size, to find where a size starts to hurt without editing the suite. */
const devicesFromEnv = (): number | undefined => {
  const raw = process.env.BENCH_LWM2M_DEVICES;
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 100_000) throw new Error(`BENCH_LWM2M_DEVICES=${raw} is not a device count: give a whole number from 1 to 100000`);
  return n;
};

export const lwm2mSuite: BenchSuite = {
  name: 'lwm2m',
  description:
    'simulated devices against the LwM2M server: registrations/s and read round trips p50/p99 beside raw UDP; bootstraps/s and POST /commands round trips through the bridge beside them',
  async run({ quick, workDir, log }) {
    const deviceCount = quick ? 100 : 1000;
    const window = 32;
    const reads = quick ? 300 : 3000;
    const bridgeSizes = {
      devices: devicesFromEnv() ?? (quick ? 50 : 1000),
      warmup: quick ? 10 : 50,
      window,
      commands: quick ? 100 : 1000,
      // Bounded: an operator console's pace, so the figure is the path's latency, not a queue's.
      commandsPerSecond: 50,
    };

    const fleet = startFleet();
    let bare: Awaited<ReturnType<typeof measureServer>>;
    let bridge: Awaited<ReturnType<typeof measureBridge>>;
    try {
      bare = await measureServer(fleet, log, deviceCount, window, reads);
      bridge = await measureBridge(fleet, log, workDir, bridgeSizes);
    } finally {
      await fleet.close();
    }

    const results: BenchResult[] = [];
    results.push({
      metric: `registrations (${deviceCount} devices, ${window} in flight)`,
      value: bare.registrations,
      unit: 'registrations/s',
      baseline: `raw UDP request/response, ${REGISTER_SIZE} B, same window`,
      baselineValue: bare.rawRegistrations,
      ratio: bare.registrations / bare.rawRegistrations,
    });
    // The baseline is the bare server's registrations/s, not raw key + certificate issuance: a
    // bootstrap issues nothing (provisioning did, earlier), while every bootstrap starts with the
    // device's Register. Everything after it (bridge and broker hops, workflow, store, the write
    // of 18830, the device's TLS connect) is what the ratio prices.
    // Register → DeviceRegistered in the store: the bridge's publish, the broker's hand-off (PUBACK
    // after handling), the handler's checks and append. Bootstraps of the same devices run meanwhile,
    // as they do when a fleet arrives.
    const storedRate = rate(bridgeSizes.devices, bridge.bootstraps.registeredMs);
    results.push({
      metric: `registrations stored through the bridge (${bridgeSizes.devices} devices, Register → DeviceRegistered stored)`,
      value: storedRate,
      unit: 'registrations/s',
      baseline: 'registrations/s, bare server (above)',
      baselineValue: bare.registrations,
      ratio: storedRate / bare.registrations,
    });
    for (const q of [0.5, 0.99]) {
      const value = quantile(bridge.bootstraps.registeredLatencies, q);
      const baselineValue = quantile(bare.readLatencies, q);
      results.push({
        metric: `registration latency p${q * 100} (device's 2.01 → DeviceRegistered stored)`,
        value,
        unit: 'ms',
        baseline: `read through the server API p${q * 100} (below)`,
        baselineValue,
        ratio: baselineValue / value,
      });
    }
    const bootstrapRate = rate(bridgeSizes.devices, bridge.bootstraps.ms);
    results.push({
      metric: `bootstraps through the bridge (${bridgeSizes.devices} devices, Register → DeviceBootstrapped + MQTT connected)`,
      value: bootstrapRate,
      unit: '/s',
      baseline: 'registrations/s, bare server (above)',
      baselineValue: bare.registrations,
      ratio: bootstrapRate / bare.registrations,
    });
    // The workflow checks for the bridge's result 1 s after delivery, then at 2, 3, 7, 11 s ...: no
    // bootstrap concludes sooner, so a small fleet's rate is bounded by that wait, not by work.
    for (const q of [0.5, 0.99]) {
      const value = quantile(bridge.bootstraps.latencies, q);
      results.push({
        metric: `bootstrap latency p${q * 100} (device's 2.01 → DeviceBootstrapped)`,
        value,
        unit: 'ms',
        baseline: "the workflow's first result check",
        baselineValue: 1000,
        ratio: 1000 / value,
      });
    }
    results.push({
      metric: `device's 2.01 → connected to MQTT p99 (${bridge.bootstraps.mqttErrors} MQTT errors on the way)`,
      value: quantile(bridge.bootstraps.connectLatencies, 0.99),
      unit: 'ms',
      baseline: 'bootstrap latency p99 (above)',
      baselineValue: quantile(bridge.bootstraps.latencies, 0.99),
      ratio: quantile(bridge.bootstraps.latencies, 0.99) / quantile(bridge.bootstraps.connectLatencies, 0.99),
    });
    // CPU of this process (server, bridge, broker, workflow, store: every thread) per bootstrap; the
    // devices' own work is in the fleet process. Far under the wall time means the path waits, not works.
    results.push({
      metric: 'CPU per bootstrap, system process (all threads)',
      value: bridge.bootstrapCpuMs / bridgeSizes.devices,
      unit: 'ms',
      baseline: 'wall time per bootstrap',
      baselineValue: bridge.bootstraps.ms / bridgeSizes.devices,
      ratio: bridge.bootstrapCpuMs / bridge.bootstraps.ms,
    });
    // The event loop counts as busy while it runs JavaScript, while it waits in a synchronous call
    // (better-sqlite3's commits, and their fsync with FLEET_SQLITE_SYNC=FULL), and while the OS runs
    // other processes instead. Near 100 % the loop is the bottleneck; far above the CPU share, the
    // loop is held by waits (fsync) or by a machine shared with other work: read the load average.
    results.push({
      metric: 'event loop busy during the bootstraps, system process',
      value: bridge.bootstrapLoopBusy * 100,
      unit: '%',
      baseline: 'CPU share of the wall time (above)',
      baselineValue: (bridge.bootstrapCpuMs / bridge.bootstraps.ms) * 100,
      ratio: bridge.bootstrapLoopBusy / (bridge.bootstrapCpuMs / bridge.bootstraps.ms),
    });
    for (const q of [0.5, 0.99]) {
      const value = quantile(bare.readLatencies, q);
      const baselineValue = quantile(bare.rawReadLatencies, q);
      results.push({
        metric: `read round trip through the server API p${q * 100}`,
        value,
        unit: 'ms',
        baseline: `raw UDP round trip p${q * 100}`,
        baselineValue,
        ratio: baselineValue / value,
      });
    }
    for (const q of [0.5, 0.99]) {
      const value = quantile(bridge.commandLatencies, q);
      const baselineValue = quantile(bare.readLatencies, q);
      results.push({
        metric: `command round trip through the bridge p${q * 100} (POST /commands read → CommandSucceeded, ${bridgeSizes.commandsPerSecond}/s)`,
        value,
        unit: 'ms',
        baseline: `read through the server API p${q * 100} (above)`,
        baselineValue,
        ratio: baselineValue / value,
      });
    }
    return results;
  },
};

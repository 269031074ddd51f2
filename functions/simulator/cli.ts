import { lookup } from 'node:dns/promises';
import { defaultBindHost, parseArgs, USAGE, type SimulateArgs } from './cliArgs.ts';
import { Fleet, type FleetCounters } from './fleet.ts';

/**
 * `npm run simulate -- --devices N --server coap://host:port ...`: a fleet of simulated devices
 * with a progress line and a summary. Ctrl-C (or --duration) de-registers them and closes every
 * socket; a second Ctrl-C leaves at once.
 */

const out = (line: string) => process.stdout.write(`${line}\n`);

const progressLine = (c: FleetCounters, elapsedMs: number): string =>
  [
    `[${(elapsedMs / 1000).toFixed(0).padStart(4)}s]`,
    `registered ${c.registered}/${c.devices}`,
    `bootstrapped ${c.bootstrapped}`,
    `mqtt ${c.mqttConnected}`,
    `messages ${c.statesPublished + c.alarmsPublished}`,
    `commands ${c.operations}`,
    ...(c.registrationFailures > 0 ? [`registration failures ${c.registrationFailures}`] : []),
    ...(c.mqttErrors > 0 ? [`mqtt errors ${c.mqttErrors}`] : []),
  ].join('  ');

const summary = (c: FleetCounters, elapsedMs: number): string[] => [
  '',
  `summary after ${(elapsedMs / 1000).toFixed(1)} s`,
  `  devices                 ${c.devices} (${c.started} started)`,
  `  registrations           ${c.registrations} (${c.reregistrations} again after a 4.04, failure or reboot), ${c.updates} updates`,
  c.allRegisteredAfterMs === undefined
    ? `  all registered          not reached (${c.registered} registered at the end)`
    : `  all registered in       ${(c.allRegisteredAfterMs / 1000).toFixed(2)} s (${((c.devices * 1000) / Math.max(1, c.allRegisteredAfterMs)).toFixed(0)} registrations/s, paced by --rate)`,
  `  registration failures   ${c.registrationFailures}`,
  `  bootstrapped            ${c.bootstrapped}`,
  `  MQTT                    ${c.mqttConnected} connected at the end, ${c.mqttErrors} errors`,
  `  published               ${c.statesPublished} state, ${c.alarmsPublished} alarm packs`,
  `  server requests         ${c.operations} answered, ${c.notifications} notifications, ${c.sends} sends`,
];

const run = async (args: SimulateArgs): Promise<void> => {
  const resolved = await lookup(args.serverHost).catch((error: unknown) => {
    throw new Error(`cannot resolve the server host ${args.serverHost}: ${error instanceof Error ? error.message : String(error)}; check --server`);
  });
  const server = { address: resolved.address, port: args.serverPort };
  const bindHost = args.bindHost ?? defaultBindHost(resolved.address, resolved.family === 6 ? 6 : 4);
  out(
    `simulating ${args.devices} LwM2M ${args.lwm2mVersion} device(s) ${args.prefix}${args.first}..${args.prefix}${args.first + args.devices - 1}` +
      ` against coap://${server.address}:${server.port}${args.queueMode ? ' in queue mode' : ''}, from ${bindHost}`,
  );
  const fleet = await Fleet.open({
    devices: args.devices,
    prefix: args.prefix,
    first: args.first,
    server,
    bindHost,
    startsPerSecond: args.startsPerSecond,
    device: {
      lwm2mVersion: args.lwm2mVersion,
      queueMode: args.queueMode,
      lifetimeSeconds: args.lifetimeSeconds,
      publishEveryMs: args.publishEveryMs,
      sampleEveryMs: args.sampleEveryMs,
      sendEveryMs: args.sendEveryMs,
      alarmAboveCelsius: args.alarmAboveCelsius,
    },
  });
  const startedAt = Date.now();
  const tty = process.stdout.isTTY;
  const print = () => {
    const line = progressLine(fleet.counters(), Date.now() - startedAt);
    if (tty) process.stdout.write(`\r\x1b[2K${line}`);
    else out(line);
  };
  fleet.start();
  const progress = setInterval(print, args.progressEveryMs);

  await new Promise<void>((resolve) => {
    const finish = () => {
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigint);
      clearTimeout(deadline);
      resolve();
    };
    const onSigint = () => {
      // A second Ctrl-C while stopping leaves at once.
      process.once('SIGINT', () => process.exit(130));
      finish();
    };
    process.once('SIGINT', onSigint);
    process.once('SIGTERM', onSigint);
    const deadline = args.durationMs === undefined ? undefined : setTimeout(finish, args.durationMs);
  });

  clearInterval(progress);
  print();
  if (tty) out('');
  out('stopping: de-registering every device (Ctrl-C again to leave at once)');
  const counters = fleet.counters();
  await fleet.stop({ deregister: true, deadlineMs: 5_000 });
  summary(counters, Date.now() - startedAt).forEach((line) => out(line));
};

const main = async (): Promise<void> => {
  const parsed = parseArgs(process.argv.slice(2));
  if (parsed.kind === 'help') {
    out(USAGE);
    return;
  }
  if (parsed.kind === 'error') throw new Error(parsed.message);
  await run(parsed.args);
};

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);

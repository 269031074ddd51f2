import { describe, expect, it } from 'vitest';
import { defaultBindHost, parseArgs, parseDuration, parseServerUri } from '../../functions/simulator/cliArgs.ts';

const run = (argv: string[]) => {
  const parsed = parseArgs(argv);
  if (parsed.kind !== 'run') throw new Error(`expected a run, got ${JSON.stringify(parsed)}`);
  return parsed.args;
};
const error = (argv: string[]) => {
  const parsed = parseArgs(argv);
  if (parsed.kind !== 'error') throw new Error(`expected an error, got ${JSON.stringify(parsed)}`);
  return parsed.message;
};

describe('simulate command line', () => {
  it('has defaults for everything', () => {
    expect(run([])).toEqual({
      devices: 1,
      serverHost: '127.0.0.1',
      serverPort: 5683,
      prefix: 'sim-',
      first: 0,
      lwm2mVersion: '1.1',
      queueMode: false,
      lifetimeSeconds: 300,
      publishEveryMs: 10_000,
      sampleEveryMs: 5_000,
      sendEveryMs: 0,
      alarmAboveCelsius: 30,
      startsPerSecond: 50,
      bindHost: undefined,
      durationMs: undefined,
      progressEveryMs: 1_000,
    });
  });

  it('reads every option, in both --name value and --name=value forms', () => {
    expect(
      run(['--devices', '250', '--server=coap://[::1]:5690', '--prefix', 'meter-', '--first', '10', '--lwm2m', '1.2', '--queue-mode', '--lifetime', '2m', '--publish-every', '500ms', '--sample-every=1s', '--send-every', '30s', '--alarm-above', '27.5', '--rate', '0', '--bind', '0.0.0.0', '--duration', '1h', '--progress-every', '5s']),
    ).toEqual({
      devices: 250,
      serverHost: '::1',
      serverPort: 5690,
      prefix: 'meter-',
      first: 10,
      lwm2mVersion: '1.2',
      queueMode: true,
      lifetimeSeconds: 120,
      publishEveryMs: 500,
      sampleEveryMs: 1000,
      sendEveryMs: 30_000,
      alarmAboveCelsius: 27.5,
      startsPerSecond: 0,
      bindHost: '0.0.0.0',
      durationMs: 3_600_000,
      progressEveryMs: 5_000,
    });
  });

  it('answers --help and -h with the usage', () => {
    expect(parseArgs(['--devices', '3', '-h'])).toEqual({ kind: 'help' });
    expect(parseArgs(['--help'])).toEqual({ kind: 'help' });
  });

  it.each([
    [['--devices', '0'], /--devices 0: give a whole number from 1/],
    [['--devices', 'ten'], /--devices ten/],
    [['--devices'], /--devices needs a value/],
    [['--devices', '1', '--devices', '2'], /given twice/],
    [['--server', 'coaps://h:5684'], /plain CoAP only/],
    [['--server', 'http://h'], /scheme must be coap/],
    [['--server', 'nonsense'], /not a URI/],
    [['--server', 'coap://h:5683/rd'], /without a path/],
    [['--prefix', 'a b'], /letters, digits/],
    [['--prefix', 'bridge:x'], /reserved for bridges/],
    [['--lwm2m', '2.0'], /give 1.0, 1.1 or 1.2/],
    [['--lifetime', '10 minutes'], /--lifetime 10 minutes: give a duration/],
    [['--publish-every', '10ms'], /at least 100 ms/],
    [['--lwm2m', '1.0', '--send-every', '10s'], /Send is an LwM2M 1.1 operation/],
    [['--alarm-above', 'hot'], /degrees Celsius/],
    [['--bind', 'example.org'], /local IP address/],
    [['--frobnicate'], /unknown option --frobnicate/],
  ])('refuses %j with a message that says what to do', (argv, message) => {
    expect(error(argv)).toMatch(message);
  });

  it('reads durations and server URIs', () => {
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('90')).toBe(90_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('-1s')).toBeUndefined();
    expect(parseServerUri('coap://lwm2m.example')).toEqual({ host: 'lwm2m.example', port: 5683 });
  });

  it('binds to loopback for a loopback server and to every interface otherwise', () => {
    expect(defaultBindHost('127.0.0.1', 4)).toBe('127.0.0.1');
    expect(defaultBindHost('::1', 6)).toBe('::1');
    expect(defaultBindHost('10.0.0.5', 4)).toBe('0.0.0.0');
    expect(defaultBindHost('2001:db8::1', 6)).toBe('::');
  });
});

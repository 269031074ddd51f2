import { describe, expect, it } from 'vitest';
import { DEFAULT_DEMO_DEVICES, DEFAULT_SUMMARY_AFTER_MS, MAX_DEMO_DEVICES, parseStartArgs } from '../../functions/demo/demoArgs.ts';

describe('npm start arguments', () => {
  it('starts the system alone without arguments', () => {
    expect(parseStartArgs([])).toEqual({ kind: 'start' });
  });

  it('runs the demo with 20 devices and a summary after a minute by default', () => {
    expect(parseStartArgs(['--demo'])).toEqual({ kind: 'demo', devices: DEFAULT_DEMO_DEVICES, summaryAfterMs: DEFAULT_SUMMARY_AFTER_MS });
    expect(DEFAULT_DEMO_DEVICES).toBe(20);
    expect(DEFAULT_SUMMARY_AFTER_MS).toBe(60_000);
  });

  it('takes --devices and --summary-after, as separate words or with =, in any order', () => {
    expect(parseStartArgs(['--demo', '--devices', '5'])).toEqual({ kind: 'demo', devices: 5, summaryAfterMs: 60_000 });
    expect(parseStartArgs(['--devices=7', '--demo', '--summary-after', '90s'])).toEqual({ kind: 'demo', devices: 7, summaryAfterMs: 90_000 });
    expect(parseStartArgs(['--demo', '--summary-after=2m'])).toMatchObject({ summaryAfterMs: 120_000 });
    expect(parseStartArgs(['--demo', '--summary-after', '1500ms'])).toMatchObject({ summaryAfterMs: 1_500 });
    expect(parseStartArgs(['--demo', '--devices', String(MAX_DEMO_DEVICES)])).toMatchObject({ devices: MAX_DEMO_DEVICES });
  });

  it('asks for help', () => {
    expect(parseStartArgs(['--help'])).toEqual({ kind: 'help' });
    expect(parseStartArgs(['--demo', '-h'])).toEqual({ kind: 'help' });
  });

  it.each([
    [['--devices', '5'], /go with --demo/],
    [['--demo', '--devices'], /--devices needs a number/],
    [['--demo', '--devices', '--summary-after', '5s'], /--devices needs a number/],
    [['--demo', '--devices', '0'], /not a whole number from 1 to 400/],
    [['--demo', '--devices', '2.5'], /not a whole number/],
    [['--demo', '--devices', String(MAX_DEMO_DEVICES + 1)], /npm run simulate/],
    [['--demo', '--summary-after', 'soon'], /not a duration from 1s to 60m/],
    [['--demo', '--summary-after', '500ms'], /not a duration/],
    [['--demo', '--summary-after', '2h'], /not a duration/],
    [['--demo=yes'], /--demo takes no value/],
    [['--dmeo'], /unknown option "--dmeo"/],
  ])('refuses %j with a message that says what to write', (argv, message) => {
    const parsed = parseStartArgs(argv);
    expect(parsed.kind).toBe('error');
    expect(parsed.kind === 'error' ? parsed.message : '').toMatch(message);
  });
});

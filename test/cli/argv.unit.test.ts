import { describe, expect, it } from 'vitest';
import { editDistance, parseArgs, suggest, wantsHelp, type ArgsSpec } from '../../functions/cli/argv.ts';
import { EXIT, UsageError } from '../../functions/cli/cliErrors.ts';

const spec: ArgsSpec = {
  positionals: [
    { name: 'thing', description: 'the device', required: true },
    { name: 'value', description: 'a value', required: false },
  ],
  options: [
    { name: 'tenant', kind: 'string', description: 'tenant' },
    { name: 'attr', kind: 'string', description: 'attribute', repeatable: true },
    { name: 'limit', kind: 'integer', description: 'page size' },
    { name: 'radius', kind: 'number', description: 'meters' },
    { name: 'format', kind: 'string', description: 'format', choices: ['csv', 'ndjson'] },
    { name: 'json', kind: 'boolean', description: 'json' },
  ],
};

const usageError = (argv: readonly string[]): UsageError => {
  try {
    parseArgs(argv, spec);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(EXIT.usage);
    return err as UsageError;
  }
  throw new Error(`parseArgs(${argv.join(' ')}) did not refuse`);
};

describe('parseArgs', () => {
  it('reads positionals, --name value, --name=value, switches and repeatable options in any order', () => {
    const args = parseArgs(['meter-1', '--tenant', 'city', '--attr=kind=water', '--json', '--attr', 'fw=2', '--limit', '20', '--radius=2500.5', '42'], spec);
    expect(args.positional('thing')).toBe('meter-1');
    expect(args.positional('value')).toBe('42');
    expect(args.string('tenant')).toBe('city');
    expect(args.list('attr')).toEqual(['kind=water', 'fw=2']);
    expect(args.number('limit')).toBe(20);
    expect(args.number('radius')).toBe(2500.5);
    expect(args.flag('json')).toBe(true);
    expect(args.has('format')).toBe(false);
    expect(args.string('format')).toBeUndefined();
  });

  it('takes negative numbers and a lone dash as values, and everything after -- as positionals', () => {
    const args = parseArgs(['-12.5', '--radius', '-3', '--', '--json'], spec);
    expect(args.positional('thing')).toBe('-12.5');
    expect(args.number('radius')).toBe(-3);
    expect(args.positional('value')).toBe('--json');
    expect(args.flag('json')).toBe(false);
  });

  it('leaves optional positionals undefined and switches false', () => {
    const args = parseArgs(['meter-1'], spec);
    expect(args.positional('value')).toBeUndefined();
    expect(args.flag('json')).toBe(false);
    expect(args.list('attr')).toEqual([]);
  });

  it('refuses an unknown option and suggests the one meant', () => {
    const err = usageError(['meter-1', '--tenat', 'x']);
    expect(err.message).toBe('unknown option --tenat.');
    expect(err.hint).toBe('Did you mean --tenant?');
  });

  it('refuses short options other than -h, a value-less option, a repeated one, a valued switch', () => {
    expect(usageError(['meter-1', '-t', 'x']).message).toContain('unknown option -t');
    expect(usageError(['meter-1', '--tenant']).message).toBe('--tenant needs a value.');
    expect(usageError(['meter-1', '--tenant', '--json']).hint).toBe('Write --tenant <value>.');
    expect(usageError(['meter-1', '--tenant', 'a', '--tenant', 'b']).message).toBe('--tenant is given more than once.');
    expect(usageError(['meter-1', '--json=yes']).message).toContain('--json is a switch and takes no value');
  });

  it('checks numbers and choices, naming the option and a fix', () => {
    expect(usageError(['meter-1', '--limit', '2.5']).message).toBe('--limit "2.5" is not a whole number.');
    expect(usageError(['meter-1', '--radius', '2km']).message).toBe('--radius "2km" is not a number.');
    const choice = usageError(['meter-1', '--format', 'cvs']);
    expect(choice.message).toBe('--format "cvs" is not one of csv, ndjson.');
    expect(choice.hint).toBe('Did you mean --format csv?');
  });

  it('refuses missing and extra positionals', () => {
    const missing = usageError([]);
    expect(missing.message).toBe('missing <thing>.');
    expect(missing.hint).toContain('<thing> (the device)');
    const extra = usageError(['a', 'b', 'c']);
    expect(extra.message).toContain('unexpected argument "c"');
    expect(extra.message).toContain('at most 2 (<thing> <value>)');
  });

  it('fails loudly when a command reads an option it did not declare (a bug, not a usage error)', () => {
    const args = parseArgs(['meter-1'], spec);
    expect(() => args.string('nope')).toThrow(/does not declare it so/);
    expect(() => args.list('tenant')).toThrow(/not repeatable/);
    expect(() => args.positional('nope')).toThrow(/does not declare it/);
  });
});

describe('help and suggestions', () => {
  it('sees -h and --help before --, not after', () => {
    expect(wantsHelp(['devices', 'search', '--help'])).toBe(true);
    expect(wantsHelp(['-h'])).toBe(true);
    expect(wantsHelp(['x', '--', '--help'])).toBe(false);
    expect(wantsHelp(['--json'])).toBe(false);
  });

  it('suggests close words only', () => {
    expect(editDistance('tenat', 'tenant')).toBe(1);
    expect(suggest('devcies', ['devices', 'device', 'commands'])).toBe('devices');
    expect(suggest('zzz', ['devices', 'commands'])).toBeUndefined();
  });
});

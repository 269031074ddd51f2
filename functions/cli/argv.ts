import { UsageError } from './cliErrors.ts';

/**
 * The command line, read against a command's declared options and positionals. Small on purpose
 * (no parser package is installed, and the CLI needs little): `--name value`, `--name=value`,
 * boolean `--flag`, repeatable options, `--` to end options, `-h` for help. Every mistake is a
 * UsageError that names the argument and says what to type instead.
 */

export type OptionKind = 'string' | 'boolean' | 'integer' | 'number';

export interface OptionSpec {
  /** The long name, without the dashes. */
  readonly name: string;
  readonly kind: OptionKind;
  readonly description: string;
  /** How the value is shown in help: `--tenant <id>`. */
  readonly valueName?: string;
  readonly repeatable?: boolean;
  readonly choices?: readonly string[];
  /** Shown in help; the command applies it. */
  readonly defaultText?: string;
  /** Shown in help: the environment variable the command falls back to. */
  readonly env?: string;
}

export interface PositionalSpec {
  readonly name: string;
  readonly description: string;
  readonly required: boolean;
}

export interface ArgsSpec {
  readonly options: readonly OptionSpec[];
  readonly positionals: readonly PositionalSpec[];
}

type Value = string | number | boolean | string[];

export interface ParsedArgs {
  /** A positional's text, or undefined when an optional one was left out. */
  positional(name: string): string | undefined;
  string(name: string): string | undefined;
  flag(name: string): boolean;
  number(name: string): number | undefined;
  /** A repeatable option's values, in the order given. */
  list(name: string): readonly string[];
  /** Whether the option was given at all. */
  has(name: string): boolean;
}

/** True when the words ask for help: `-h` or `--help` before any `--`. */
export const wantsHelp = (argv: readonly string[]): boolean => {
  for (const arg of argv) {
    if (arg === '--') return false;
    if (arg === '-h' || arg === '--help') return true;
  }
  return false;
};

/** Levenshtein distance, for "did you mean". */
export const editDistance = (a: string, b: string): number => {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length] ?? Number.POSITIVE_INFINITY;
};

/** The closest of `known` to `word`, if it is close enough to be a typo. */
export const suggest = (word: string, known: readonly string[]): string | undefined => {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const k of known) {
    const d = editDistance(word.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
};

const INTEGER = /^-?\d+$/;
const NUMBER = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** A single dash and one letter is an option (-h); "-12.5" or "-" are values. */
const isShortOption = (arg: string) => /^-[A-Za-z]$/.test(arg);
const isLongOption = (arg: string) => arg.startsWith('--') && arg.length > 2;

const convert = (spec: OptionSpec, text: string): Value => {
  switch (spec.kind) {
    case 'integer':
      if (!INTEGER.test(text)) throw new UsageError(`--${spec.name} ${JSON.stringify(text)} is not a whole number.`, `Write --${spec.name} <n>, e.g. --${spec.name} 20.`);
      return Number(text);
    case 'number':
      if (!NUMBER.test(text)) throw new UsageError(`--${spec.name} ${JSON.stringify(text)} is not a number.`, `Write --${spec.name} as a decimal number, e.g. --${spec.name} 2000.`);
      return Number(text);
    default:
      if (spec.choices && !spec.choices.includes(text)) {
        const guess = suggest(text, spec.choices);
        throw new UsageError(`--${spec.name} ${JSON.stringify(text)} is not one of ${spec.choices.join(', ')}.`, guess ? `Did you mean --${spec.name} ${guess}?` : `Use one of ${spec.choices.join(', ')}.`);
      }
      return text;
  }
};

/** Reads `argv` (the words after the command's name) against `spec`. */
export const parseArgs = (argv: readonly string[], spec: ArgsSpec): ParsedArgs => {
  const byName = new Map(spec.options.map((o) => [o.name, o]));
  const values = new Map<string, Value>();
  const positionals: string[] = [];
  let optionsEnded = false;

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (optionsEnded || (!isLongOption(arg) && !isShortOption(arg) && arg !== '--')) {
      positionals.push(arg);
      continue;
    }
    if (arg === '--') {
      optionsEnded = true;
      continue;
    }
    if (isShortOption(arg)) {
      // -h is handled before parsing; any other short option is a guess at a long one.
      throw new UsageError(`unknown option ${arg}.`, 'Options are long (--json, --limit 20); run with --help to see them.');
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const inline = eq === -1 ? undefined : arg.slice(eq + 1);
    const option = byName.get(name);
    if (!option) {
      const guess = suggest(name, [...byName.keys()]);
      throw new UsageError(`unknown option --${name}.`, guess ? `Did you mean --${guess}?` : 'Run with --help to see the options.');
    }
    if (values.has(name) && !option.repeatable) {
      throw new UsageError(`--${name} is given more than once.`, `Give --${name} once.`);
    }
    if (option.kind === 'boolean') {
      if (inline !== undefined) throw new UsageError(`--${name} is a switch and takes no value (got "${inline}").`, `Write --${name} alone, or leave it out.`);
      values.set(name, true);
      continue;
    }
    let text = inline;
    if (text === undefined) {
      const next = argv[i + 1];
      if (next === undefined || isLongOption(next) || next === '--') {
        throw new UsageError(`--${name} needs a value.`, `Write --${name} <${option.valueName ?? 'value'}>.`);
      }
      text = next;
      i++;
    }
    const value = convert(option, text);
    if (option.repeatable) {
      const list = (values.get(name) as string[] | undefined) ?? [];
      list.push(String(value));
      values.set(name, list);
    } else {
      values.set(name, value);
    }
  }

  if (positionals.length > spec.positionals.length) {
    const extra = positionals[spec.positionals.length] ?? '';
    const expected = spec.positionals.length === 0 ? 'no arguments' : `at most ${spec.positionals.length} (${spec.positionals.map((p) => `<${p.name}>`).join(' ')})`;
    throw new UsageError(`unexpected argument ${JSON.stringify(extra)}: this command takes ${expected}.`, 'Quote a value that has spaces; run with --help for the usage.');
  }
  const missing = spec.positionals.filter((p, index) => p.required && positionals[index] === undefined);
  if (missing.length > 0) {
    throw new UsageError(`missing ${missing.map((p) => `<${p.name}>`).join(' ')}.`, `Give ${missing.map((p) => `<${p.name}> (${p.description})`).join(' and ')}.`);
  }
  const positionalIndex = new Map(spec.positionals.map((p, index) => [p.name, index]));

  const optionOf = (name: string, kinds: readonly OptionKind[]): OptionSpec => {
    const option = byName.get(name);
    if (!option || !kinds.includes(option.kind)) throw new Error(`the command reads --${name} as ${kinds.join('/')}, but does not declare it so`);
    return option;
  };

  return {
    positional(name) {
      const index = positionalIndex.get(name);
      if (index === undefined) throw new Error(`the command reads <${name}> but does not declare it`);
      return positionals[index];
    },
    string(name) {
      optionOf(name, ['string']);
      const v = values.get(name);
      return typeof v === 'string' ? v : undefined;
    },
    flag(name) {
      optionOf(name, ['boolean']);
      return values.get(name) === true;
    },
    number(name) {
      optionOf(name, ['integer', 'number']);
      const v = values.get(name);
      return typeof v === 'number' ? v : undefined;
    },
    list(name) {
      const option = optionOf(name, ['string']);
      if (!option.repeatable) throw new Error(`--${name} is not repeatable: read it with string()`);
      return (values.get(name) as string[] | undefined) ?? [];
    },
    has: (name) => values.has(name),
  };
};

import type { OptionSpec } from './argv.ts';
import { API_OPTIONS, COMMON_OPTIONS, type CliCommand } from './cliCommand.ts';

export const EXIT_CODES_TEXT = 'Exit codes: 0 done, 1 ran but did not succeed, 2 bad arguments, 3 refused by the API (4xx), 4 API unreachable or failing (5xx).';

const optionLabel = (o: OptionSpec) => (o.kind === 'boolean' ? `--${o.name}` : `--${o.name} <${o.valueName ?? 'value'}>`);

const optionText = (o: OptionSpec) => {
  const extras = [
    o.choices && o.kind === 'string' && !o.description.includes(o.choices.join(', ')) ? `one of ${o.choices.join(', ')}` : undefined,
    o.repeatable ? 'repeatable' : undefined,
    o.env ? `env ${o.env}` : undefined,
    o.defaultText ? `default ${o.defaultText}` : undefined,
  ].filter((x) => x !== undefined);
  return extras.length === 0 ? o.description : `${o.description} (${extras.join('; ')})`;
};

const section = (title: string, rows: readonly (readonly [string, string])[]): string => {
  if (rows.length === 0) return '';
  const width = Math.min(28, Math.max(...rows.map(([l]) => l.length)));
  const lines = rows.map(([label, text]) => (label.length > width ? `  ${label}\n  ${' '.repeat(width)}  ${text}` : `  ${label.padEnd(width)}  ${text}`));
  return `\n${title}:\n${lines.join('\n')}\n`;
};

/** A command's --help: usage, what it does, arguments, options, examples, exit codes. */
export const commandHelp = (command: CliCommand): string => {
  const name = `fleet ${command.path.join(' ')}`;
  const args = command.positionals.map((p) => (p.required ? `<${p.name}>` : `[${p.name}]`)).join(' ');
  const usage = `Usage: ${name}${args ? ` ${args}` : ''} [options]\n\n${command.summary}\n\n${command.description}\n`;
  const global = command.role === undefined ? COMMON_OPTIONS : [...API_OPTIONS, ...COMMON_OPTIONS];
  return [
    usage,
    section('Arguments', command.positionals.map((p) => [`<${p.name}>`, `${p.description}${p.required ? '' : ' (optional)'}`] as const)),
    section('Options', command.options.map((o) => [optionLabel(o), optionText(o)] as const)),
    section('Common options', global.map((o) => [optionLabel(o), optionText(o)] as const)),
    command.role === undefined ? '' : `\nWithout --token, --role or FLEET_TOKEN, a token for the role "${command.role}" is minted from the data dir.\n`,
    command.examples.length === 0 ? '' : `\nExamples:\n${command.examples.map((e) => `  ${e}`).join('\n')}\n`,
    `\n${EXIT_CODES_TEXT}\n`,
  ].join('');
};

/** The list of commands under a prefix (all of them for `fleet --help`). */
export const groupHelp = (prefix: readonly string[], commands: readonly CliCommand[]): string => {
  const under = commands.filter((c) => prefix.every((w, i) => c.path[i] === w));
  const title = prefix.length === 0 ? 'fleet: the command line of the LwM2M fleet backend' : `fleet ${prefix.join(' ')}`;
  const rows = under.map((c) => [`fleet ${c.path.join(' ')}${c.positionals.map((p) => (p.required ? ` <${p.name}>` : ` [${p.name}]`)).join('')}`, c.summary] as const);
  const usage = prefix.length === 0 ? 'Usage: fleet <command> [arguments] [options]' : `Usage: fleet ${prefix.join(' ')} <${[...new Set(under.map((c) => c.path[prefix.length]))].join('|')}> [options]`;
  return [
    `${title}\n\n${usage}\n`,
    section('Commands', rows),
    `\nEvery command takes --help and --json. Commands that call the API take --url, --token, --role, --data-dir and --subject (see any command's --help).\n`,
    `Run "fleet <command> --help" for a command's arguments and options.\n`,
    `\n${EXIT_CODES_TEXT}\n`,
  ].join('');
};

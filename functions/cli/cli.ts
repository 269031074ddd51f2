import { parseRole, type Role } from '../api/auth/roles.ts';
import { createApiClient, type ApiClient } from './apiClient.ts';
import { parseArgs, suggest, wantsHelp } from './argv.ts';
import { API_OPTIONS, COMMON_OPTIONS, type CliCommand, type CliIo, type CommandContext } from './cliCommand.ts';
import { CliError, EXIT, UsageError } from './cliErrors.ts';
import { COMMANDS } from './commands.ts';
import { commandHelp, groupHelp } from './help.ts';
import { dataDirOf, resolveToken, subjectOf } from './tokenSource.ts';

/** The API's base URL: --url, else FLEET_URL, else where `npm start` listens with the same environment. */
export const baseUrlOf = (flag: string | undefined, env: Readonly<Record<string, string | undefined>>): string => {
  const given = flag ?? env.FLEET_URL;
  if (given !== undefined) {
    let url: URL;
    try {
      url = new URL(given);
    } catch {
      throw new UsageError(`--url ${JSON.stringify(given.slice(0, 100))} is not a URL.`, 'Write it like http://127.0.0.1:8080.');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--url ${given} is not http or https.`, 'Write it like http://127.0.0.1:8080.');
    return url.toString().replace(/\/+$/, '');
  }
  // A server bound to every address is reached on loopback.
  const host = env.FLEET_HTTP_HOST || '127.0.0.1';
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  const port = env.FLEET_HTTP_PORT || '8080';
  if (!/^\d{1,5}$/.test(port)) throw new UsageError(`FLEET_HTTP_PORT ${JSON.stringify(port)} is not a port.`, 'Set it to the port the server listens on, or pass --url.');
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
};

const samePath = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((w, i) => b[i] === w);
const startsWith = (path: readonly string[], prefix: readonly string[]) => prefix.every((w, i) => path[i] === w);
const GLOBAL_OPTIONS = [...API_OPTIONS, ...COMMON_OPTIONS];

type Resolved = { readonly kind: 'command'; readonly command: CliCommand; readonly argv: readonly string[] } | { readonly kind: 'group'; readonly prefix: readonly string[] };

/**
 * Finds the command the words name. Options may come before or between the command's words
 * (`fleet --json devices search`); a global option's value is skipped, not taken for a word.
 */
const resolveCommand = (argv: readonly string[], commands: readonly CliCommand[]): Resolved => {
  const options: string[] = [];
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') break;
    if (arg.startsWith('-') && arg.length > 1) {
      options.push(arg);
      const spec = GLOBAL_OPTIONS.find((o) => `--${o.name}` === arg);
      const value = argv[i + 1];
      if (spec && spec.kind !== 'boolean' && value !== undefined) {
        options.push(value);
        i++;
      }
      continue;
    }
    // `fleet help devices search` is `fleet devices search --help`.
    if (words.length === 0 && arg === 'help') {
      options.push('--help');
      continue;
    }
    words.push(arg);
    const command = commands.find((c) => samePath(c.path, words));
    if (command) return { kind: 'command', command, argv: [...options, ...argv.slice(i + 1)] };
    if (!commands.some((c) => startsWith(c.path, words))) {
      const known = [...new Set(commands.filter((c) => startsWith(c.path, words.slice(0, -1))).map((c) => c.path[words.length - 1] ?? ''))];
      const guess = suggest(arg, known);
      const where = words.length === 1 ? 'fleet' : `fleet ${words.slice(0, -1).join(' ')}`;
      throw new UsageError(`${where} has no command "${arg}".`, guess ? `Did you mean "${where} ${guess}"?` : `Use one of ${known.join(', ')}.`);
    }
  }
  return { kind: 'group', prefix: words };
};

const writeLine = (stream: NodeJS.WritableStream, text: string) => void stream.write(text.endsWith('\n') ? text : `${text}\n`);

const reportError = (err: unknown, io: CliIo, json: boolean, commandName: string): number => {
  if (!(err instanceof CliError)) {
    const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
    if (json) writeLine(io.stderr, JSON.stringify({ error: { kind: 'internal', message: err instanceof Error ? err.message : String(err), exitCode: EXIT.internal } }));
    else writeLine(io.stderr, `${commandName}: internal error (a bug in the CLI; please report it with this output):\n${detail}`);
    return EXIT.internal;
  }
  const help = err instanceof UsageError ? `Run "${commandName} --help" for the usage.` : '';
  if (json) {
    const problem = 'problem' in err ? (err as { problem: unknown }).problem : undefined;
    writeLine(io.stderr, JSON.stringify({ error: { kind: err.kind, message: err.message, hint: [err.hint, help].filter(Boolean).join(' '), exitCode: err.exitCode, ...(problem ? { problem } : {}) } }));
    return err.exitCode;
  }
  const lines = [`${commandName}: ${err.message}`];
  const fields = 'problem' in err ? ((err as { problem: { errors?: readonly { field: string; message: string; hint?: string }[] } }).problem.errors ?? []) : [];
  for (const f of fields) lines.push(`  - ${f.field}: ${f.message}${f.hint ? ` ${f.hint}` : ''}`);
  if (err.hint) lines.push(`  ${err.hint}`);
  if (help) lines.push(`  ${help}`);
  writeLine(io.stderr, lines.join('\n'));
  return err.exitCode;
};

/** Runs the CLI on its arguments (without `node` and the script); resolves with the exit code. */
export const runCli = async (argv: readonly string[], io: CliIo, commands: readonly CliCommand[] = COMMANDS): Promise<number> => {
  const dashDash = argv.indexOf('--');
  const json = (dashDash === -1 ? argv : argv.slice(0, dashDash)).includes('--json');
  let commandName = 'fleet';
  try {
    const resolved = resolveCommand(argv, commands);
    if (resolved.kind === 'group') {
      commandName = ['fleet', ...resolved.prefix].join(' ');
      const text = groupHelp(resolved.prefix, commands);
      if (wantsHelp(argv)) {
        io.stdout.write(text);
        return EXIT.ok;
      }
      io.stderr.write(text);
      throw new UsageError(`${commandName} needs a command.`, 'Pick one of those listed above.');
    }
    const { command } = resolved;
    commandName = `fleet ${command.path.join(' ')}`;
    if (wantsHelp(resolved.argv)) {
      io.stdout.write(commandHelp(command));
      return EXIT.ok;
    }
    const spec = { positionals: command.positionals, options: [...command.options, ...(command.role === undefined ? [] : API_OPTIONS), ...COMMON_OPTIONS] };
    const args = parseArgs(resolved.argv, spec);
    const role = command.role;
    const baseUrl = role === undefined ? '' : baseUrlOf(args.string('url'), io.env);
    let client: Promise<ApiClient> | undefined;
    const ctx: CommandContext = {
      args,
      io,
      json,
      baseUrl,
      api: () => {
        if (role === undefined) throw new Error(`${commandName} calls the API but declares no role`);
        client ??= (async () => {
          const flagRole = args.string('role');
          const token = await resolveToken({
            flagToken: args.string('token'),
            flagRole: flagRole === undefined ? undefined : (parseRole(flagRole) satisfies Role),
            envToken: io.env.FLEET_TOKEN,
            defaultRole: role,
            dataDir: dataDirOf(args.string('data-dir'), io.env, io.cwd),
            subject: () => subjectOf(args.string('subject'), io.env),
          });
          return createApiClient({ baseUrl, token: token.token, tokenSource: token.source });
        })();
        return client;
      },
      print: (text) => writeLine(io.stdout, text),
      printJson: (value) => writeLine(io.stdout, JSON.stringify(value, null, 2)),
      note: (text) => writeLine(io.stderr, text),
    };
    return await command.run(ctx);
  } catch (err) {
    return reportError(err, io, json, commandName);
  }
};

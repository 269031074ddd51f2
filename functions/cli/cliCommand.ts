import type { Role } from '../api/auth/roles.ts';
import { ROLES } from '../api/auth/roles.ts';
import type { ApiClient } from './apiClient.ts';
import type { OptionSpec, ParsedArgs, PositionalSpec } from './argv.ts';
import type { ExitCode } from './cliErrors.ts';

/** Where output goes: process.stdout/stderr, or a test's streams. */
export interface CliStream extends NodeJS.WritableStream {
  readonly isTTY?: boolean | undefined;
  readonly columns?: number | undefined;
}

/** Everything the CLI takes from its surroundings, so nothing reads process.* below main.ts. */
export interface CliIo {
  readonly stdout: CliStream;
  readonly stderr: CliStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly now: () => Date;
  /** Waits between polls of a running batch or command. */
  readonly sleep: (ms: number) => Promise<void>;
}

export interface CommandContext {
  readonly args: ParsedArgs;
  readonly io: CliIo;
  /** --json: stdout carries JSON only; notes and progress go to stderr either way. */
  readonly json: boolean;
  /** The API client, with a token resolved on first use (so --help and local commands need none). */
  readonly api: () => Promise<ApiClient>;
  /** The API's base URL as the CLI will call it. */
  readonly baseUrl: string;
  /** A line on stdout (human output). */
  readonly print: (text: string) => void;
  /** One JSON document on stdout. */
  readonly printJson: (value: unknown) => void;
  /** A line on stderr: what is happening, where to look next. Never data. */
  readonly note: (text: string) => void;
}

export interface CliCommand {
  /** The words that name it: ['devices', 'search']. */
  readonly path: readonly string[];
  readonly summary: string;
  /** A paragraph for --help: what it does and what it prints. */
  readonly description: string;
  readonly positionals: readonly PositionalSpec[];
  readonly options: readonly OptionSpec[];
  readonly examples: readonly string[];
  /** The least role the command needs (minted when no token is given); absent: it does not call the API. */
  readonly role?: Role;
  run(ctx: CommandContext): Promise<ExitCode>;
}

/** Options every command takes. */
export const COMMON_OPTIONS: readonly OptionSpec[] = [
  { name: 'json', kind: 'boolean', description: 'Print JSON on stdout (one document, or NDJSON where noted) instead of text.' },
  { name: 'help', kind: 'boolean', description: 'Show this help.' },
];

/** Options of every command that calls the API. */
export const API_OPTIONS: readonly OptionSpec[] = [
  { name: 'url', kind: 'string', valueName: 'url', env: 'FLEET_URL', description: 'The API base URL.', defaultText: 'http://$FLEET_HTTP_HOST:$FLEET_HTTP_PORT, i.e. http://127.0.0.1:8080' },
  { name: 'token', kind: 'string', valueName: 'jwt', env: 'FLEET_TOKEN', description: 'A bearer token (fleet token prints one).' },
  {
    name: 'role',
    kind: 'string',
    valueName: 'role',
    choices: ROLES,
    description: "Mint a token for this role from the data dir's issuer key instead (admin, operator, viewer). With no token and no role, the least role the command needs is minted.",
  },
  { name: 'data-dir', kind: 'string', valueName: 'dir', env: 'FLEET_DATA_DIR', description: "The server's data dir, whose issuer key mints tokens.", defaultText: './data' },
  { name: 'subject', kind: 'string', valueName: 'name', env: 'FLEET_SUBJECT', description: 'Who minted tokens are for; the command audit records it.', defaultText: 'cli-<login name>' },
];

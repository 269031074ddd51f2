import { DEFAULT_TOKEN_TTL_SECONDS, MAX_TOKEN_TTL_SECONDS } from '../api/auth/localIssuer.ts';
import { parseRole, ROLE_PURPOSE, ROLES } from '../api/auth/roles.ts';
import type { CliCommand } from './cliCommand.ts';
import { EXIT, UsageError } from './cliErrors.ts';
import { dataDirOf, mintToken, subjectOf } from './tokenSource.ts';

/** `fleet token --role viewer`: a bearer token from the data dir's issuer key; the server need not run. */
export const tokenCommand: CliCommand = {
  path: ['token'],
  summary: 'Mint a bearer token for a role',
  description: [
    "Signs a token with the embedded system's issuer key (<data dir>/auth/issuer-es256.jwk.json), so it",
    'works whether or not the server runs, but only on a machine that holds the key. It never creates a',
    'key: a new one would sign tokens the server refuses. Text output is the token alone on stdout (for',
    '$(...)), its expiry on stderr. Roles:',
    ...ROLES.map((r) => `  ${r.padEnd(9)} ${ROLE_PURPOSE[r]}`),
  ].join('\n'),
  positionals: [],
  options: [
    { name: 'role', kind: 'string', valueName: 'role', choices: ROLES, description: 'The role the token carries (required).' },
    { name: 'ttl', kind: 'integer', valueName: 'seconds', description: `How long it lives, 1 to ${MAX_TOKEN_TTL_SECONDS} (a week).`, defaultText: String(DEFAULT_TOKEN_TTL_SECONDS) },
    { name: 'subject', kind: 'string', valueName: 'name', env: 'FLEET_SUBJECT', description: 'Who it is for; the command audit records it as the operator.', defaultText: 'cli-<login name>' },
    { name: 'data-dir', kind: 'string', valueName: 'dir', env: 'FLEET_DATA_DIR', description: "The server's data dir.", defaultText: './data' },
  ],
  examples: ['fleet token --role viewer', 'export FLEET_TOKEN="$(fleet token --role operator --subject ada@example.com)"', 'fleet token --role admin --ttl 600 --json'],
  async run({ args, io, json, print, printJson, note }) {
    const roleText = args.string('role');
    if (roleText === undefined) throw new UsageError('--role is required.', `Give --role ${ROLES.join('|')}.`);
    const role = parseRole(roleText);
    const ttl = args.number('ttl');
    if (ttl !== undefined && (ttl < 1 || ttl > MAX_TOKEN_TTL_SECONDS)) {
      throw new UsageError(`--ttl ${ttl} is outside 1..${MAX_TOKEN_TTL_SECONDS} seconds.`, 'A token lives at most a week; mint a new one when it expires.');
    }
    const subject = subjectOf(args.string('subject'), io.env);
    const dataDir = dataDirOf(args.string('data-dir'), io.env, io.cwd);
    const issued = await mintToken(dataDir, role, subject, ttl);
    if (json) {
      printJson({ token: issued.token, role, subject, expiresAt: issued.expiresAt.toISOString(), dataDir });
    } else {
      print(issued.token);
      note(`A ${role} token for ${subject}, valid until ${issued.expiresAt.toISOString()}. Use it as: Authorization: Bearer <token>.`);
    }
    return EXIT.ok;
  },
};

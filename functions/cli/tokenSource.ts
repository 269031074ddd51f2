import { accessSync, constants } from 'node:fs';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { issueLocalToken } from '../api/auth/cliToken.ts';
import { issuerKeyFile, type IssuedToken } from '../api/auth/localIssuer.ts';
import type { Role } from '../api/auth/roles.ts';
import { TokenError, UsageError } from './cliErrors.ts';

/** Tokens the CLI mints for its own requests live this long: one invocation, with room for a slow batch. */
export const CLI_REQUEST_TOKEN_TTL_SECONDS = 30 * 60;

const SUBJECT = /^[\w.@:+-]{1,128}$/;

/** Where the server keeps its data: --data-dir, else FLEET_DATA_DIR, else ./data (as `npm start`). */
export const dataDirOf = (flag: string | undefined, env: Readonly<Record<string, string | undefined>>, cwd: string): string =>
  resolve(cwd, flag ?? (env.FLEET_DATA_DIR || './data'));

/**
 * Who minted tokens say they are for: --subject, else FLEET_SUBJECT, else `cli-<login name>`.
 * The subject is what the command audit records as the operator, so it should name a person.
 */
export const subjectOf = (flag: string | undefined, env: Readonly<Record<string, string | undefined>>): string => {
  const given = flag ?? env.FLEET_SUBJECT;
  if (given !== undefined) {
    if (!SUBJECT.test(given)) throw new UsageError(`--subject ${JSON.stringify(given.slice(0, 60))} is not a usable subject.`, 'Use 1-128 letters, digits and . _ @ : + -, e.g. ada@example.com.');
    return given;
  }
  let login = 'user';
  try {
    login = userInfo().username;
  } catch {
    // No passwd entry (some containers): the generic name will do.
  }
  return `cli-${login.replace(/[^\w.@:+-]/g, '_').slice(0, 120) || 'user'}`;
};

/** Mints a token from the data dir's issuer key; never creates a key, which would sign tokens no server accepts. */
export const mintToken = async (dataDir: string, role: Role, subject: string, ttlSeconds?: number): Promise<IssuedToken> => {
  const keyFile = issuerKeyFile(dataDir);
  try {
    accessSync(keyFile, constants.R_OK);
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new TokenError(
      missing ? `there is no token signing key at ${keyFile}.` : `the token signing key at ${keyFile} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}).`,
      missing
        ? "Point the CLI at the server's data dir (--data-dir or FLEET_DATA_DIR; npm start uses ./data and creates the key on first start), or pass a token with --token or FLEET_TOKEN."
        : 'Run the CLI as the user that runs the server, or pass a token with --token or FLEET_TOKEN.',
    );
  }
  try {
    return await issueLocalToken({ dataDir, role, subject, ...(ttlSeconds === undefined ? {} : { ttlSeconds }) });
  } catch (err) {
    // The issuer's own messages say what is wrong with the key file and what to do.
    throw new TokenError(`could not mint a token: ${(err as Error).message}`, 'Or pass a token with --token or FLEET_TOKEN.');
  }
};

export interface TokenChoice {
  readonly flagToken: string | undefined;
  readonly flagRole: Role | undefined;
  readonly envToken: string | undefined;
  /** The least role the command needs: what is minted when nothing else is said. */
  readonly defaultRole: Role;
  readonly dataDir: string;
  readonly subject: () => string;
}

export interface ResolvedToken {
  readonly token: string;
  /** For messages: where the token came from. */
  readonly source: string;
}

/**
 * The bearer token for the API. The command line wins over the environment, and an explicit
 * role over FLEET_TOKEN; with nothing said, a token is minted for the least role the command needs.
 */
export const resolveToken = async (choice: TokenChoice): Promise<ResolvedToken> => {
  if (choice.flagToken !== undefined && choice.flagRole !== undefined) {
    throw new UsageError('--token and --role are both given.', 'Give --token to use a token you have, or --role to mint one; not both.');
  }
  if (choice.flagToken !== undefined) {
    if (choice.flagToken.trim() === '') throw new UsageError('--token is empty.', 'Pass the token itself: --token "$(fleet token --role viewer)".');
    return { token: choice.flagToken.trim(), source: '--token' };
  }
  if (choice.flagRole !== undefined) {
    const minted = await mintToken(choice.dataDir, choice.flagRole, choice.subject(), CLI_REQUEST_TOKEN_TTL_SECONDS);
    return { token: minted.token, source: `minted for ${choice.flagRole} from ${choice.dataDir}` };
  }
  if (choice.envToken !== undefined && choice.envToken.trim() !== '') return { token: choice.envToken.trim(), source: 'FLEET_TOKEN' };
  const minted = await mintToken(choice.dataDir, choice.defaultRole, choice.subject(), CLI_REQUEST_TOKEN_TTL_SECONDS);
  return { token: minted.token, source: `minted for ${choice.defaultRole} from ${choice.dataDir}` };
};

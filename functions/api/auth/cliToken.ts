import { systemClock, type Clock } from '../../shared/clock.ts';
import { loadOrCreateLocalIssuer, type IssuedToken } from './localIssuer.ts';
import { parseRole } from './roles.ts';

export interface CliTokenRequest {
  readonly dataDir: string;
  /** As typed on the command line: admin, operator or viewer. */
  readonly role: string;
  /** Who the token is for; recorded as the actor of everything done with it. */
  readonly subject: string;
  readonly ttlSeconds?: number;
  readonly clock?: Clock;
}

/**
 * What the CLI calls to print a token for a role. It reads the data dir's key (creating it if the
 * system never ran there), so it works whether or not the server is running; a bad role, subject
 * or lifetime is an error that says what to type instead.
 */
export const issueLocalToken = async (request: CliTokenRequest): Promise<IssuedToken> => {
  const role = parseRole(request.role);
  const issuer = await loadOrCreateLocalIssuer({ dataDir: request.dataDir, clock: request.clock ?? systemClock });
  return issuer.issueWithExpiry(role, request.subject, request.ttlSeconds === undefined ? {} : { ttlSeconds: request.ttlSeconds });
};

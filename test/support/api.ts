import type { Role } from '../../functions/api/auth/roles.ts';
import type { TokenIssuer } from '../../functions/api/auth/localIssuer.ts';

/** What a test needs of a running system to call its API: where it listens and its token issuer. */
export interface ApiTarget {
  readonly url: string;
  readonly tokens: TokenIssuer;
}

/** fetch against the system's API with a bearer token for `role`, minted by the system's own local issuer. */
export const apiFetch = async (system: ApiTarget, path: string, init: RequestInit = {}, role: Role = 'admin'): Promise<Response> => {
  const token = await system.tokens.issue(role, `test-${role}`);
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${token}`);
  return fetch(`${system.url}${path}`, { ...init, headers });
};

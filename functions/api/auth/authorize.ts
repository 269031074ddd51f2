import { AuthFailure } from './authFailure.ts';
import type { Permission, PermissionTable } from './permissions.ts';
import type { TokenVerifier, Principal } from './tokenVerifier.ts';

export interface AccessRequest {
  readonly method: string;
  /** The matched route pattern as registered (e.g. `/provisioning/batches/:batchId`). */
  readonly route: string;
  readonly authorization: string | undefined;
}

export type AccessDecision =
  | { readonly allowed: true; readonly permission: Permission; readonly principal?: Principal }
  | { readonly allowed: false; readonly failure: AuthFailure };

const BEARER = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i;

const bearerToken = (header: string | undefined): string => {
  if (header === undefined || header.trim() === '') {
    throw new AuthFailure('missing-token', 'Send "Authorization: Bearer <token>". Tokens name a role: admin, operator or viewer.');
  }
  const match = BEARER.exec(header);
  if (!match?.[1]) {
    const scheme = header.trim().split(/\s+/)[0] ?? '';
    throw new AuthFailure('malformed-authorization', `The Authorization header uses ${JSON.stringify(scheme.slice(0, 20))} or is not one token; send "Authorization: Bearer <token>".`);
  }
  return match[1];
};

/**
 * Decides one request: the route's entry in the table (none: refused, whoever asks), then, unless
 * the route is public, a verified bearer token with at least one of the entry's roles. The same
 * function serves the embedded HTTP server and any AWS handler, whatever issued the token.
 */
export const authorize = async (table: PermissionTable, verifier: TokenVerifier, request: AccessRequest): Promise<AccessDecision> => {
  const permission = table.lookup(request.method, request.route);
  const what = `${request.method === 'HEAD' ? 'GET' : request.method} ${request.route}`;
  try {
    if (!permission) {
      throw new AuthFailure('route-not-governed', `${what} is not in the permission table, so it is refused to everyone. This is a server bug: report it; the fix is an entry in functions/api/auth/permissions.ts.`);
    }
    if (permission.access === 'public') return { allowed: true, permission };
    const principal = await verifier.verify(bearerToken(request.authorization));
    if (principal.roles.length === 0) {
      const carried = principal.carried.length === 0 ? 'none' : principal.carried.map((r) => JSON.stringify(r)).join(', ');
      throw new AuthFailure('unknown-role', `The token of ${JSON.stringify(principal.name)} carries the roles ${carried}; this API knows admin, operator and viewer. Get a token (or a group membership) with one of them.`);
    }
    if (!principal.roles.some((r) => permission.roles.includes(r))) {
      throw new AuthFailure('forbidden', `${what} needs the role ${permission.roles.join(' or ')}; ${JSON.stringify(principal.name)} has ${principal.roles.join(', ')}. Ask an admin to do it, or for a token with that role.`);
    }
    return { allowed: true, permission, principal };
  } catch (err) {
    if (err instanceof AuthFailure) return { allowed: false, failure: err };
    throw err;
  }
};

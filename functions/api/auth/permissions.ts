import { ROLES, type Role } from './roles.ts';

/** The HTTP methods the API uses; HEAD is answered like GET and governed by GET's entry. */
export type ApiMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * One route's permission. `route` is the route exactly as the HTTP server registers it (fastify's
 * pattern: `:name` for a parameter, `*` for a wildcard), so a lookup is an equality, never a match
 * that could let one route's rule govern another.
 */
export type Permission =
  | { readonly method: ApiMethod; readonly route: string; readonly access: 'public'; readonly why: string }
  | { readonly method: ApiMethod; readonly route: string; readonly access: 'roles'; readonly roles: readonly Role[] };

const READ: readonly Role[] = ROLES;
const OPERATE: readonly Role[] = ['admin', 'operator'];
const ADMIN: readonly Role[] = ['admin'];

const roles = (method: ApiMethod, route: string, allowed: readonly Role[]): Permission => ({ method, route, access: 'roles', roles: allowed });

/**
 * Every route of the API and who may call it: the one place that says so. A route that is not
 * here is refused with 403 whatever the token (deny by default), and a test fails when a registered
 * route has no entry. Routes that do not exist yet are listed so they are governed the day they land.
 */
export const PERMISSIONS: readonly Permission[] = Object.freeze([
  { method: 'GET', route: '/health', access: 'public', why: 'load balancers and uptime checks carry no token' },
  { method: 'GET', route: '/openapi.json', access: 'public', why: 'clients read the contract before they hold a token' },

  // The web console (functions/dashboard): its files hold no data, and it must load before anyone has signed in.
  { method: 'GET', route: '/', access: 'public', why: 'the console page loads before its user signs in; it holds no data' },
  { method: 'GET', route: '/assets/*', access: 'public', why: "the console's scripts and styles load before its user signs in; they hold no data" },
  { method: 'GET', route: '/dashboard-config.json', access: 'public', why: 'the console reads how to sign in before it holds a token' },
  {
    method: 'POST',
    route: '/auth/local-token',
    access: 'public',
    why: 'the embedded role picker is how a token is got; it answers only callers on loopback and only when switched on (docs/adr/0011-console-local-sign-in.md)',
  },

  // Device directory. `/devices/*` is the one-device route: a wildcard because thing names outgrow the router's parameter limit.
  roles('GET', '/devices', READ),
  roles('GET', '/devices/*', READ),

  // Provisioning and deprovisioning change the fleet: admins only. Following a batch or a run is reading.
  roles('POST', '/provisioning/manifests', ADMIN),
  roles('GET', '/provisioning/batches', READ),
  roles('GET', '/provisioning/batches/:batchId', READ),
  roles('GET', '/provisioning/batches/:batchId/report', READ),
  roles('DELETE', '/devices/:thingName', ADMIN),
  roles('GET', '/deprovisioning/:executionName', READ),

  // Device views (functions/deviceViews): state (live or as of a time), history, alarms; reading only. GET /rejections is below.
  roles('GET', '/devices/:thingName/state', READ),
  roles('GET', '/devices/:thingName/history', READ),
  roles('GET', '/devices/:thingName/alarms', READ),

  // Device control, alarm acknowledgement and the command audit (functions/commands); rejections (functions/deviceViews).
  roles('POST', '/commands', OPERATE),
  roles('GET', '/commands', READ),
  roles('GET', '/commands/:commandId', READ),
  roles('POST', '/devices/:thingName/alarms/:alarmId/ack', OPERATE),
  roles('GET', '/audit/commands', READ),
  roles('GET', '/rejections', READ),

  // Rebuilding a projection replays the whole store under the engine's lock (and with replace=true rewrites it): admins only.
  roles('POST', '/projections/:name/rebuild', ADMIN),
] satisfies Permission[]);

const keyOf = (method: string, route: string) => `${method === 'HEAD' ? 'GET' : method} ${route}`;

export interface PermissionTable {
  /** The entry for a registered route, or undefined: a route without one is refused. */
  lookup(method: string, route: string): Permission | undefined;
  readonly entries: readonly Permission[];
}

/** Indexes a table; two entries for the same method and route are a mistake and stop the start. */
export const permissionTable = (entries: readonly Permission[] = PERMISSIONS): PermissionTable => {
  const byKey = new Map<string, Permission>();
  for (const entry of entries) {
    const key = keyOf(entry.method, entry.route);
    if (byKey.has(key)) throw new Error(`the permission table has two entries for ${key}: keep one.`);
    if (entry.access === 'roles' && entry.roles.length === 0) throw new Error(`the permission entry for ${key} allows no role: name at least one, or remove the route.`);
    byKey.set(key, entry);
  }
  return { entries, lookup: (method, route) => byKey.get(keyOf(method, route)) };
};

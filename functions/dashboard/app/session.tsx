import { createContext, useContext } from 'react';
import { permissionTable, type ApiMethod } from '../../api/auth/permissions.ts';
import { ROLES, type Role } from '../../api/auth/roles.ts';
import type { ApiClient } from './api.ts';

/** Who is signed in: the bearer token and what it says of its holder. */
export interface Session {
  readonly token: string;
  readonly role: Role;
  readonly subject: string;
  /** ISO time; the app signs out when it passes. */
  readonly expiresAt: string;
}

const STORAGE_KEY = 'fleet-console.session';
const table = permissionTable();

/**
 * Whether `role` may call `method route`: the server's own permission table (functions/api/auth),
 * so the console hides exactly what the API would refuse. The API still enforces it.
 */
export const may = (role: Role, method: ApiMethod, route: string): boolean => {
  const entry = table.lookup(method, route);
  return entry !== undefined && (entry.access === 'public' || entry.roles.includes(role));
};

const isRole = (value: unknown): value is Role => typeof value === 'string' && (ROLES as readonly string[]).includes(value);

/** Reads the role, subject and expiry out of a JWT's claims (the server verifies the signature; this is display only). */
export const sessionFromToken = (token: string): Session => {
  const [, payload = ''] = token.split('.');
  const claims = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as Record<string, unknown>;
  const list = (value: unknown): unknown[] => (Array.isArray(value) ? (value as unknown[]) : []);
  const roles = [...list(claims.roles), ...list(claims['cognito:groups'])];
  // The strongest role the token carries decides what the console offers.
  const role = ROLES.find((r) => roles.includes(r));
  if (!isRole(role)) throw new Error('this token carries none of the roles admin, operator or viewer');
  const named = [claims.email, claims['cognito:username'], claims.sub].find((v): v is string => typeof v === 'string');
  const subject = named ?? 'unknown';
  const expiresAt = new Date(Number(claims.exp ?? 0) * 1000).toISOString();
  return { token, role, subject, expiresAt };
};

export const loadSession = (): Session | undefined => {
  try {
    const raw = sessionStorage.getItem(STORAGE_KEY);
    if (!raw) return undefined;
    const session = JSON.parse(raw) as Session;
    return Date.parse(session.expiresAt) > Date.now() ? session : undefined;
  } catch {
    return undefined;
  }
};

export const saveSession = (session: Session | undefined): void => {
  if (session) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session));
  else sessionStorage.removeItem(STORAGE_KEY);
};

/** How the console signs in: the embedded runtime's local issuer, or Cognito's hosted UI on AWS. */
export type DashboardConfig =
  | { readonly mode: 'embedded'; readonly apiBase: string }
  | {
      readonly mode: 'cognito';
      readonly apiBase: string;
      readonly cognitoDomain: string;
      readonly clientId: string;
      readonly redirectUri: string;
    };

export interface AppContextValue {
  readonly config: DashboardConfig;
  readonly session: Session;
  readonly api: ApiClient;
  readonly signOut: () => void;
  /** `can('POST', '/commands')`: the signed-in role's permission for a route of the table. */
  readonly can: (method: ApiMethod, route: string) => boolean;
}

export const AppContext = createContext<AppContextValue | undefined>(undefined);

/** The signed-in context; pages render only inside it. */
export const useApp = (): AppContextValue => {
  const value = useContext(AppContext);
  if (!value) throw new Error('useApp outside the signed-in app');
  return value;
};

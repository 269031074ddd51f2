import { z } from 'zod';
import type { ApiOperation } from '../api/openapi/operations.ts';
import { DashboardConfigSchema, LocalTokenRequestSchema, LocalTokenSchema } from './dashboardSchemas.ts';

const AssetParam = z.string().min(1).meta({ description: 'The file name below assets/ as index.html names it, e.g. index-Bj0p0JlF.js.' });

const { $schema: _dialect, ...localTokenBody } = z.toJSONSchema(LocalTokenRequestSchema, { io: 'input' }) as Record<string, unknown>;

/** The web console's routes for the OpenAPI document: its files, its config, and the embedded role picker. */
export const DASHBOARD_OPERATIONS: readonly ApiOperation[] = [
  {
    method: 'GET',
    path: '/',
    route: '/',
    operationId: 'getConsole',
    tag: 'console',
    summary: 'The web console (index.html)',
    description: 'Never cached: it names the current build’s files. 503 when the console has not been built (`npm run build:web`); the API works without it.',
    responses: {
      200: { description: 'The console page.', other: { 'text/html': { type: 'string' } } },
      503: { description: 'The console is not built.' },
    },
  },
  {
    method: 'GET',
    path: '/assets/{file}',
    route: '/assets/*',
    operationId: 'getConsoleAsset',
    tag: 'console',
    summary: 'A file of the console build',
    description: 'Hashed names are cached for a year (immutable).',
    pathParams: { file: AssetParam },
    responses: {
      200: { description: 'The file, with its content type.', other: { 'application/octet-stream': { type: 'string' } } },
      400: { description: 'The path leaves assets/ or is not a plain file name.' },
      404: { description: 'No such file in this build.' },
      503: { description: 'The console is not built.' },
    },
  },
  {
    method: 'GET',
    path: '/dashboard-config.json',
    route: '/dashboard-config.json',
    operationId: 'getConsoleConfig',
    tag: 'console',
    summary: 'How the console signs in and where the API is',
    responses: { 200: { description: 'Embedded: the role picker, the API on this origin.', json: DashboardConfigSchema } },
  },
  {
    method: 'POST',
    path: '/auth/local-token',
    route: '/auth/local-token',
    operationId: 'localSignIn',
    tag: 'console',
    summary: 'Embedded only: a one-hour token for a role, for a caller on this machine',
    description:
      'The console’s role picker (docs/adr/0011-console-local-sign-in.md). Answers only when FLEET_CONSOLE_LOCAL_SIGN_IN is true (the default), to a caller on the loopback interface, for a request addressed to localhost, 127.x or [::1]; otherwise 403 saying to mint a token with `npm run fleet -- token --role <role>`. Every sign-in is logged with role, name and address.',
    requestBody: { description: 'The role and who you are.', content: { 'application/json': { schema: localTokenBody } } },
    responses: {
      200: { description: 'A bearer token for the role, valid one hour.', json: LocalTokenSchema },
      400: { description: 'The body is not valid; `errors` names each field.' },
      403: { description: 'Switched off, or the caller is not on this machine.' },
      415: { description: 'The body is not JSON.' },
    },
  },
];

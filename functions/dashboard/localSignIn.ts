import type { FastifyError, FastifyInstance } from 'fastify';
import type { TokenIssuer } from '../api/auth/localIssuer.ts';
import { sendProblem, type Problem } from '../directory/problemDetails.ts';
import { fieldErrorsFromZod, type FieldError } from '../../schemas/directory/fieldError.ts';
import { LocalTokenRequestSchema, type LocalToken } from './dashboardSchemas.ts';
import { isLoopbackAddress, isLoopbackHost } from './loopback.ts';

export interface LocalSignInOptions {
  readonly tokens: TokenIssuer;
  /** FLEET_CONSOLE_LOCAL_SIGN_IN: off refuses every request. */
  readonly enabled: boolean;
}

/** An hour: a console session that outlives its reason to exist dies soon (ADR 0011). */
export const LOCAL_SIGN_IN_TTL_SECONDS = 3600;

const HOW_TO_SIGN_IN =
  'Mint a token on the machine that runs the system with `npm run fleet -- token --role <admin|operator|viewer>` and paste it into the console\'s "paste a token" form.';

const refused = (detail: string, instance: string): Problem => ({
  type: '/problems/local-sign-in-refused',
  title: 'Local sign-in is not available here',
  status: 403,
  detail: `${detail} ${HOW_TO_SIGN_IN}`,
  instance,
});

const HINTS: Readonly<Record<string, string>> = {
  role: 'Use one of admin, operator, viewer.',
  name: 'Use your name or e-mail address: 1-128 letters, digits and . _ @ : + - (no spaces). It is recorded as the operator of every command you send.',
};

const invalid = (errors: readonly FieldError[], instance: string): Problem => ({
  type: '/problems/invalid-sign-in',
  title: 'The sign-in request is not valid',
  status: 400,
  detail: `${errors.map((e) => e.message).join(' ')} ${errors.map((e) => e.hint).join(' ')}`.trim(),
  instance,
  errors,
});

/**
 * `POST /auth/local-token` `{ role, name }` → `{ token, expiresAt }`: the console's role picker on
 * the embedded system (docs/adr/0011-console-local-sign-in.md). It mints a token of the local
 * issuer for anyone who asks, so it answers only when switched on, only to a caller on this
 * machine's loopback interface, and only to a request addressed to a loopback name (DNS
 * rebinding). Every token it mints is logged with role, name and address.
 */
export const localSignInRoutes = (options: LocalSignInOptions) => (app: FastifyInstance) => {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) {
      request.log.error({ err: error }, 'local sign-in failed');
      return sendProblem(reply, { type: '/problems/internal', title: 'Internal Server Error', status, detail: 'The server could not sign you in; the error is logged. Try again, and report it if it keeps happening.', instance: request.url });
    }
    const detail = status === 415 ? 'Send the body as JSON with "content-type: application/json".' : `${error.message}. Send {"role": "viewer", "name": "ada@example.com"} as JSON.`;
    return sendProblem(reply, { type: '/problems/invalid-body', title: 'The body could not be read', status, detail, instance: request.url });
  });

  app.post('/auth/local-token', { bodyLimit: 4096 }, async (request, reply) => {
    const instance = request.url;
    const remoteAddress = request.socket.remoteAddress;
    if (!options.enabled) {
      request.log.warn({ remoteAddress }, 'local sign-in refused: switched off');
      return sendProblem(reply, refused('This installation has the role picker switched off (FLEET_CONSOLE_LOCAL_SIGN_IN=false).', instance));
    }
    // The socket's address, never X-Forwarded-For: a proxy on this machine would make every caller look local, so none is trusted.
    if (!isLoopbackAddress(remoteAddress)) {
      request.log.warn({ remoteAddress }, 'local sign-in refused: caller not on loopback');
      return sendProblem(reply, refused(`The role picker answers only on this machine's loopback interface, and this request came from ${remoteAddress ?? 'an unknown address'}.`, instance));
    }
    if (!isLoopbackHost(request.headers.host)) {
      request.log.warn({ remoteAddress, host: request.headers.host }, 'local sign-in refused: request not addressed to a loopback name');
      return sendProblem(reply, refused(`The role picker answers requests addressed to localhost, 127.0.0.1 or [::1], and this one was addressed to ${JSON.stringify(request.headers.host ?? '')}. Open the console at http://localhost:<port>/.`, instance));
    }
    const parsed = LocalTokenRequestSchema.safeParse(request.body ?? null);
    if (!parsed.success) {
      const errors = fieldErrorsFromZod(
        parsed.error,
        (path) => (path.length === 0 ? 'body' : path.map(String).join('.')),
        (field) => HINTS[field] ?? 'Send {"role": "viewer", "name": "ada@example.com"} as JSON.',
      ).map((e) => (e.rule === 'unknown-field' ? { ...e, message: `${e.field} is not a field of a sign-in request.`, hint: 'Send only role and name.' } : e));
      return sendProblem(reply, invalid(errors, instance));
    }
    const { role, name } = parsed.data;
    const issued = await options.tokens.issueWithExpiry(role, name, { ttlSeconds: LOCAL_SIGN_IN_TTL_SECONDS });
    request.log.info({ role, name, remoteAddress, expiresAt: issued.expiresAt.toISOString() }, 'console local sign-in');
    const body: LocalToken = { token: issued.token, expiresAt: issued.expiresAt.toISOString() };
    return reply.header('cache-control', 'no-store').send(body);
  });
};

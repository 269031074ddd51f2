import { createReadStream, existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { sendProblem, type Problem } from '../directory/problemDetails.ts';
import type { EmbeddedDashboardConfig } from './dashboardSchemas.ts';

export interface ServeDashboardOptions {
  /** The built console (`npm run build:web`): index.html and assets/. */
  readonly dir: string;
}

/** Content types of what a vite build writes; anything else is served as bytes. */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
};

/** vite names built files `<name>-<hash>.<ext>` (8 url-safe base64 characters): their content never changes under that name. */
const HASHED = /-[\w-]{8,}\.[a-z0-9]+(\.map)?$/i;
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * What the console's page may load: only itself. Styles allow inline attributes (React `style`
 * props, SVG); scripts do not. Frames from elsewhere may not wrap it (clickjacking).
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const EMBEDDED_CONFIG: EmbeddedDashboardConfig = { mode: 'embedded', apiBase: '' };

/** Whether `dir` holds a built console; the start-up banner says how to build one when not. */
export const dashboardBuilt = (dir: string): boolean => existsSync(join(dir, 'index.html'));

const notBuiltProblem = (dir: string, instance: string): Problem => ({
  type: '/problems/console-not-built',
  title: 'The console is not built',
  status: 503,
  detail: `There is no index.html in ${dir}. Run \`npm run build:web\` (npm start does it first), or point FLEET_DASHBOARD_DIR at a built console, and reload. The API works without it.`,
  instance,
});

const noSuchAsset = (instance: string): Problem => ({
  type: '/problems/no-such-asset',
  title: 'No such console file',
  status: 404,
  detail: 'The console has no file by this name; it may come from an older build. Reload the console at / to get the current one.',
  instance,
});

const badAssetPath = (instance: string): Problem => ({
  type: '/problems/invalid-asset-path',
  title: 'The file path is not allowed',
  status: 400,
  detail: 'A console file is named by a plain path below /assets/ (no "..", backslashes, control characters or absolute paths). Load the console at / and let it ask for its files.',
  instance,
});

/** The asset's absolute path when `name` stays inside `assetsDir`, else undefined. */
export const assetPath = (assetsDir: string, name: string): string | undefined => {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused here
  if (name === '' || name.includes('\\') || /[\u0000-\u001f]/.test(name) || isAbsolute(name)) return undefined;
  if (name.split('/').some((segment) => segment === '..' || segment === '.' || segment === '')) return undefined;
  const full = resolve(assetsDir, name);
  const inside = relative(assetsDir, full);
  return inside && !inside.startsWith(`..${sep}`) && inside !== '..' && !isAbsolute(inside) ? full : undefined;
};

const sendNoStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store');

/**
 * The web console on the API's own origin: `GET /` (index.html, never cached: it names the
 * current build's files), `GET /assets/*` (hashed names: cached for a year), and
 * `GET /dashboard-config.json` (embedded sign-in, API on the same origin). All public: they hold
 * no data, and the console signs in before it calls the API. Registered as exact routes, never a
 * catch-all, so no API route (or the problem+json 404 for unknown ones) is shadowed; the app's own
 * routes are hash routes (`/#/devices`) and never reach the server.
 */
export const serveDashboard = (options: ServeDashboardOptions) => (app: FastifyInstance) => {
  const dir = resolve(options.dir);
  const assetsDir = join(dir, 'assets');

  app.get('/', async (request, reply) => {
    let html: Buffer;
    try {
      html = await readFile(join(dir, 'index.html'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      return sendProblem(sendNoStore(reply), notBuiltProblem(dir, request.url));
    }
    return sendNoStore(reply)
      .header('content-security-policy', CONTENT_SECURITY_POLICY)
      .header('x-content-type-options', 'nosniff')
      .header('x-frame-options', 'DENY')
      .header('referrer-policy', 'no-referrer')
      .type('text/html; charset=utf-8')
      .send(html);
  });

  app.get('/dashboard-config.json', async (_request, reply) => sendNoStore(reply).send(EMBEDDED_CONFIG));

  app.get<{ Params: { '*': string } }>('/assets/*', async (request, reply) => {
    const name = request.params['*'];
    const file = assetPath(assetsDir, name);
    if (!file) return sendProblem(reply, badAssetPath(request.url.split('?')[0] ?? ''));
    const found = await stat(file).catch(() => undefined);
    if (!found?.isFile()) {
      if (!dashboardBuilt(dir)) return sendProblem(reply, notBuiltProblem(dir, request.url));
      return sendProblem(reply, noSuchAsset(request.url.split('?')[0] ?? ''));
    }
    return reply
      .header('cache-control', HASHED.test(name) ? IMMUTABLE : 'no-cache')
      .header('x-content-type-options', 'nosniff')
      .header('content-length', found.size)
      .type(CONTENT_TYPES[extname(name).toLowerCase()] ?? 'application/octet-stream')
      .send(createReadStream(file));
  });
};

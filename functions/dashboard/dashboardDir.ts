import { fileURLToPath } from 'node:url';

/**
 * Where `npm run build:web` writes the console (functions/dashboard/vite.config.ts), found from this
 * file rather than the working directory so `npm start` serves it from wherever it is started.
 */
export const DEFAULT_DASHBOARD_DIR = fileURLToPath(new URL('./dist', import.meta.url));

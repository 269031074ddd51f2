import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The dashboard's build: `npm run build:web` writes the static assets to functions/dashboard/dist
 * (ignored by git), which the embedded HTTP server serves at `/` and the CDK app deploys to S3.
 * Tests build into a directory of their own through `buildDashboard()`.
 */
export const dashboardRoot = fileURLToPath(new URL('./app', import.meta.url));
export const dashboardDist = fileURLToPath(new URL('./dist', import.meta.url));

export default defineConfig({
  root: dashboardRoot,
  base: './',
  plugins: [react()],
  logLevel: 'warn',
  build: { outDir: dashboardDist, emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 1024 },
});

import { setTimeout as sleep } from 'node:timers/promises';
import { runCli } from './cli.ts';

// A reader that stopped early (`fleet audit export | head`) is not an error of ours.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(process.exitCode ?? 0);
});

/**
 * `fleet`: the command line of the fleet backend (README.md beside this file). The one place that
 * touches process.*: everything below takes its streams, environment and clock as values.
 */
process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  now: () => new Date(),
  sleep: (ms) => sleep(ms),
});

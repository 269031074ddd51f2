import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

export const PROJECT_ROOT = resolve(import.meta.dirname, '../..');

/** `npm start -- --demo ...` as a child process, its stdout read line by line. */
export interface DemoProcess {
  readonly child: ChildProcess;
  /** Every stdout line so far. */
  readonly lines: string[];
  stderr(): string;
  /** The first line (already printed or still to come) that matches and that `accept` takes, within `timeoutMs`. */
  waitForLine(pattern: RegExp, timeoutMs: number, accept?: (match: RegExpExecArray) => boolean): Promise<RegExpExecArray>;
  /** Resolves with the exit code (null when killed by a signal) and the signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The child's environment: nothing of the test runner's FLEET_* settings leaks in. */
const cleanEnv = (extra: Readonly<Record<string, string>>): Record<string, string> => {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('FLEET_') && !k.startsWith('VITEST')) env[k] = v;
  return { ...env, NO_COLOR: '1', ...extra };
};

export const startDemoProcess = (args: readonly string[], env: Readonly<Record<string, string>>): DemoProcess => {
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(PROJECT_ROOT, 'infra/embedded/main.ts'), ...args], {
    cwd: PROJECT_ROOT,
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters = new Set<{ pattern: RegExp; accept: (m: RegExpExecArray) => boolean; found: (m: RegExpExecArray) => void }>();
  let partial = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      for (const waiter of [...waiters]) {
        const match = waiter.pattern.exec(line);
        if (match !== null && waiter.accept(match)) {
          waiters.delete(waiter);
          waiter.found(match);
        }
      }
    }
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.on('exit', (code, signal) => done({ code, signal })));
  return {
    child,
    lines,
    stderr: () => stderr,
    exited,
    waitForLine(pattern, timeoutMs, accept = () => true) {
      for (const line of lines) {
        const match = pattern.exec(line);
        if (match !== null && accept(match)) return Promise.resolve(match);
      }
      return new Promise<RegExpExecArray>((found, fail) => {
        const waiter = {
          pattern,
          accept,
          found: (m: RegExpExecArray) => {
            clearTimeout(timer);
            found(m);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          fail(new Error(`no line matching ${pattern} within ${timeoutMs} ms; output so far:\n${lines.join('\n')}\nstderr:\n${stderr}`));
        }, timeoutMs);
        waiters.add(waiter);
        void exited.then(({ code, signal }) => {
          if (!waiters.has(waiter)) return;
          waiters.delete(waiter);
          clearTimeout(timer);
          fail(new Error(`the demo exited (${code ?? signal}) before a line matching ${pattern}; output:\n${lines.join('\n')}\nstderr:\n${stderr}`));
        });
      });
    },
  };
};

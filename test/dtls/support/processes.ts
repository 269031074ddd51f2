import { spawn } from 'node:child_process';

export interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a client program to completion. `input` is written to stdin, which stays open (OpenSSL's
 * s_client would otherwise close the connection at once); once stdout matches `closeStdinWhen`,
 * stdin is closed so the program says goodbye and exits. A program still running after `ms` is
 * killed and the test fails with what it printed.
 */
export interface RunOptions {
  readonly input?: string;
  readonly closeStdinWhen?: RegExp;
  /** Called on every output chunk, to drive an interactive program. */
  readonly onOutput?: (out: { stdout: string; stderr: string }, stdin: { write(s: string): void; end(): void }) => void;
  readonly ms?: number;
}

export const runClient = (command: string, args: readonly string[], o: RunOptions = {}): Promise<Finished> =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const ms = o.ms ?? 15_000;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} still running after ${ms} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, ms);
    const stdin = { write: (s: string) => child.stdin.write(s), end: () => child.stdin.end() };
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (o.closeStdinWhen?.test(stdout) === true) child.stdin.end();
      o.onOutput?.({ stdout, stderr }, stdin);
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      o.onOutput?.({ stdout, stderr }, stdin);
    });
    child.stdin.on('error', () => undefined); // the program may exit before reading its input
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${command}: ${err.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    if (o.input !== undefined) child.stdin.write(o.input);
    if (o.closeStdinWhen === undefined && o.onOutput === undefined && o.input === undefined) child.stdin.end();
  });

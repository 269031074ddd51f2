import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One measured figure beside the baseline measured in the same run. */
export interface BenchResult {
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  readonly baseline: string;
  readonly baselineValue: number;
  /** value / baselineValue (for latencies: baselineValue / value, so higher is always better). */
  readonly ratio: number;
  /** The goal in words and whether this run met it; informative, never an assertion. */
  readonly goal?: string;
  readonly goalMet?: boolean;
}

export interface SuiteContext {
  readonly quick: boolean;
  readonly workDir: string;
  readonly log: (line: string) => void;
}

export interface BenchSuite {
  readonly name: string;
  readonly description: string;
  run(ctx: SuiteContext): Promise<BenchResult[]>;
}

const fmt = (n: number) => (Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2));

export const printTable = (suite: string, results: readonly BenchResult[], log: (l: string) => void) => {
  const rows = results.map((r) => [
    r.metric,
    `${fmt(r.value)} ${r.unit}`,
    `${r.baseline}: ${fmt(r.baselineValue)} ${r.unit}`,
    `${(r.ratio * 100).toFixed(1)}%`,
    r.goal === undefined ? '' : `${r.goalMet ? 'met' : 'NOT met'} (${r.goal})`,
  ]);
  const head = ['metric', 'value', 'baseline (same run)', 'ratio', 'goal'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  log(`\n== bench ${suite} ==`);
  log(line(head));
  log(line(widths.map((w) => '-'.repeat(w))));
  rows.forEach((r) => log(line(r)));
};

export const writeResults = (suite: string, results: readonly BenchResult[], quick: boolean) => {
  mkdirSync('bench-results', { recursive: true });
  const file = join('bench-results', `${suite}.json`);
  writeFileSync(file, JSON.stringify(results.map((r) => ({ ...r, quick })), null, 2) + '\n');
  return file;
};

/** Rate in units per second of `count` operations taking `ms`. */
export const rate = (count: number, ms: number) => (count * 1000) / ms;

export const timed = async <T>(work: () => T | Promise<T>): Promise<{ ms: number; value: T }> => {
  const start = performance.now();
  const value = await work();
  return { ms: performance.now() - start, value };
};

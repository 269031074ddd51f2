import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { printTable, writeResults, type BenchSuite } from './lib/report.ts';
import { dtlsSuite } from './suites/dtls.ts';
import { ingestSuite } from './suites/ingest.ts';
import { lwm2mSuite } from './suites/lwm2m.ts';
import { provisionSuite } from './suites/provision.ts';
import { storeSuite } from './suites/store.ts';

/** `npm run bench -- <suite|all> [--quick]`. Each suite prints ratios against a baseline measured in the same run. */
const suites: readonly BenchSuite[] = [storeSuite, ingestSuite, provisionSuite, dtlsSuite, lwm2mSuite];

const usage = () =>
  `usage: npm run bench -- <suite|all> [--quick]\n\nsuites:\n${suites.map((s) => `  ${s.name.padEnd(10)} ${s.description}`).join('\n')}\n  all        every suite\n\n--quick runs small enough for CI; results go to bench-results/<suite>.json`;

const main = async () => {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) return void process.stdout.write(usage() + '\n');
  const quick = args.includes('--quick');
  const unknownFlags = args.filter((a) => a.startsWith('-') && a !== '--quick');
  const names = args.filter((a) => !a.startsWith('-'));
  if (unknownFlags.length > 0 || names.length !== 1) throw new Error(`expected one suite name and optionally --quick\n\n${usage()}`);
  const chosen = names[0] === 'all' ? suites : suites.filter((s) => s.name === names[0]);
  if (chosen.length === 0) throw new Error(`no suite named "${names[0]}"\n\n${usage()}`);

  const log = (line: string) => process.stdout.write(line + '\n');
  for (const suite of chosen) {
    const workDir = mkdtempSync(join(tmpdir(), `bench-${suite.name}-`));
    try {
      log(`running ${suite.name}${quick ? ' (quick)' : ''}: ${suite.description}`);
      const results = await suite.run({ quick, workDir, log });
      printTable(suite.name, results, log);
      log(`written to ${writeResults(suite.name, results, quick)}`);
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  }
};

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

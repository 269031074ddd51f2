import { z } from 'zod';
import { HealthSchema } from '../api/openapi/apiSchemas.ts';
import { MAX_LISTED_DIFFERENCES, ProjectionBackfillStartedSchema, ProjectionRebuildSchema, type ProjectionBackfillStarted } from '../api/projections/projectionRebuildSchemas.ts';
import type { CliCommand } from './cliCommand.ts';
import { EXIT, UsageError } from './cliErrors.ts';
import { diffRows } from './rowDiff.ts';
import { compact, formatTable } from './table.ts';

type Rebuild = z.infer<typeof ProjectionRebuildSchema>;

/** Embedded: the comparison (200). AWS: the backfill it started (202), whose outcome is in the function's logs. */
const RebuildAnswer = z.union([ProjectionRebuildSchema, ProjectionBackfillStartedSchema]);

const side = (v: unknown) => (v === undefined ? '(absent)' : compact(v, 60));

/**
 * `fleet projections rebuild [name]`: replays the store into each projection's shadow and shows where
 * it differs from the live one. Against the AWS API (name and --replace required there) it starts the
 * table's backfill and says where its outcome is logged.
 */
export const projectionsRebuildCommand: CliCommand = {
  path: ['projections', 'rebuild'],
  summary: 'Rebuild projections from the event store and compare them with the live ones',
  description: [
    'For the named projection, or every projection GET /health lists, POST /projections/<name>/rebuild',
    'folds every stored event into a shadow copy, brings the live projection to the same position and',
    'compares them row by row. Nothing changes unless --replace is given. Prints, per projection, its',
    'rows and the differences (down to the differing fields). Exits 1 when any projection differs.',
    'Live projection work waits while a rebuild runs; on a large store, run it when the system is quiet.',
    'Against the AWS API, give the name and --replace: it starts the backfill of that projection table',
    '(folded into the live table by its rebuild function, which continues itself until done) and prints',
    'where its outcome is logged.',
  ].join('\n'),
  positionals: [{ name: 'name', description: 'The projection (devices, device-state, alarms, ...); all of them when left out', required: false }],
  options: [
    { name: 'replace', kind: 'boolean', description: 'Put the rebuilt rows in the live ones’ place (the repair after fixing a projection).' },
    { name: 'show', kind: 'integer', valueName: 'n', description: `Differing rows to show per projection, 0 to ${MAX_LISTED_DIFFERENCES}.`, defaultText: '20' },
  ],
  examples: ['fleet projections rebuild', 'fleet projections rebuild devices --json', 'fleet projections rebuild device-state --replace'],
  role: 'admin',
  async run(ctx) {
    const { args, json } = ctx;
    const show = args.number('show') ?? 20;
    if (show < 0 || show > MAX_LISTED_DIFFERENCES) throw new UsageError(`--show ${show} is outside 0..${MAX_LISTED_DIFFERENCES}.`, 'The count of all differences is printed either way.');
    const api = await ctx.api();
    const name = args.positional('name');
    let names: readonly string[];
    if (name === undefined) {
      // /health answers 503 when a component is down, with the same body: the projections are still listed.
      names = (await api.json('GET', '/health', HealthSchema, { alsoAccept: [503] })).projections.map((p) => p.name);
    } else {
      names = [name];
    }
    const replace = args.flag('replace');
    const results: Rebuild[] = [];
    const backfills: ProjectionBackfillStarted[] = [];
    for (const projection of names) {
      if (!json) ctx.note(`Rebuilding ${projection}…`);
      const answer = await api.json('POST', `/projections/${encodeURIComponent(projection)}/rebuild`, RebuildAnswer, {
        query: { replace: replace ? 'true' : undefined, differences: show },
        timeoutMs: 0,
      });
      if ('mode' in answer) backfills.push(answer);
      else results.push(answer);
    }
    const differing = results.filter((r) => r.differenceCount > 0);
    const exitCode = differing.length === 0 || replace ? EXIT.ok : EXIT.unsuccessful;

    if (json) {
      ctx.printJson({ projections: results, differing: differing.map((r) => r.projection), replaced: replace, ...(backfills.length > 0 ? { backfills } : {}) });
      return exitCode;
    }
    if (backfills.length > 0) {
      // AWS: the rebuild runs in the table's rebuild function after the answer; nothing to compare here.
      ctx.print(formatTable(['projection', 'table', 'run', 'function'], backfills.map((b) => [b.projection, b.table, b.runId, b.functionName])));
      for (const b of backfills) ctx.print(`\n${b.projection}: backfill started at ${b.startedAt}. Its progress and outcome: log group ${b.outcome.logGroup}, Logs Insights query:\n  ${b.outcome.query}`);
      if (results.length === 0) return exitCode;
      ctx.print('');
    }
    ctx.print(
      formatTable(
        ['projection', 'rows', 'position', 'differences', 'time'],
        results.map((r) => [r.projection, String(r.rows), String(r.position), r.differenceCount === 0 ? 'none' : String(r.differenceCount), `${(r.durationMs / 1000).toFixed(2)} s`]),
      ),
    );
    for (const r of differing) {
      ctx.print(`\n${r.projection}: ${r.differenceCount} ${r.differenceCount === 1 ? 'row differs' : 'rows differ'}${r.differences.length < r.differenceCount ? ` (first ${r.differences.length} shown)` : ''}`);
      for (const d of r.differences) {
        ctx.print(`  ${d.key}`);
        for (const f of diffRows(d.live, d.rebuilt)) ctx.print(`    ${f.path}: live ${side(f.live)}  rebuilt ${side(f.rebuilt)}`);
      }
    }
    if (differing.length === 0) ctx.print('\nEvery live projection equals its rebuild from the store.');
    else if (replace) ctx.print('\nThe rebuilt rows replaced the live ones.');
    else ctx.print('\nThe live projections above differ from the store. Once the cause is fixed, --replace puts the rebuilt rows in place.');
    return exitCode;
  },
};

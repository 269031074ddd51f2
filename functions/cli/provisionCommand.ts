import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse';
import type { z } from 'zod';
import { detectFormat, MANIFEST_FORMATS, type ManifestFormat } from '../../schemas/manifest/detectFormat.ts';
import { ManifestError } from '../../schemas/manifest/errors.ts';
import { BatchProgressSchema, ManifestAcceptedSchema } from '../api/openapi/apiSchemas.ts';
import type { ApiClient } from './apiClient.ts';
import type { CliCommand, CommandContext } from './cliCommand.ts';
import { ApiError, CliError, EXIT, UsageError } from './cliErrors.ts';
import { createProgress, formatBytes } from './progress.ts';
import { formatTable, truncate } from './table.ts';

type BatchProgress = z.infer<typeof BatchProgressSchema>;

const CONTENT_TYPE: Readonly<Record<ManifestFormat, string>> = { csv: 'text/csv', json: 'application/json', ndjson: 'application/x-ndjson' };
/** Problems shown in the summary; the report has them all. */
const SHOWN_PROBLEMS = 10;
/** How long a batch id may be unknown after its upload was accepted (on AWS the trigger runs a moment later). */
const START_GRACE_MS = 15_000;

export interface ReportProblemLine {
  readonly row: string;
  readonly serial: string;
  readonly outcome: string;
  readonly field: string;
  readonly message: string;
  readonly hint: string;
}

/** The report's CSV guards cells against spreadsheet formulas with a leading "'"; people reading a terminal need not see it. */
const unguard = (cell: string) => (/^'[=+\-@\t\r]/.test(cell) ? cell.slice(1) : cell);

/** The first problems of a finished batch, read from the CSV report as it streams (the report is never held whole). */
const firstProblems = async (api: ApiClient, batchId: string, max: number): Promise<ReportProblemLine[]> => {
  const response = await api.send('GET', `/provisioning/batches/${batchId}/report`, { timeoutMs: 0 });
  if (!response.body) return [];
  const records = Readable.fromWeb(response.body).pipe(parse({ columns: true, relax_column_count: true, bom: true }));
  const found: ReportProblemLine[] = [];
  try {
    for await (const record of records as AsyncIterable<Record<string, string>>) {
      if (record.outcome !== 'failed' && record.outcome !== 'invalid') continue;
      found.push({
        row: record.row ?? '',
        serial: unguard(record.serial ?? ''),
        outcome: record.outcome,
        field: unguard(record.field ?? ''),
        message: unguard(record.message ?? ''),
        hint: unguard(record.hint ?? ''),
      });
      if (found.length >= max) break;
    }
  } finally {
    records.destroy();
  }
  return found;
};

/** Counts bytes as they pass, for the upload's progress. */
const countBytes = (onBytes: (total: number) => void) => {
  let total = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      total += chunk.length;
      onBytes(total);
      done(null, chunk);
    },
  });
};

const formatOf = (file: string, flag: string | undefined): ManifestFormat => {
  if (flag !== undefined) return flag as ManifestFormat;
  try {
    return detectFormat(basename(file));
  } catch (err) {
    if (err instanceof ManifestError) throw new UsageError(err.message.replace(` ${err.hint}`, ''), `${err.hint} Or say it with --format csv|json|ndjson.`);
    throw err;
  }
};

const isRunning = (p: BatchProgress) => p.status === 'RUNNING';

/** Polls the batch until it ends, drawing its progress; a batch not known yet (AWS trigger lag) is waited for briefly. */
const follow = async (ctx: CommandContext, api: ApiClient, batchId: string, intervalMs: number): Promise<BatchProgress> => {
  const progress = createProgress(ctx.io.stderr, { label: 'provisioning', unit: 'rows' });
  const started = ctx.io.now().getTime();
  try {
    for (;;) {
      let current: BatchProgress | undefined;
      try {
        current = await api.json('GET', `/provisioning/batches/${batchId}`, BatchProgressSchema);
      } catch (err) {
        const notYet = err instanceof ApiError && err.problem.status === 404 && ctx.io.now().getTime() - started < START_GRACE_MS;
        if (!notYet) throw err;
      }
      if (current) {
        const invalid = current.invalidRows ?? 0;
        progress.update({ done: current.rowsDone + invalid, failed: current.failed + invalid, total: current.totalRows });
        if (!isRunning(current)) return current;
      }
      await ctx.io.sleep(intervalMs);
    }
  } finally {
    progress.finish();
  }
};

/** `fleet provision <manifest>`: upload, follow the batch with a progress bar, then the summary and where the full report is. */
export const provisionCommand: CliCommand = {
  path: ['provision'],
  summary: 'Provision the devices of a manifest (CSV, JSON or NDJSON)',
  description: [
    'Streams the manifest to POST /provisioning/manifests, then follows the batch: a progress bar of rows',
    'done, failed and in all (plain lines when stderr is not a terminal), then the summary of outcomes,',
    'the first problems, and where the full per-row report is. Uploading the same manifest again changes',
    'nothing that need not change. Exits 1 when any row was invalid or failed, or the batch failed.',
    'Ctrl-C stops following; the batch goes on (follow it at GET /provisioning/batches/<id>).',
  ].join('\n'),
  positionals: [{ name: 'manifest', description: 'The manifest file: .csv, .json or .ndjson (schemas/manifest/README.md)', required: true }],
  options: [
    { name: 'format', kind: 'string', valueName: 'format', choices: MANIFEST_FORMATS, description: 'The manifest format, when the file name does not say it.' },
    { name: 'report', kind: 'string', valueName: 'file', description: 'Save the full per-row report here once the batch ends (JSON when the name ends .json, else CSV).' },
    { name: 'no-wait', kind: 'boolean', description: 'Print the batch id and return once the upload is accepted.' },
    { name: 'interval', kind: 'integer', valueName: 'ms', description: 'How often to ask for progress.', defaultText: '500' },
  ],
  examples: ['fleet provision devices.csv', 'fleet provision export.txt --format ndjson --report report.csv', 'fleet provision devices.json --json > outcome.json'],
  role: 'admin',
  async run(ctx) {
    const { args, io, json } = ctx;
    const file = resolve(io.cwd, args.positional('manifest') ?? '');
    let size: number;
    try {
      const stat = statSync(file);
      if (!stat.isFile()) throw new UsageError(`${file} is not a file.`, 'Give the path of a manifest file.');
      size = stat.size;
    } catch (err) {
      if (err instanceof CliError) throw err;
      throw new UsageError(`cannot read the manifest ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`, 'Check the path (it is relative to the current directory) and that you may read it.');
    }
    const format = formatOf(file, args.string('format'));
    const intervalMs = args.number('interval') ?? 500;
    if (intervalMs < 50 || intervalMs > 60_000) throw new UsageError(`--interval ${intervalMs} is outside 50..60000 ms.`, 'Give the polling interval in milliseconds, e.g. --interval 1000.');
    const reportFile = args.string('report');
    const api = await ctx.api();

    ctx.note(`Uploading ${basename(file)} (${formatBytes(size)}, ${format}) to ${api.baseUrl}`);
    const upload = createProgress(io.stderr, { label: 'uploading', unit: '', format: formatBytes });
    // The upload's bar is for terminals only: as plain lines it would be one line per chunk read.
    const body = createReadStream(file).pipe(
      countBytes((sent) => {
        if (io.stderr.isTTY) upload.update({ done: sent, failed: 0, total: size });
      }),
    );
    const accepted = await api
      .json('POST', '/provisioning/manifests', ManifestAcceptedSchema, {
        query: { name: basename(file) },
        headers: { 'content-type': CONTENT_TYPE[format] },
        body: Readable.toWeb(body),
        timeoutMs: 0,
      })
      .finally(() => upload.finish());
    const statusUrl = `${api.baseUrl}${accepted.status}`;
    const reportUrl = `${api.baseUrl}${accepted.report}`;
    if (args.flag('no-wait')) {
      if (json) ctx.printJson({ batch: accepted, statusUrl, reportUrl });
      else ctx.print(`Batch ${accepted.batchId} accepted. Progress: ${statusUrl}  Report when done: ${reportUrl}`);
      return EXIT.ok;
    }
    ctx.note(`Batch ${accepted.batchId} accepted; following ${statusUrl} (Ctrl-C stops following, not the batch).`);

    let final: BatchProgress;
    try {
      final = await follow(ctx, api, accepted.batchId, intervalMs);
    } catch (err) {
      ctx.note(`Batch ${accepted.batchId} may still be running: see ${statusUrl}`);
      throw err;
    }
    const invalid = final.invalidRows ?? 0;
    const summary = { totalRows: final.totalRows ?? 0, provisioned: final.provisioned, updated: final.updated, unchanged: final.unchanged, failed: final.failed, invalid };
    const ended = final.status === 'SUCCEEDED';
    const problems = ended && final.failed + invalid > 0 ? await firstProblems(api, accepted.batchId, SHOWN_PROBLEMS) : [];
    if (ended && reportFile !== undefined) {
      const target = resolve(io.cwd, reportFile);
      const asJson = target.toLowerCase().endsWith('.json');
      const response = await api.send('GET', `${accepted.report}`, { query: asJson ? { format: 'json' } : undefined, timeoutMs: 0 });
      if (!response.body) throw new ApiError('the report came back empty.', 'Fetch it from the report URL.', { status: response.status });
      try {
        await pipeline(Readable.fromWeb(response.body), createWriteStream(target));
      } catch (err) {
        throw new UsageError(`cannot write the report to ${target} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`, `Choose a path you may write, or fetch it later from ${reportUrl}.`);
      }
    }
    const exitCode = ended && final.failed + invalid === 0 ? EXIT.ok : EXIT.unsuccessful;

    if (json) {
      ctx.printJson({ batch: accepted, progress: final, summary, problems, reportUrl, ...(reportFile === undefined ? {} : { reportFile: resolve(io.cwd, reportFile) }) });
      return exitCode;
    }
    if (!ended) {
      ctx.print(`Batch ${final.batchId} ${final.status}${final.error ? `: ${final.error.name}${final.error.cause ? ` (${truncate(final.error.cause, 300)})` : ''}` : ''}.`);
      ctx.print(`Rows with an outcome before it stopped: ${final.rowsDone}. Fix what the error names and upload the manifest again: rows already done stay as they are.`);
      return exitCode;
    }
    ctx.print(`Batch ${final.batchId} done: ${summary.totalRows} rows`);
    ctx.print(
      formatTable(
        ['outcome', 'rows'],
        (['provisioned', 'updated', 'unchanged', 'failed', 'invalid'] as const).map((k) => [k, String(summary[k])]),
      ),
    );
    if (problems.length > 0) {
      ctx.print(`\nFirst problems (of ${final.failed + invalid} rows):`);
      ctx.print(formatTable(['row', 'serial', 'outcome', 'field', 'problem'], problems.map((p) => [p.row, p.serial, p.outcome, p.field, truncate(`${p.message} ${p.hint}`.trim(), 140)])));
    }
    ctx.print(`\nFull report: ${reportUrl} (CSV; add ?format=json for JSON)${reportFile === undefined ? '' : `, saved to ${resolve(io.cwd, reportFile)}`}`);
    return exitCode;
  },
};

import { createWriteStream } from 'node:fs';
import { resolve } from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ThingName } from '../../events/catalog/common.ts';
import type { CliCommand } from './cliCommand.ts';
import { EXIT, UsageError } from './cliErrors.ts';
import { instantOf } from './deviceHistoryCommand.ts';

/** Counts line ends as the export streams through, without holding it. */
const countLines = (onLines: (n: number) => void) => {
  let lines = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      for (const byte of chunk) if (byte === 0x0a) lines++;
      onLines(lines);
      done(null, chunk);
    },
  });
};

/** `fleet audit export`: the command audit as CSV or NDJSON, streamed to stdout or a file. */
export const auditExportCommand: CliCommand = {
  path: ['audit', 'export'],
  summary: 'Export the command audit (who did what to which device, and how it ended)',
  description: [
    'Streams GET /audit/commands to stdout, or to --output. Every command and alarm acknowledgement is a',
    'row: commandId, requestedAt, operator, role, thingName, operation, path, alarmId, status, lwm2mCode,',
    'latencyMs, endedAt, bridgeId, detail. CSV cells that a spreadsheet would run as formulas are',
    'prefixed with an apostrophe. --json means NDJSON (one JSON object per line, for jq and the like);',
    'with --output, stdout gets a summary instead ({ file, format, rows } with --json).',
  ].join('\n'),
  positionals: [],
  options: [
    { name: 'format', kind: 'string', valueName: 'format', choices: ['csv', 'ndjson'], description: 'csv or ndjson.', defaultText: 'csv (ndjson with --json)' },
    { name: 'thing', kind: 'string', valueName: 'name', description: 'Only commands to this device.' },
    { name: 'operator', kind: 'string', valueName: 'subject', description: "Only commands of this operator (the token's subject)." },
    { name: 'from', kind: 'string', valueName: 'time', description: 'Requested at or after this instant (ISO 8601 with a zone).' },
    { name: 'to', kind: 'string', valueName: 'time', description: 'Requested before this instant.' },
    { name: 'output', kind: 'string', valueName: 'file', description: 'Write the export to this file instead of stdout.' },
  ],
  examples: ['fleet audit export > audit.csv', 'fleet audit export --format ndjson --thing meter-0001', 'fleet audit export --operator ada@example.com --from 2026-03-01T00:00:00Z --output march.csv'],
  role: 'viewer',
  async run(ctx) {
    const { args, io, json } = ctx;
    const flagFormat = args.string('format') as 'csv' | 'ndjson' | undefined;
    if (json && flagFormat === 'csv') throw new UsageError('--json and --format csv are both given.', '--json exports NDJSON; leave one of them out.');
    const format = flagFormat ?? (json ? 'ndjson' : 'csv');
    const thing = args.string('thing');
    if (thing !== undefined && !ThingName.safeParse(thing).success) throw new UsageError(`--thing ${JSON.stringify(thing.slice(0, 140))} is not a thing name.`, 'A thing name is 1-128 letters, digits, ":", "_" and "-".');
    const from = args.has('from') ? instantOf(args.string('from') ?? '', '--from', io.now()) : undefined;
    const to = args.has('to') ? instantOf(args.string('to') ?? '', '--to', io.now()) : undefined;
    if (from !== undefined && to !== undefined && Date.parse(from) >= Date.parse(to)) throw new UsageError(`--from ${from} is not before --to ${to}.`, 'Give --from before --to.');
    const output = args.string('output');
    const api = await ctx.api();
    const response = await api.send('GET', '/audit/commands', { query: { format, thingName: thing, operator: args.string('operator'), from, to }, timeoutMs: 0 });
    if (!response.body) throw new UsageError('the export came back empty.', 'Try again.');
    const source = Readable.fromWeb(response.body);
    let lines = 0;
    const counter = countLines((n) => (lines = n));
    if (output === undefined) {
      // The data goes to stdout untouched; pipeline waits when the reader (a pager, a pipe) is slow.
      await pipeline(source, counter, io.stdout, { end: false });
      return EXIT.ok;
    }
    const target = resolve(io.cwd, output);
    try {
      await pipeline(source, counter, createWriteStream(target));
    } catch (err) {
      throw new UsageError(`cannot write the export to ${target} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`, 'Choose a path you may write.');
    }
    const rows = format === 'csv' ? Math.max(0, lines - 1) : lines;
    if (json) ctx.printJson({ file: target, format, rows });
    else ctx.print(`Wrote ${rows} audit row${rows === 1 ? '' : 's'} (${format}) to ${target}.`);
    return EXIT.ok;
  },
};

import type { z } from 'zod';
import { CommandOperation } from '../../events/catalog/commands.ts';
import { CommandAcceptedSchema, CommandDetailSchema, COMMAND_LIMITS } from '../commands/commandApiSchemas.ts';
import type { CliCommand } from './cliCommand.ts';
import { EXIT, UsageError } from './cliErrors.ts';
import { commandBodyOf, VALUE_KINDS, type ValueKind } from './commandValue.ts';
import { compact } from './table.ts';

type Detail = z.infer<typeof CommandDetailSchema>;
type Entry = Detail['lifecycle'][number];

/** Past the command's expiry the backend's sweeper closes it; this much longer is waited before giving up. */
const EXPIRY_GRACE_MS = 15_000;

const entryLine = (e: Entry): string => {
  const who = e.type === 'CommandRequested' || e.type === 'AlarmAcknowledged' ? `  by ${e.actor.id}${e.actor.role ? ` (${e.actor.role})` : ''}` : '';
  const { thingName: _thingName, commandId: _commandId, ...data } = e.data;
  return `${e.at}  ${e.type.padEnd(18)}${who}  ${Object.keys(data).length === 0 ? '' : compact(data, 160)}`.trimEnd();
};

/** `fleet commands send <thing> <operation> <path> [value]`: sends one LwM2M operation and follows it to its outcome. */
export const commandsSendCommand: CliCommand = {
  path: ['commands', 'send'],
  summary: 'Send an LwM2M command to a device and wait for its outcome',
  description: [
    'POSTs the command (POST /commands), then follows GET /commands/<id> and prints each step of its',
    'lifecycle as it is recorded (requested, published to the bridge, queued, dispatched, then succeeded,',
    'failed, timed out, or ignored when no bridge holds the device). The value of a write is typed by the',
    'object model (a Time takes 2026-03-01T12:00:00Z or seconds); --kind says it for unknown resources,',
    'and a JSON array of { path, value: { kind, v } } writes several resources. An execute takes its',
    'arguments as the value, write-attributes takes pmin=10,pmax=60. Exits 0 when the command succeeded,',
    '1 when it failed, timed out, was ignored, or was still open when the wait ended.',
  ].join('\n'),
  positionals: [
    { name: 'thing', description: 'The device (thing name)', required: true },
    { name: 'operation', description: CommandOperation.options.join(', '), required: true },
    { name: 'path', description: 'The LwM2M path, e.g. /3303/0/5700', required: true },
    { name: 'value', description: 'write: the value; execute: its arguments; write-attributes: pmin=..,pmax=..', required: false },
  ],
  options: [
    { name: 'kind', kind: 'string', valueName: 'kind', choices: VALUE_KINDS, description: "The written value's kind, when the object model does not know the resource." },
    { name: 'replace', kind: 'boolean', description: 'write on an instance: replace it (PUT) instead of updating the given resources.' },
    { name: 'timeout', kind: 'number', valueName: 'seconds', description: 'How long the command may wait for its answer before it ends as timed out (the server has defaults).' },
    { name: 'no-wait', kind: 'boolean', description: 'Return once the command is accepted.' },
    { name: 'interval', kind: 'integer', valueName: 'ms', description: 'How often to ask for its progress.', defaultText: '300' },
  ],
  examples: [
    'fleet commands send meter-0001 read /3303/0/5700',
    'fleet commands send meter-0001 write /3/0/13 2026-03-01T12:00:00Z',
    "fleet commands send meter-0001 execute /3/0/4",
    'fleet commands send meter-0001 write-attributes /3303/0/5700 pmin=10,pmax=60 --json',
  ],
  role: 'operator',
  async run(ctx) {
    const { args, io, json } = ctx;
    const timeout = args.number('timeout');
    if (timeout !== undefined && (timeout <= 0 || timeout > COMMAND_LIMITS.maxTimeoutSeconds)) {
      throw new UsageError(`--timeout ${timeout} is outside 0..${COMMAND_LIMITS.maxTimeoutSeconds} seconds.`, 'Give the seconds the command may wait for its answer, e.g. --timeout 30.');
    }
    const intervalMs = args.number('interval') ?? 300;
    if (intervalMs < 50 || intervalMs > 60_000) throw new UsageError(`--interval ${intervalMs} is outside 50..60000 ms.`, 'Give the polling interval in milliseconds, e.g. --interval 1000.');
    const body = commandBodyOf({
      thingName: args.positional('thing') ?? '',
      operation: args.positional('operation') ?? '',
      path: args.positional('path') ?? '',
      value: args.positional('value'),
      kind: args.string('kind') as ValueKind | undefined,
      replace: args.flag('replace'),
      timeoutSeconds: timeout,
    });
    const api = await ctx.api();
    const accepted = await api.json('POST', '/commands', CommandAcceptedSchema, { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    const url = `${api.baseUrl}${accepted.url}`;
    if (args.flag('no-wait')) {
      if (json) ctx.printJson({ accepted, url });
      else ctx.print(`Command ${accepted.commandId} ${accepted.status}; follow it at ${url}`);
      return EXIT.ok;
    }
    if (!json) ctx.note(`Command ${accepted.commandId} accepted (${accepted.status}); waiting for its outcome until ${accepted.expiresAt}.`);

    const giveUpAt = Date.parse(accepted.expiresAt) + EXPIRY_GRACE_MS;
    let shown = 0;
    let detail: Detail;
    for (;;) {
      detail = await api.json('GET', `/commands/${encodeURIComponent(accepted.commandId)}`, CommandDetailSchema);
      if (!json) for (const entry of detail.lifecycle.slice(shown)) ctx.print(entryLine(entry));
      shown = detail.lifecycle.length;
      if (!detail.command.open || io.now().getTime() > giveUpAt) break;
      await io.sleep(intervalMs);
    }
    const { command } = detail;
    const exitCode = command.status === 'succeeded' ? EXIT.ok : EXIT.unsuccessful;
    if (json) {
      ctx.printJson({ accepted, command, lifecycle: detail.lifecycle, url });
      return exitCode;
    }
    if (command.open) {
      ctx.print(`\nStill ${command.status} after its expiry (${accepted.expiresAt}): the backend has not closed it. Follow it at ${url}`);
    } else {
      const code = command.lwm2mCode ? ` (${command.lwm2mCode})` : '';
      const answered = command.status === 'succeeded' || command.status === 'failed';
      const latency = answered && command.latencyMs !== undefined ? ` in ${command.latencyMs} ms` : '';
      const why = command.status === 'ignored' ? ': no bridge holds the device (it is not registered over LwM2M now)' : command.detail ? `: ${command.detail}` : '';
      ctx.print(`\n${command.commandId} ${command.status}${code}${latency}${why}`);
    }
    return exitCode;
  },
};

import type { z } from 'zod';
import { parseSearchParams } from '../../schemas/directory/parseSearchParams.ts';
import { DirectoryPageSchema } from '../api/openapi/apiSchemas.ts';
import type { CliCommand } from './cliCommand.ts';
import { EXIT, UsageError } from './cliErrors.ts';
import { formatTable } from './table.ts';

type Device = z.infer<typeof DirectoryPageSchema>['items'][number];

/** The directory's parameter names as this command's options, for errors found before the request. */
const OPTION_OF: Readonly<Record<string, string>> = {
  tenant: '--tenant',
  thingGroup: '--group',
  deviceType: '--type',
  status: '--status',
  bbox: '--bbox',
  near: '--near/--radius',
  limit: '--limit',
  cursor: '--cursor',
};

const optionOf = (field: string) => (field.startsWith('attr.') ? `--attr ${field.slice(5)}=...` : (OPTION_OF[field] ?? field));

/** The directory's hints say `bbox=55,12,56,14`; on a command line that is `--bbox 55,12,56,14`. */
const asOptions = (text: string) => text.replace(/\b(tenant|bbox|status|limit|cursor)=/g, '--$1 ').replace(/\bthingGroup=/g, '--group ').replace(/\bdeviceType=/g, '--type ');

/** This command's options as the directory's query (GET /devices, functions/directory/README.md). */
export const searchQueryOf = (options: {
  tenant?: string | undefined;
  attr: readonly string[];
  group?: string | undefined;
  type?: string | undefined;
  status?: string | undefined;
  bbox?: string | undefined;
  near?: string | undefined;
  radius?: number | undefined;
  limit?: number | undefined;
  cursor?: string | undefined;
}): URLSearchParams => {
  const query = new URLSearchParams();
  const set = (name: string, value: string | number | undefined) => value !== undefined && query.set(name, String(value));
  set('tenant', options.tenant);
  for (const pair of options.attr) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--attr ${JSON.stringify(pair)} is not NAME=VALUE.`, 'Write --attr kind=water-meter; repeat --attr for more attributes.');
    const name = `attr.${pair.slice(0, eq)}`;
    if (query.has(name)) throw new UsageError(`--attr ${pair.slice(0, eq)} is given twice.`, 'A device has one value per attribute: give each once.');
    query.set(name, pair.slice(eq + 1));
  }
  set('thingGroup', options.group);
  set('deviceType', options.type);
  set('status', options.status);
  set('bbox', options.bbox);
  if ((options.near === undefined) !== (options.radius === undefined)) {
    throw new UsageError(options.near === undefined ? '--radius needs --near.' : '--near needs --radius.', 'Search a circle with --near <lat,lon> --radius <meters>, e.g. --near 55.7,13.19 --radius 2000.');
  }
  if (options.near !== undefined) set('near', `${options.near},${options.radius}`);
  set('limit', options.limit);
  set('cursor', options.cursor);
  // The directory's own reader checks the search here, so mistakes are named as the options that made them.
  const checked = parseSearchParams(query);
  if (!checked.ok) {
    const first = checked.errors[0];
    const rest = checked.errors.slice(1).map((e) => `${optionOf(e.field)}: ${e.message} ${asOptions(e.hint)}`);
    throw new UsageError(`${optionOf(first?.field ?? '')}: ${first?.message ?? 'the search is not valid.'}`, [first ? asOptions(first.hint) : undefined, ...rest].filter(Boolean).join('\n  '));
  }
  return query;
};

const place = (d: Device) => `${d.location.latitude},${d.location.longitude}`;

/** `fleet devices search`: the device directory by tenant, attributes, group, area and status. */
export const devicesSearchCommand: CliCommand = {
  path: ['devices', 'search'],
  summary: 'Search the device directory',
  description: [
    'Every filter given narrows the search (GET /devices). Without --status only live devices are found',
    '(provisioned, bootstrapped). Coordinates are latitude first. A page is --limit devices; the next one',
    'is --cursor <nextCursor> with the same filters, or --all to follow every page. --json prints the',
    "API's page ({ items, nextCursor?, total? }; with --all, every item and the total).",
  ].join('\n'),
  positionals: [],
  options: [
    { name: 'tenant', kind: 'string', valueName: 'id', description: 'Only this tenant.' },
    { name: 'attr', kind: 'string', valueName: 'name=value', repeatable: true, description: 'Attribute NAME equals VALUE exactly.' },
    { name: 'group', kind: 'string', valueName: 'group', description: 'Only this thing group.' },
    { name: 'type', kind: 'string', valueName: 'type', description: 'Only this device type.' },
    { name: 'status', kind: 'string', valueName: 'list', description: 'provisioned, bootstrapped, deprovisioned (comma-separated) or any.' },
    { name: 'bbox', kind: 'string', valueName: 'minLat,minLon,maxLat,maxLon', description: 'Inside this box (edges included; minLon > maxLon crosses the antimeridian).' },
    { name: 'near', kind: 'string', valueName: 'lat,lon', description: 'Within --radius of this point; sorted by distance.' },
    { name: 'radius', kind: 'number', valueName: 'meters', description: 'The radius for --near, up to 1,000,000.' },
    { name: 'limit', kind: 'integer', valueName: 'n', description: 'Devices per page, 1 to 500.', defaultText: '50' },
    { name: 'cursor', kind: 'string', valueName: 'cursor', description: 'The nextCursor of the previous page.' },
    { name: 'all', kind: 'boolean', description: 'Follow every page.' },
  ],
  examples: [
    'fleet devices search --tenant city-of-lund',
    'fleet devices search --attr kind=water-meter --attr fw=2.0 --group lund-north',
    'fleet devices search --near 55.70,13.19 --radius 2000 --json',
    'fleet devices search --bbox 55,12,56,14 --status any --all',
  ],
  role: 'viewer',
  async run(ctx) {
    const { args, json } = ctx;
    const query = searchQueryOf({
      tenant: args.string('tenant'),
      attr: args.list('attr'),
      group: args.string('group'),
      type: args.string('type'),
      status: args.string('status'),
      bbox: args.string('bbox'),
      near: args.string('near'),
      radius: args.number('radius'),
      limit: args.number('limit'),
      cursor: args.string('cursor'),
    });
    if (args.flag('all') && args.has('cursor')) throw new UsageError('--all and --cursor are both given.', '--all starts at the first page; leave --cursor out.');
    const api = await ctx.api();
    const near = query.has('near');
    const items: Device[] = [];
    let page = await api.json('GET', '/devices', DirectoryPageSchema, { query });
    const total = page.total;
    items.push(...page.items);
    while (args.flag('all') && page.nextCursor !== undefined) {
      query.set('cursor', page.nextCursor);
      page = await api.json('GET', '/devices', DirectoryPageSchema, { query });
      items.push(...page.items);
    }
    const nextCursor = page.nextCursor;

    if (json) {
      ctx.printJson({ items, ...(nextCursor === undefined ? {} : { nextCursor }), ...(total === undefined ? {} : { total }) });
      return EXIT.ok;
    }
    if (items.length === 0) {
      ctx.print('No devices match.');
      return EXIT.ok;
    }
    const headers = ['thingName', 'tenant', 'status', 'lat,lon', 'group', 'type', ...(near ? ['distance m'] : [])];
    ctx.print(
      formatTable(
        headers,
        items.map((d) => [d.thingName, d.tenant, d.status, place(d), d.thingGroup ?? '', d.deviceType ?? '', ...(near ? [d.distanceMeters === undefined ? '' : d.distanceMeters.toFixed(0)] : [])]),
      ),
    );
    ctx.print(`\n${items.length} device${items.length === 1 ? '' : 's'}${total === undefined ? '' : ` of ${total}`}.`);
    if (nextCursor !== undefined) ctx.print(`Next page: the same search with --cursor ${nextCursor} (or --all).`);
    return EXIT.ok;
  },
};

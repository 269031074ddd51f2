import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProjectionBackfillStartedSchema } from '../../functions/api/projections/projectionRebuildSchemas.ts';
import { REBUILD_SUMMARY_MESSAGE } from '../../functions/projections/dynamoRebuildRequest.ts';
import { runCli } from '../../functions/cli/cli.ts';

/**
 * `fleet projections rebuild` against the AWS API, whose answer is 202 (a backfill started) rather
 * than the embedded comparison: a loopback stand-in answers the documented body over real HTTP.
 */

const started = ProjectionBackfillStartedSchema.parse({
  projection: 'devices',
  table: 'directory',
  mode: 'backfill',
  runId: 'run-7f3a',
  functionName: 'LwM2MFleet-RebuildDirectory',
  startedAt: '2026-11-25T02:00:00.000Z',
  startedBy: 'ada@example.com',
  outcome: {
    logGroup: '/aws/lambda/LwM2MFleet-RebuildDirectory',
    summaryMessage: REBUILD_SUMMARY_MESSAGE,
    query: 'fields @timestamp, outcome | filter runId = "run-7f3a"',
    detail: 'One summary line per invocation.',
  },
});

let server: Server;
let url: string;
const seen: { method: string; url: string; authorization: string }[] = [];

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    seen.push({ method: req.method!, url: req.url!, authorization: String(req.headers.authorization ?? '') });
    res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify(started));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise((resolve) => server.close(resolve)));

const run = async (args: readonly string[]) => {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const code = await runCli([...args, '--url', url, '--token', 'aws-admin-token'], {
    stdout,
    stderr,
    env: {},
    cwd: process.cwd(),
    now: () => new Date('2026-11-25T02:00:00.000Z'),
    sleep: () => Promise.resolve(),
  });
  return { code, out, err };
};

describe('fleet projections rebuild on AWS', () => {
  it('starts the backfill and says where its outcome is logged', async () => {
    const text = await run(['projections', 'rebuild', 'devices', '--replace']);
    expect(text.err).not.toMatch(/does not understand/);
    expect(text.code).toBe(0);
    expect(seen.at(-1)).toMatchObject({ method: 'POST', authorization: 'Bearer aws-admin-token' });
    expect(seen.at(-1)!.url).toMatch(/^\/projections\/devices\/rebuild\?.*replace=true/);
    expect(text.out).toContain('LwM2MFleet-RebuildDirectory');
    expect(text.out).toContain('log group /aws/lambda/LwM2MFleet-RebuildDirectory');
    expect(text.out).toContain('filter runId = "run-7f3a"');
  });

  it('answers --json with the backfills it started', async () => {
    const json = await run(['projections', 'rebuild', 'devices', '--replace', '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out)).toEqual({ projections: [], differing: [], replaced: true, backfills: [started] });
  });
});

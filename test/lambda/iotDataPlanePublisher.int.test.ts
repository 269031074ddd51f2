import { generateKeyPairSync } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { iotDataPlaneBridgePublisher, iotDataPlaneCommandPublisher } from '../../functions/lambda/iotDataPlanePublisher.ts';
import { topics } from '../../schemas/topics/topics.ts';
import { capturingLogger, startLocalDataPlane, type LocalDataPlane } from './support.ts';

// The real SDK client (createIotDataPlaneClient, as the Lambdas build it) against a loopback HTTP
// server: what is checked is the request on the wire, in the shape the Publish API reference gives:
// POST /topics/{topic}?qos=&retain= with the payload as the body.
let plane: LocalDataPlane;
beforeAll(async () => {
  plane = await startLocalDataPlane();
});
afterAll(() => plane.close());
afterEach(() => {
  vi.restoreAllMocks();
});

const privateKeyPem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
/** Pieces of the key that must not show up anywhere: the PEM label, and its base64 body in slices. */
const keyPieces = () => {
  const body = privateKeyPem.replace(/-----[A-Z ]+-----|\s/g, '');
  return ['PRIVATE KEY', ...Array.from({ length: Math.floor(body.length / 24) }, (_, i) => body.slice(i * 24, i * 24 + 24))];
};
const delivery = () => JSON.stringify({ endpoint: 'meter-1', requestId: 'bs-1', privateKeyPem });

/** Everything written to the console while `run` runs. */
const consoleDuring = async (run: () => Promise<unknown>): Promise<string[]> => {
  const lines: string[] = [];
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void lines.push(args.map((a) => (a instanceof Error ? `${a.message}\n${a.stack}` : typeof a === 'string' ? a : JSON.stringify(a))).join(' ')));
  }
  try {
    await run();
  } catch (error) {
    // A Lambda logs a thrown error's message and stack: they are log lines too.
    lines.push(`${(error as Error).message}\n${(error as Error).stack}`);
  }
  return lines;
};

describe('the IoT data plane adapter on the wire', () => {
  it('sends a bootstrap delivery as POST /topics/{topic}?qos=1&retain=false with the JSON as the body, signed for iotdata', async () => {
    const from = plane.received.length;
    const topic = topics.bootstrapResponse('aws-1', 'lund:meter-1');
    await iotDataPlaneBridgePublisher(plane.client())({ topic, payload: delivery() });
    const [request] = plane.received.slice(from);
    expect(plane.received.length - from).toBe(1);
    expect(request!.method).toBe('POST');
    // The whole topic is one path segment: its slashes (and the thing name's colon) are encoded.
    expect(request!.path).toBe('/topics/cmd%2Flwm2m-bridge%2Faws-1%2Fbootstrap%2Flund%3Ameter-1');
    expect(request!.topic).toBe(topic);
    expect(request!.query).toEqual({ qos: '1', retain: 'false' });
    expect(request!.headers['content-type']).toBe('application/octet-stream');
    expect(request!.body.toString('utf8')).toBe(delivery());
    expect(request!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDLOCALTEST\/\d{8}\/eu-west-1\/iotdata\/aws4_request/);
  });

  it('sends a command request the same way, on the device’s request topic', async () => {
    const from = plane.received.length;
    const message = { commandId: 'c-42', operation: 'execute', path: '/3/0/4', requestedAt: '2026-05-01T10:00:00.000Z', expiresAt: '2026-05-01T10:01:00.000Z' } as const;
    await expect(iotDataPlaneCommandPublisher(plane.client()).publish('meter-7', message)).resolves.toEqual({ topic: 'cmd/lwm2m/meter-7/req/c-42' });
    const [request] = plane.received.slice(from);
    expect(request!.topic).toBe('cmd/lwm2m/meter-7/req/c-42');
    expect(request!.query).toEqual({ qos: '1', retain: 'false' });
    expect(JSON.parse(request!.body.toString('utf8'))).toEqual(message);
  });

  it('reports a refusal with the topic and AWS’s answer', async () => {
    plane.refuseNext(403, 'ForbiddenException', 'Not authorized to publish');
    await expect(iotDataPlaneBridgePublisher(plane.client())({ topic: topics.bootstrapResponse('aws-2', 'meter-1'), payload: delivery() })).rejects.toThrow(
      /AWS IoT did not take the message for cmd\/lwm2m-bridge\/aws-2\/bootstrap\/meter-1 \(ForbiddenException: Not authorized to publish, HTTP 403, request req-\d+\)/,
    );
  });
});

describe('a private key in a delivery', () => {
  it('never appears in a log line, even with the SDK’s logger on, whether the publish succeeds or is refused', async () => {
    const sdk = capturingLogger();
    const publish = iotDataPlaneBridgePublisher(plane.client({ logger: sdk.logger }));
    const topic = topics.bootstrapResponse('aws-1', 'meter-1');
    const consoleLines = [
      ...(await consoleDuring(() => publish({ topic, payload: delivery() }))),
      ...(await consoleDuring(async () => {
        plane.refuseNext(503, 'ServiceUnavailableException', 'try again');
        await publish({ topic, payload: delivery() });
      })),
    ];
    const lines = [...sdk.lines, ...consoleLines];
    // The logger did log both calls: the check below is not vacuous.
    expect(sdk.lines.filter((l) => l.startsWith('info ') && l.includes(topic))).toHaveLength(1);
    expect(sdk.lines.filter((l) => l.startsWith('error ') && l.includes('ServiceUnavailableException'))).toHaveLength(1);
    expect(sdk.lines.some((l) => l.includes(`"payload":"[${Buffer.byteLength(delivery())} bytes, not logged]"`))).toBe(true);
    expect(consoleLines.some((l) => l.includes('try again'))).toBe(true);
    for (const piece of keyPieces()) expect(lines.filter((l) => l.includes(piece))).toEqual([]);
    // And the key did travel: what was kept out of the logs is what the bridge receives.
    expect(plane.received.at(-1)!.body.toString('utf8')).toContain(privateKeyPem.split('\n')[1]);
  });
});

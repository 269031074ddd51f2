import { Readable } from 'node:stream';
import { EventBridgeClient, PutEventsCommand, type PutEventsCommandOutput } from '@aws-sdk/client-eventbridge';
import { describe, expect, it } from 'vitest';
import type { BusEntry } from '../../functions/bus/bus.ts';
import { createEventBridgeBus, type PutEventsSender } from '../../functions/bus/eventBridgeBus.ts';
import { PutEventsValidationError } from '../../functions/bus/putEventsLimits.ts';

/** Stands in for EventBridgeClient at its `send` boundary: records each command, answers as told. */
const recordingClient = (answer: (command: PutEventsCommand) => PutEventsCommandOutput | Promise<PutEventsCommandOutput>) => {
  const sent: PutEventsCommand[] = [];
  const client: PutEventsSender = {
    send: async (command) => {
      sent.push(command);
      return answer(command);
    },
  };
  return { client, sent };
};

const ok = (command: PutEventsCommand): PutEventsCommandOutput => ({
  $metadata: {},
  FailedEntryCount: 0,
  Entries: (command.input.Entries ?? []).map((_, i) => ({ EventId: `aws-${i}` })),
});

const at = new Date('2026-03-01T12:00:00.000Z');
const entries: BusEntry[] = [
  { Source: 'lwm2m.fleet', DetailType: 'DeviceProvisioned', Detail: { thingName: 'm1', tenant: 't1' }, Resources: ['arn:aws:iot:eu-west-1:123456789012:thing/m1'], Time: at },
  { Source: 'lwm2m.fleet', DetailType: 'AlarmRaised', Detail: { thingName: 'm2' } },
];

describe('EventBridge bus adapter', () => {
  it('sends one PutEvents request shaped as the API documents: Detail as JSON text, the bus name on every entry', async () => {
    const { client, sent } = recordingClient(ok);
    const bus = createEventBridgeBus({ client, eventBusName: 'fleet-events' });
    const result = await bus.put(entries);

    expect(sent).toHaveLength(1);
    expect(sent[0]).toBeInstanceOf(PutEventsCommand);
    expect(sent[0]!.input).toEqual({
      Entries: [
        {
          Source: 'lwm2m.fleet',
          DetailType: 'DeviceProvisioned',
          Detail: '{"thingName":"m1","tenant":"t1"}',
          EventBusName: 'fleet-events',
          Resources: ['arn:aws:iot:eu-west-1:123456789012:thing/m1'],
          Time: at,
        },
        { Source: 'lwm2m.fleet', DetailType: 'AlarmRaised', Detail: '{"thingName":"m2"}', EventBusName: 'fleet-events' },
      ],
    });
    expect(result).toEqual({ FailedEntryCount: 0, Entries: [{ EventId: 'aws-0' }, { EventId: 'aws-1' }] });
  });

  it('surfaces the entries EventBridge failed, in the caller’s order', async () => {
    const { client } = recordingClient(() => ({
      $metadata: {},
      FailedEntryCount: 1,
      Entries: [{ EventId: 'aws-0' }, { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }],
    }));
    const result = await createEventBridgeBus({ client, eventBusName: 'b' }).put(entries);
    expect(result).toEqual({ FailedEntryCount: 1, Entries: [{ EventId: 'aws-0' }, { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }] });
  });

  it('fails invalid entries locally with the API’s codes, sends the rest, and merges the answers in order', async () => {
    const { client, sent } = recordingClient(ok);
    const mixed = [entries[0]!, { Source: 's', DetailType: 'X', Detail: 'not an object' }, entries[1]!] as unknown as BusEntry[];
    const result = await createEventBridgeBus({ client, eventBusName: 'b' }).put(mixed);
    expect(sent[0]!.input.Entries?.map((e) => e.DetailType)).toEqual(['DeviceProvisioned', 'AlarmRaised']);
    expect(result.FailedEntryCount).toBe(1);
    expect(result.Entries[0]).toEqual({ EventId: 'aws-0' });
    expect(result.Entries[1]).toMatchObject({ ErrorCode: 'MalformedDetail' });
    expect(result.Entries[2]).toEqual({ EventId: 'aws-1' });
  });

  it('sends nothing when every entry is invalid', async () => {
    const { client, sent } = recordingClient(ok);
    const result = await createEventBridgeBus({ client, eventBusName: 'b' }).put([{ Source: '', DetailType: 'X', Detail: {} }]);
    expect(sent).toHaveLength(0);
    expect(result).toMatchObject({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InvalidArgument' }] });
  });

  it('never reports an entry as published when the answer does not confirm it', async () => {
    const { client } = recordingClient(() => ({ $metadata: {}, FailedEntryCount: 0, Entries: [{ EventId: 'aws-0' }] }));
    const result = await createEventBridgeBus({ client, eventBusName: 'b' }).put(entries);
    expect(result.FailedEntryCount).toBe(1);
    expect(result.Entries[1]).toMatchObject({ ErrorCode: 'InternalFailure' });
    expect(result.Entries[1]!.ErrorMessage).toMatch(/put it again/);
  });

  it('rejects more than 10 entries before calling AWS, and passes request-level failures through', async () => {
    const { client, sent } = recordingClient(ok);
    const bus = createEventBridgeBus({ client, eventBusName: 'b' });
    await expect(bus.put(Array.from({ length: 11 }, () => entries[1]!))).rejects.toThrow(PutEventsValidationError);
    expect(sent).toHaveLength(0);
    const failing = createEventBridgeBus({ client: { send: () => Promise.reject(new Error('AccessDeniedException')) }, eventBusName: 'b' });
    await expect(failing.put(entries)).rejects.toThrow('AccessDeniedException');
  });

  it('refuses run-time subscriptions: on AWS they are rules in the CDK app', () => {
    const { client } = recordingClient(ok);
    expect(() => createEventBridgeBus({ client, eventBusName: 'b' }).subscribe({ name: 'r', pattern: { source: ['x'] }, target: async () => {} })).toThrow(
      /EventBridge rules declared in the CDK app/,
    );
  });

  it('goes through the real SDK client to the documented PutEvents wire request', async () => {
    // The SDK's serializer and deserializer run for real; only the network hop is replaced.
    const requests: Array<{ headers: Record<string, string>; body: string }> = [];
    const client = new EventBridgeClient({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'example-secret' },
      requestHandler: {
        handle: (request: { headers: Record<string, string>; body: Uint8Array | string }) => {
          requests.push({ headers: request.headers, body: typeof request.body === 'string' ? request.body : new TextDecoder().decode(request.body) });
          const body = JSON.stringify({ FailedEntryCount: 1, Entries: [{ EventId: 'e-1' }, { ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }] });
          return Promise.resolve({
            response: { statusCode: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: Readable.from([Buffer.from(body)]) },
          });
        },
      },
    });
    const result = await createEventBridgeBus({ client, eventBusName: 'fleet-events' }).put(entries);

    expect(requests).toHaveLength(1);
    expect(requests[0]!.headers['x-amz-target']).toBe('AWSEvents.PutEvents');
    expect(JSON.parse(requests[0]!.body)).toEqual({
      Entries: [
        {
          Source: 'lwm2m.fleet',
          DetailType: 'DeviceProvisioned',
          Detail: '{"thingName":"m1","tenant":"t1"}',
          EventBusName: 'fleet-events',
          Resources: ['arn:aws:iot:eu-west-1:123456789012:thing/m1'],
          Time: at.getTime() / 1000,
        },
        { Source: 'lwm2m.fleet', DetailType: 'AlarmRaised', Detail: '{"thingName":"m2"}', EventBusName: 'fleet-events' },
      ],
    });
    expect(result).toEqual({ FailedEntryCount: 1, Entries: [{ EventId: 'e-1' }, { ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }] });
  });
});

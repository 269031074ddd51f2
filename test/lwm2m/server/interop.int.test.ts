import { execFile } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { Agent, createServer, request, type IncomingMessage, type OutgoingMessage, type Server } from 'coap';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lwm2mServer, RegisteredEvent } from '../../../functions/lwm2m/lwm2mServer.ts';
import type { Notification } from '../../../functions/lwm2m/observations.ts';
import { nextEvent, startTestServer, within } from './support.ts';

/**
 * The server against CoAP stacks nobody here wrote: libcoap's command-line client (C) registers,
 * in one datagram and in Block1 blocks; node-coap (JavaScript) plays a whole device, registering
 * with its Agent and answering reads and observations with its Server on the same socket.
 */

const coapClient = (args: string[]) =>
  new Promise<{ stdout: string; stderr: string }>((resolve, reject) =>
    execFile('coap-client-notls', ['-B', '5', ...args], { timeout: 15_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`coap-client-notls ${args.join(' ')} failed: ${stderr}`, { cause: error })) : resolve({ stdout, stderr }),),
  );

describe('libcoap coap-client-notls as the client', () => {
  let server: Lwm2mServer;
  let port: number;
  beforeAll(async () => {
    ({ server, port } = await startTestServer({ timing: {} }));
  });
  afterAll(async () => {
    await server.close();
  });

  it('registers', async () => {
    const registered = nextEvent<RegisteredEvent>(server.events, 'registered');
    await coapClient(['-m', 'post', '-e', '</1/0>,</3/0>', `coap://127.0.0.1:${port}/rd?ep=libcoap&lt=60&lwm2m=1.1`]);
    const { registration } = await registered;
    expect(registration).toMatchObject({ endpoint: 'libcoap', lifetimeSeconds: 60, lwm2mVersion: '1.1' });
    expect(registration.objectLinks.objects.map((o) => o.objectId)).toEqual([1, 3]);
  });

  it('registers with a body sent in 64-byte Block1 blocks', async () => {
    const links = Array.from({ length: 200 }, (_, i) => `</3303/${i}>`).join(',');
    const registered = nextEvent<RegisteredEvent>(server.events, 'registered');
    await coapClient(['-m', 'post', '-b', '64', '-t', '40', '-e', links, `coap://127.0.0.1:${port}/rd?ep=libcoap-blocks`]);
    const { registration } = await registered;
    expect(registration.objectLinks.objects[0]!.instances).toHaveLength(200);
  });

  it('hears 4.05 with the diagnostic for a GET on /rd', async () => {
    const { stderr } = await coapClient(['-m', 'get', `coap://127.0.0.1:${port}/rd`]);
    expect(stderr).toContain('4.05 /rd takes POST (Register) only');
  });
});

describe('node-coap as the device', () => {
  let server: Lwm2mServer;
  let port: number;
  let socket: Socket;
  let device: Server;
  let observer: OutgoingMessage | undefined;

  beforeAll(async () => {
    ({ server, port } = await startTestServer({ timing: {} }));
    // One socket for the device's server and client sides: LwM2M devices answer from the port they registered from.
    socket = createSocket('udp4');
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    device = createServer();
    device.on('request', (req: IncomingMessage, res: OutgoingMessage) => {
      res.setOption('Content-Format', 'text/plain');
      if (req.url === '/3303/0/5700' && req.headers.Observe === 0) {
        observer = res;
        res.write('20.5');
        return;
      }
      if (req.url === '/3/0/0') {
        res.end('node-coap device');
        return;
      }
      res.code = '4.04';
      res.end();
    });
    device.listen(socket);
  });
  afterAll(async () => {
    await server.close();
    device.close();
    socket.close();
  });

  it('registers through its Agent, answers a read and notifies an observation until the server resets it', async () => {
    const registered = nextEvent<RegisteredEvent>(server.events, 'registered');
    const answer = new Promise<IncomingMessage>((resolve) => {
      const req = request({ hostname: '127.0.0.1', port, method: 'POST', pathname: '/rd', query: 'ep=node-coap&lt=60&lwm2m=1.1', agent: new Agent({ socket }) });
      req.setOption('Content-Format', 'application/link-format');
      req.on('response', resolve);
      req.end('</1/0>,</3/0>,</3303/0>');
    });
    const response = await within(5_000, 'register answer', answer);
    expect(response.code).toBe('2.01');
    const location = (response._packet.options ?? []).filter((o) => o.name === 'Location-Path').map((o) => String(o.value));
    expect(location[0]).toBe('rd');
    expect((await registered).registration.id).toBe(location[1]);

    const read = await server.read('node-coap', '/3/0/0');
    expect(Buffer.from(read.payload!.bytes).toString()).toBe('node-coap device');
    await expect(server.read('node-coap', '/3/0/17')).rejects.toMatchObject({ code: '4.04' });

    const observation = await server.observe('node-coap', '/3303/0/5700');
    expect(observation.established).toBe(true);
    expect(Buffer.from(observation.initial.payload!.bytes).toString()).toBe('20.5');
    const iterator = observation.notifications[Symbol.asyncIterator]();
    observer!.write('21.5');
    const notification = (await within(5_000, 'notification', iterator.next())).value as Notification;
    expect(Buffer.from(notification.payload!.bytes).toString()).toBe('21.5');

    await observation.cancel('reset');
    const finished = once(observer!, 'finish');
    observer!.write('22.5');
    // node-coap ends its observe stream when the server answers the notification with RST.
    await within(5_000, 'node-coap stream end after RST', finished);
    expect(server.stats().rejected['unexpected-message']).toBe(1);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { parseHandshakeFragments } from '../../functions/dtls/handshakeFragment.ts';
import { createDtlsServer, type DtlsSession } from '../../functions/dtls/index.ts';
import { AlertDescription, AlertLevel, ContentType, DTLS_1_0, HandshakeType } from '../../functions/dtls/protocol.ts';
import { parseRecords } from '../../functions/dtls/record.ts';
import { PskClient, type PskClientOptions } from './support/pskClient.ts';
import { KEY, nextEvent, startServer, type TestServer } from './support/testServer.ts';

const open: Array<{ close(): unknown }> = [];
const track = <T extends { close(): unknown }>(x: T): T => {
  open.push(x);
  return x;
};

afterEach(async () => {
  for (const x of open.splice(0).reverse()) await x.close();
});

const serverWith = async (...args: Parameters<typeof startServer>): Promise<TestServer> => {
  const s = await startServer(...args);
  track(s.server);
  return s;
};

const client = async (port: number, o: Partial<PskClientOptions> = {}) => track(await PskClient.open({ port, identity: 'dev1', psk: KEY, ...o }));

describe('DTLS server: cookie exchange (RFC 6347 §4.2.1)', () => {
  it('answers a ClientHello without cookie with a HelloVerifyRequest and keeps no state', async () => {
    const { server, port } = await serverWith();
    const c = await client(port);
    const hello = c.helloRecord(Buffer.alloc(0), 0).record;
    // A record sequence number of our choosing, to see it echoed.
    hello.writeUIntBE(7, 5, 6);
    c.sendRaw(hello);
    const [hvr] = parseRecords(await c.nextDatagram()).records;
    expect(hvr?.type).toBe(ContentType.handshake);
    expect(hvr?.sequence).toBe(7);
    const [message] = parseHandshakeFragments(hvr!.fragment);
    expect(message?.msgType).toBe(HandshakeType.helloVerifyRequest);
    expect(message!.body.readUInt16BE(0)).toBe(DTLS_1_0);
    expect(message!.body[2]).toBe(16);
    const stats = server.stats();
    expect(stats.helloVerifyRequestsSent).toBe(1);
    expect(stats.handshakesInProgress).toBe(0);
    expect(stats.sessionsOpen).toBe(0);
  });

  it('accepts a cookie made with the previous secret and refuses one two rotations old', async () => {
    const { server, port } = await serverWith();
    const a = await client(port);
    await a.getCookie();
    server.rotateCookieSecret();
    a.sendRaw(a.sendHelloWithCookie());
    const flight = await a.readServerFlight();
    expect(flight.messages.map((m) => m.msgType)).toEqual([HandshakeType.serverHello, HandshakeType.serverHelloDone]);

    const b = await client(port);
    await b.getCookie();
    server.rotateCookieSecret();
    server.rotateCookieSecret();
    b.sendRaw(b.sendHelloWithCookie());
    const [again] = parseRecords(await b.nextDatagram()).records;
    expect(parseHandshakeFragments(again!.fragment)[0]?.msgType).toBe(HandshakeType.helloVerifyRequest);
  });

  it('refuses a cookie issued to another port', async () => {
    const { port } = await serverWith();
    const a = await client(port);
    await a.getCookie();
    const b = await client(port);
    b.cookie = a.cookie;
    b.sendRaw(b.sendHelloWithCookie());
    const [reply] = parseRecords(await b.nextDatagram()).records;
    expect(parseHandshakeFragments(reply!.fragment)[0]?.msgType).toBe(HandshakeType.helloVerifyRequest);
  });
});

describe('DTLS server: handshake and records', () => {
  it('completes a handshake and exchanges application data both ways', async () => {
    const { server, port, sessions } = await serverWith();
    const c = await client(port);
    const sessionP = nextEvent<DtlsSession>(server, 'session');
    await c.handshake();
    const session = await sessionP;
    expect(session.identity.toString()).toBe('dev1');
    expect(session.remote).toEqual({ address: '127.0.0.1', port: c.localPort, family: 'IPv4' });
    expect(session.extendedMasterSecret).toBe(true);
    const message = nextEvent<Buffer>(session, 'message');
    c.sendRaw(c.applicationData(Buffer.from('ping')));
    expect((await message).toString()).toBe('ping');
    await session.send(Buffer.from('pong'));
    expect((await c.receive()).data.toString()).toBe('pong');
    expect(sessions).toHaveLength(1);
    expect(server.stats().sessionsOpen).toBe(1);
  });

  it('works without extended master secret when the client does not offer it', async () => {
    const { server, port } = await serverWith();
    const c = await client(port, { extendedMasterSecret: false, suite: 'TLS_PSK_WITH_AES_128_CBC_SHA256' });
    const sessionP = nextEvent<DtlsSession>(server, 'session');
    await c.handshake();
    expect((await sessionP).extendedMasterSecret).toBe(false);
  });

  it('refuses a client without extended master secret when told to (handshake_failure)', async () => {
    const { port, failures } = await serverWith({ requireExtendedMasterSecret: true });
    const c = await client(port, { extendedMasterSecret: false });
    await c.getCookie();
    c.sendRaw(c.sendHelloWithCookie());
    await expect(c.readServerFlight()).rejects.toThrow(`alert ${AlertDescription.handshake_failure}`);
    expect(failures.map((f) => f.reason)).toEqual(['no_shared_parameters']);
  });

  it('delivers a replayed record once (anti-replay window, RFC 6347 §4.1.2.6)', async () => {
    const { server, port } = await serverWith();
    const c = await client(port);
    const sessionP = nextEvent<DtlsSession>(server, 'session');
    await c.handshake();
    const session = await sessionP;
    const got: string[] = [];
    session.on('message', (m) => got.push(m.toString()));
    const two = new Promise<void>((resolve) => session.on('message', (m) => m.toString() === 'two' && resolve()));
    const first = c.applicationData(Buffer.from('one'));
    c.sendRaw(first);
    c.sendRaw(first);
    c.sendRaw(c.applicationData(Buffer.from('two')));
    // Loopback keeps order: when "two" is in, the copy of "one" before it has been handled.
    await two;
    expect(got).toEqual(['one', 'two']);
    expect(server.stats().recordsDropped.replayed).toBe(1);
  });

  it('drops a record with a flipped bit and keeps the session (RFC 6347 §4.1.2.7)', async () => {
    const { server, port } = await serverWith();
    const c = await client(port);
    const sessionP = nextEvent<DtlsSession>(server, 'session');
    await c.handshake();
    const session = await sessionP;
    const got: string[] = [];
    session.on('message', (m) => got.push(m.toString()));
    const forged = c.applicationData(Buffer.from('forged'));
    forged[forged.length - 1]! ^= 1;
    c.sendRaw(forged);
    const next = nextEvent(session, 'message');
    c.sendRaw(c.applicationData(Buffer.from('real')));
    await next;
    expect(got).toEqual(['real']);
    expect(server.stats().recordsDropped.bad_record_mac).toBe(1);
    expect(session.closed).toBe(false);
  });

  it('reassembles a fragmented, reversed client flight whose Finished arrives before the key exchange', async () => {
    const { server, port } = await serverWith();
    const c = await client(port);
    await c.getCookie();
    c.sendRaw(c.sendHelloWithCookie());
    c.acceptServerFlight(await c.readServerFlight());
    const records = c.clientFlightRecords(2); // ClientKeyExchange in 2-byte fragments
    expect(records.length).toBeGreaterThan(4);
    const sessionP = nextEvent(server, 'session');
    // Every record in its own datagram, last first, with one fragment sent twice.
    for (const r of [...records].reverse()) c.sendRaw(r);
    c.sendRaw(records[1]!);
    await c.readServerFinished();
    await sessionP;
  });

  it('uses ECDHE_PSK with X25519 when the client offers only that suite', async () => {
    const { server, port } = await serverWith();
    const c = await client(port, { suite: 'TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256' });
    const sessionP = nextEvent<DtlsSession>(server, 'session');
    await c.handshake();
    expect((await sessionP).cipherSuite).toBe('TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256');
  });
});

describe('DTLS server: retransmission (RFC 6347 §4.2.4)', () => {
  it('retransmits its flight on the timer with fresh record numbers, then gives up', async () => {
    const { port, failures, server } = await serverWith({ retransmitInitialMs: 30, retransmitMaxMs: 60, maxRetransmits: 2 });
    const c = await client(port);
    await c.getCookie();
    c.sendRaw(c.sendHelloWithCookie());
    const first = await c.readServerFlight();
    const second = await c.readServerFlight();
    const third = await c.readServerFlight();
    const body = (f: typeof first) => f.messages.map((m) => m.raw.toString('hex'));
    expect(body(second)).toEqual(body(first));
    expect(body(third)).toEqual(body(first));
    const seqs = [first, second, third].flatMap((f) => f.records.map((r) => r.sequence));
    expect(new Set(seqs).size).toBe(seqs.length);
    const failed = await nextEvent<{ reason: string }>(server, 'handshakeFailed');
    expect(failed.reason).toBe('timeout');
    expect(failures).toHaveLength(1);
    expect(server.stats().handshakesInProgress).toBe(0);
  });

  it('retransmits at once when the client repeats its ClientHello', async () => {
    const { port } = await serverWith({ retransmitInitialMs: 30_000 });
    const c = await client(port);
    await c.getCookie();
    const hello = c.sendHelloWithCookie();
    c.sendRaw(hello);
    const first = await c.readServerFlight();
    c.sendRaw(hello);
    const again = await c.readServerFlight(2000);
    expect(again.messages.map((m) => m.msgType)).toEqual(first.messages.map((m) => m.msgType));
  });

  it('repeats its final flight when the client repeats its Finished', async () => {
    const { server, port } = await serverWith();
    const c = await client(port);
    await c.getCookie();
    c.sendRaw(c.sendHelloWithCookie());
    c.acceptServerFlight(await c.readServerFlight());
    const flight = c.clientFlightRecords();
    for (const r of flight) c.sendRaw(r);
    await c.readServerFinished();
    // As if the server's Finished was lost: the client sends its flight again, Finished with a new record number.
    c.sendRaw(flight[0]!);
    c.sendRaw(flight[1]!);
    c.sendRaw(c.finishedRecordAgain());
    await c.readServerFinished();
    expect(server.stats().handshakes.completed).toBe(1);
    expect(server.stats().recordsDropped.stale_handshake).toBe(1);
  });
});

describe('DTLS server: alerts and failures', () => {
  it('sends unknown_psk_identity for an unknown identity', async () => {
    const { port, failures } = await serverWith();
    const c = await client(port, { identity: 'stranger' });
    await c.getCookie();
    c.sendRaw(c.sendHelloWithCookie());
    c.acceptServerFlight(await c.readServerFlight());
    for (const r of c.clientFlightRecords()) c.sendRaw(r);
    await expect(c.readServerFinished()).rejects.toThrow(`alert ${AlertDescription.unknown_psk_identity} (level 2)`);
    expect(failures[0]?.reason).toBe('unknown_psk_identity');
    expect(failures[0]?.identity?.toString()).toBe('stranger');
  });

  it('sends bad_record_mac for a wrong key and opens no session', async () => {
    const { server, port, failures, sessions } = await serverWith();
    const c = await client(port, { psk: Buffer.alloc(16, 7) });
    await c.getCookie();
    c.sendRaw(c.sendHelloWithCookie());
    c.acceptServerFlight(await c.readServerFlight());
    for (const r of c.clientFlightRecords()) c.sendRaw(r);
    await expect(c.readServerFinished()).rejects.toThrow(`alert ${AlertDescription.bad_record_mac} (level 2)`);
    expect(failures[0]?.reason).toBe('bad_record_mac');
    expect(sessions).toHaveLength(0);
    expect(server.stats().alertsSent).toEqual({ bad_record_mac: 1 });
  });

  it('ends the handshake with internal_error when pskLookup throws', async () => {
    const server = track(await createDtlsServer({ host: '127.0.0.1', pskLookup: () => Promise.reject(new Error('registry down')) }));
    const failed = nextEvent<{ reason: string; error: Error }>(server, 'handshakeFailed');
    const c = await client(server.address().port);
    await c.getCookie();
    c.sendRaw(c.sendHelloWithCookie());
    c.acceptServerFlight(await c.readServerFlight());
    for (const r of c.clientFlightRecords()) c.sendRaw(r);
    await expect(c.readServerFinished()).rejects.toThrow(`alert ${AlertDescription.internal_error} (level 2)`);
    const f = await failed;
    expect(f.reason).toBe('psk_lookup_error');
    expect(f.error.message).toBe('registry down');
  });

  it('answers renegotiation with a no_renegotiation warning and keeps the session', async () => {
    const { server, port } = await serverWith();
    const c = await client(port);
    const sessionP = nextEvent<DtlsSession>(server, 'session');
    await c.handshake();
    const session = await sessionP;
    c.sendRaw(c.renegotiationHello());
    const reply = await c.receive();
    expect(reply.type).toBe(ContentType.alert);
    expect([...reply.data]).toEqual([AlertLevel.warning, AlertDescription.no_renegotiation]);
    const message = nextEvent<Buffer>(session, 'message');
    c.sendRaw(c.applicationData(Buffer.from('still here')));
    expect((await message).toString()).toBe('still here');
  });

  it('ignores a plaintext alert aimed at an established session', async () => {
    const { server, port } = await serverWith();
    const c = await client(port);
    const sessionP = nextEvent<DtlsSession>(server, 'session');
    await c.handshake();
    const session = await sessionP;
    c.sendRaw(c.alertRecord(AlertLevel.fatal, AlertDescription.handshake_failure, 0));
    const message = nextEvent<Buffer>(session, 'message');
    c.sendRaw(c.applicationData(Buffer.from('alive')));
    await message;
    expect(session.closed).toBe(false);
    expect(server.stats().recordsDropped.unauthenticated_alert).toBe(1);
  });

  it('answers close_notify with close_notify and closes the session', async () => {
    const { server, port } = await serverWith();
    const c = await client(port);
    const sessionP = nextEvent<DtlsSession>(server, 'session');
    await c.handshake();
    const session = await sessionP;
    const closed = nextEvent<string>(session, 'close');
    c.sendRaw(c.alertRecord(AlertLevel.warning, AlertDescription.close_notify, 1));
    expect(await closed).toBe('peer_close_notify');
    const reply = await c.receive();
    expect([...reply.data]).toEqual([AlertLevel.warning, AlertDescription.close_notify]);
    await expect(session.send(Buffer.from('x'))).rejects.toThrow('is closed');
    expect(server.stats().sessionsOpen).toBe(0);
  });
});

describe('DTLS server: lifecycle', () => {
  it('lets a rebooted client make a new session on the same address, keeping the old one until then (RFC 6347 §4.2.8)', async () => {
    const { server, port } = await serverWith();
    const before = await client(port);
    const firstP = nextEvent<DtlsSession>(server, 'session');
    await before.handshake();
    const first = await firstP;
    const oldRecord = before.applicationData(Buffer.from('old keys'));
    before.detach();

    const after = await PskClient.open({ port, identity: 'dev1', psk: KEY, socket: before.socket });
    await after.getCookie();
    after.sendRaw(after.sendHelloWithCookie());
    after.acceptServerFlight(await after.readServerFlight());
    // Mid-handshake, the old association still works.
    const oldMessage = nextEvent<Buffer>(first, 'message');
    after.sendRaw(oldRecord);
    expect((await oldMessage).toString()).toBe('old keys');

    const replaced = nextEvent<string>(first, 'close');
    const secondP = nextEvent<DtlsSession>(server, 'session');
    for (const r of after.clientFlightRecords()) after.sendRaw(r);
    await after.readServerFinished();
    expect(await replaced).toBe('replaced');
    const second = await secondP;
    expect(second.remote.port).toBe(first.remote.port);
    expect(server.sessions()).toEqual([second]);
    expect(server.stats().sessionsClosed.replaced).toBe(1);
  });

  it('lets a client that restarts mid-handshake start over from the same address', async () => {
    const { server, port, failures } = await serverWith({ retransmitInitialMs: 30_000 });
    const first = await client(port);
    await first.getCookie();
    first.sendRaw(first.sendHelloWithCookie());
    await first.readServerFlight();
    first.detach();
    const second = await PskClient.open({ port, identity: 'dev1', psk: KEY, socket: first.socket });
    const sessionP = nextEvent<DtlsSession>(server, 'session');
    await second.handshake();
    expect((await sessionP).remote.port).toBe(first.localPort);
    expect(failures.map((f) => f.reason)).toEqual(['superseded']);
    expect(server.stats().handshakesInProgress).toBe(0);
    expect(server.stats().sessionsOpen).toBe(1);
  });

  it('closes an idle session with close_notify', async () => {
    const { server, port } = await serverWith({ idleTimeoutMs: 100 });
    const c = await client(port);
    const sessionP = nextEvent<DtlsSession>(server, 'session');
    await c.handshake();
    const session = await sessionP;
    expect(await nextEvent<string>(session, 'close')).toBe('idle');
    const notify = await c.receive();
    expect([...notify.data]).toEqual([AlertLevel.warning, AlertDescription.close_notify]);
    expect(server.stats().sessionsClosed.idle).toBe(1);
  });

  it('limits handshakes in progress, overall and per address', async () => {
    const { server, port } = await serverWith({ maxHandshakes: 2, retransmitInitialMs: 30_000 });
    const clients = [await client(port), await client(port), await client(port)];
    for (const c of clients.slice(0, 2)) {
      await c.getCookie();
      c.sendRaw(c.sendHelloWithCookie());
      await c.readServerFlight();
    }
    const third = clients[2]!;
    await third.getCookie();
    third.sendRaw(third.sendHelloWithCookie());
    // A fresh hello without cookie is answered after the one before it has been processed.
    third.sendRaw(third.helloRecord(Buffer.alloc(0)).record);
    const [reply] = parseRecords(await third.nextDatagram()).records;
    expect(parseHandshakeFragments(reply!.fragment)[0]?.msgType).toBe(HandshakeType.helloVerifyRequest);
    expect(server.stats().recordsDropped.handshake_limit).toBe(1);
    expect(server.stats().handshakesInProgress).toBe(2);

    const perAddress = await serverWith({ maxHandshakesPerAddress: 1, retransmitInitialMs: 30_000 });
    const a = await client(perAddress.port);
    const b = await client(perAddress.port);
    await a.getCookie();
    a.sendRaw(a.sendHelloWithCookie());
    await a.readServerFlight();
    await b.getCookie();
    b.sendRaw(b.sendHelloWithCookie());
    b.sendRaw(b.helloRecord(Buffer.alloc(0)).record);
    await b.nextDatagram();
    expect(perAddress.server.stats().recordsDropped.handshake_limit).toBe(1);
  });

  it('sends close_notify to every session when it closes', async () => {
    const { server, port } = await startServer();
    const c = await client(port);
    const sessionP = nextEvent<DtlsSession>(server, 'session');
    await c.handshake();
    const session = await sessionP;
    const closed = nextEvent<string>(session, 'close');
    await server.close();
    expect(await closed).toBe('server_closed');
    const notify = await c.receive();
    expect([...notify.data]).toEqual([AlertLevel.warning, AlertDescription.close_notify]);
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate, parse } from 'coap-packet';
import { dtls } from 'node-dtls-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DtlsSession, HandshakeFailedEvent } from '../../functions/dtls/index.ts';
import { runClient } from './support/processes.ts';
import { KEY, nextEvent, startServer, type TestServer } from './support/testServer.ts';

/**
 * Interoperability with DTLS stacks nobody here wrote: OpenSSL 3.0 (s_client), libcoap over
 * OpenSSL and over GnuTLS, and node-dtls-client. Each must get a session and an answer with the
 * right key, no session with a wrong one, and the unknown_psk_identity alert for an unknown identity.
 */

const OPENSSL_ID = 'ossl-device';
const COAP_ID = 'coap-device';
const COAP_KEY = 'coap-secret-key'; // libcoap's -k and node-dtls-client take the key as text

let t: TestServer;
let dir: string;

beforeAll(async () => {
  t = await startServer({}, new Map([[OPENSSL_ID, KEY], [COAP_ID, Buffer.from(COAP_KEY)]]));
  t.server.on('session', (session) => {
    session.on('message', (data) => {
      if (session.identity.toString() === OPENSSL_ID) {
        void session.send(Buffer.concat([Buffer.from('echo:'), data]));
        return;
      }
      // Everyone else speaks CoAP: answer any request with 2.05 Content naming the device.
      const request = parse(data);
      const reply = generate({
        messageId: request.messageId,
        token: request.token,
        code: '2.05',
        ack: request.confirmable,
        confirmable: false,
        payload: Buffer.from(`hello ${session.identity.toString()}`),
      });
      void session.send(reply);
    });
  });
  dir = mkdtempSync(join(tmpdir(), 'dtls-interop-'));
});

afterAll(async () => {
  await t.server.close();
  rmSync(dir, { recursive: true, force: true });
});

const target = () => `127.0.0.1:${t.port}`;

/** Expects a handshake that fails with `reason` and opens no session. */
const expectFailure = async (reason: string, run: () => Promise<{ stdout: string; stderr: string }>) => {
  const before = t.sessions.length;
  const failed = nextEvent<HandshakeFailedEvent>(t.server, 'handshakeFailed', 15_000);
  const out = await run();
  expect((await failed).reason).toBe(reason);
  expect(t.sessions.length).toBe(before);
  return out;
};

describe('interop: openssl s_client -dtls1_2 (OpenSSL 3.0)', () => {
  const sClient = (cipher: string, identity: string, key: string, extra: string[] = []) => [
    's_client', '-dtls1_2', '-connect', target(), '-psk_identity', identity, '-psk', key, '-cipher', cipher, ...extra,
  ];

  for (const cipher of ['PSK-AES128-CCM8', 'PSK-AES128-CBC-SHA256', 'ECDHE-PSK-AES128-CBC-SHA256']) {
    it(`${cipher}: the right key gets a session and an answer`, async () => {
      const sessionP = nextEvent<DtlsSession>(t.server, 'session', 15_000);
      const out = await runClient('openssl', sClient(cipher, OPENSSL_ID, KEY.toString('hex'), ['-quiet', '-no_ign_eof']), {
        input: `hello ${cipher}\n`,
        closeStdinWhen: /echo:hello/,
      });
      expect(out.stdout).toContain(`echo:hello ${cipher}`);
      const session = await sessionP;
      expect(session.identity.toString()).toBe(OPENSSL_ID);
      expect(session.extendedMasterSecret).toBe(true);
      expect(session.cipherSuite).toBe(
        { 'PSK-AES128-CCM8': 'TLS_PSK_WITH_AES_128_CCM_8', 'PSK-AES128-CBC-SHA256': 'TLS_PSK_WITH_AES_128_CBC_SHA256', 'ECDHE-PSK-AES128-CBC-SHA256': 'TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256' }[cipher],
      );
    });

    it(`${cipher}: a wrong key gets no session`, async () => {
      const out = await expectFailure('bad_record_mac', () =>
        runClient('openssl', sClient(cipher, OPENSSL_ID, 'ffeeddccbbaa99887766554433221100', ['-quiet']), { input: 'never delivered\n' }),
      );
      expect(out.stderr).toMatch(/alert bad record mac/i);
    });

    it(`${cipher}: an unknown identity gets unknown_psk_identity`, async () => {
      const out = await expectFailure('unknown_psk_identity', () =>
        runClient('openssl', sClient(cipher, 'nobody', KEY.toString('hex'), ['-quiet']), { input: 'never delivered\n' }),
      );
      expect(out.stderr).toMatch(/alert unknown psk identity/i);
    });
  }

  it('resumes a session by id (abbreviated handshake), and refuses to resume once the key is revoked', async () => {
    const file = join(dir, 'session.pem');
    await runClient('openssl', sClient('PSK-AES128-CCM8', OPENSSL_ID, KEY.toString('hex'), ['-quiet', '-no_ign_eof', '-sess_out', file]), {
      input: 'first\n',
      closeStdinWhen: /echo:first/,
    });
    const resumedP = nextEvent<DtlsSession>(t.server, 'session', 15_000);
    const again = await runClient('openssl', sClient('PSK-AES128-CCM8', OPENSSL_ID, KEY.toString('hex'), ['-no_ign_eof', '-sess_in', file]), {
      input: 'second\n',
      closeStdinWhen: /echo:second/,
    });
    expect(again.stdout).toContain('Reused, TLSv1.2, Cipher is PSK-AES128-CCM8');
    expect((await resumedP).resumed).toBe(true);

    // Revoked: the cached session must not come back; the full handshake then fails on the identity.
    t.keys.delete(OPENSSL_ID);
    try {
      const out = await expectFailure('unknown_psk_identity', () =>
        runClient('openssl', sClient('PSK-AES128-CCM8', OPENSSL_ID, KEY.toString('hex'), ['-sess_in', file]), { input: 'x\n' }),
      );
      expect(out.stdout).not.toContain('Reused');
    } finally {
      t.keys.set(OPENSSL_ID, KEY);
    }
  });

  it('refuses renegotiation with a no_renegotiation warning (RFC 5746 §4.4)', async () => {
    const before = t.server.stats().alertsSent.no_renegotiation ?? 0;
    let asked = false;
    // Without -quiet, a line "R" asks s_client to renegotiate.
    const out = await runClient('openssl', sClient('PSK-AES128-CCM8', OPENSSL_ID, KEY.toString('hex'), ['-no_ign_eof']), {
      input: 'before\n',
      onOutput: ({ stdout, stderr }, stdin) => {
        if (!asked && stdout.includes('echo:before')) {
          asked = true;
          stdin.write('R\n');
        }
        if (/no renegotiation/i.test(stderr)) stdin.end();
      },
    });
    expect(out.stderr).toContain('RENEGOTIATING');
    // OpenSSL's client chooses to give up on a refused renegotiation; the server only declined.
    expect(out.stderr).toMatch(/no renegotiation/i);
    expect(t.server.stats().alertsSent.no_renegotiation).toBe(before + 1);
  });
});

describe('interop: libcoap coap-client (OpenSSL and GnuTLS builds)', () => {
  for (const program of ['coap-client-openssl', 'coap-client-gnutls']) {
    const coap = (identity: string, key: string) => [...['-u', identity, '-k', key, '-B', '5', '-m', 'get'], `coaps://${target()}/sensors/temp`];

    it(`${program}: the right key gets a CoAP answer`, async () => {
      const sessionP = nextEvent<DtlsSession>(t.server, 'session', 15_000);
      const out = await runClient(program, coap(COAP_ID, COAP_KEY));
      expect(out.stdout.trim()).toBe(`hello ${COAP_ID}`);
      expect((await sessionP).identity.toString()).toBe(COAP_ID);
    });

    it(`${program}: a wrong key gets no session`, async () => {
      const out = await expectFailure('bad_record_mac', () => runClient(program, coap(COAP_ID, 'not-the-key')));
      expect(out.stdout).not.toContain('hello');
      expect(out.stdout + out.stderr).toMatch(/bad record mac|Alert '20'/i);
    });

    it(`${program}: an unknown identity gets unknown_psk_identity`, async () => {
      const out = await expectFailure('unknown_psk_identity', () => runClient(program, coap('nobody', COAP_KEY)));
      expect(out.stdout + out.stderr).toMatch(/unknown PSK identity|Alert '115'/i);
    });
  }
});

describe('interop: node-dtls-client 1.1.1', () => {
  type Outcome = { reply?: Buffer; error?: Error };
  const exchange = (identity: string, key: string, cipher: 'TLS_PSK_WITH_AES_128_CCM_8' | 'TLS_PSK_WITH_AES_128_CBC_SHA256') =>
    new Promise<Outcome>((resolve) => {
      const socket = dtls.createSocket({ type: 'udp4', address: '127.0.0.1', port: t.port, psk: { [identity]: key }, ciphers: [cipher], timeout: 10_000 });
      const finish = (o: Outcome) => {
        socket.removeAllListeners();
        socket.on('error', () => undefined);
        resolve(o);
      };
      socket.on('connected', () => socket.send(generate({ messageId: 7, token: Buffer.of(1, 2), code: 'GET', confirmable: true, options: [{ name: 'Uri-Path', value: Buffer.from('x') }] })));
      socket.on('message', (reply: Buffer) => {
        socket.close();
        finish({ reply });
      });
      socket.on('error', (error: Error) => finish({ error }));
    });

  for (const cipher of ['TLS_PSK_WITH_AES_128_CCM_8', 'TLS_PSK_WITH_AES_128_CBC_SHA256'] as const) {
    it(`${cipher}: the right key gets a CoAP answer`, async () => {
      const sessionP = nextEvent<DtlsSession>(t.server, 'session');
      const { reply, error } = await exchange(COAP_ID, COAP_KEY, cipher);
      expect(error).toBeUndefined();
      const answer = parse(reply!);
      expect(answer.code).toBe('2.05');
      expect(answer.messageId).toBe(7);
      expect(answer.payload.toString()).toBe(`hello ${COAP_ID}`);
      const session = await sessionP;
      expect(session.cipherSuite).toBe(cipher);
      expect(session.extendedMasterSecret).toBe(false); // this client offers no extensions at all
    });
  }

  it('a wrong key gets no session', async () => {
    let outcome: Outcome = {};
    await expectFailure('bad_record_mac', async () => {
      outcome = await exchange(COAP_ID, 'not-the-key', 'TLS_PSK_WITH_AES_128_CCM_8');
      return { stdout: '', stderr: '' };
    });
    expect(outcome.error?.message).toBe('received fatal alert: bad_record_mac');
  });

  it('an unknown identity gets unknown_psk_identity', async () => {
    let outcome: Outcome = {};
    await expectFailure('unknown_psk_identity', async () => {
      outcome = await exchange('nobody', COAP_KEY, 'TLS_PSK_WITH_AES_128_CCM_8');
      return { stdout: '', stderr: '' };
    });
    expect(outcome.error?.message).toBe('received fatal alert: unknown_psk_identity');
  });
});

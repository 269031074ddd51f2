import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { dtls } from 'node-dtls-client';
import { cipherSuiteByName } from '../../functions/dtls/cipherSuites.ts';
import { createDtlsServer, type DtlsServer, type DtlsSession } from '../../functions/dtls/index.ts';
import { finishedVerifyData, masterSecret, pskPremasterSecret, sha256 } from '../../functions/dtls/prf.ts';
import { additionalData } from '../../functions/dtls/record.ts';
import { createProtection, deriveKeys } from '../../functions/dtls/recordProtection.ts';
import { PskClient } from '../../test/dtls/support/pskClient.ts';
import { rate, timed, type BenchResult, type BenchSuite } from '../lib/report.ts';

const IDENTITY = 'bench-device';
const KEY_TEXT = 'bench-secret-key'; // node-dtls-client takes the key as text
const KEY = Buffer.from(KEY_TEXT);
/** A typical CoAP message (a SenML reading) in one record. */
const PAYLOAD = randomBytes(64);
/** Records in flight at once: small enough that loopback socket buffers never overflow. */
const WINDOW = 64;

/** One full handshake with node-dtls-client (an implementation nobody here wrote), closed as soon as it is up. */
const nodeDtlsHandshake = (port: number) =>
  new Promise<void>((resolve, reject) => {
    const socket = dtls.createSocket({ type: 'udp4', address: '127.0.0.1', port, psk: { [IDENTITY]: KEY_TEXT }, ciphers: ['TLS_PSK_WITH_AES_128_CCM_8'], timeout: 10_000 });
    socket.on('connected', () => {
      socket.close();
      resolve();
    });
    socket.on('error', (err: Error) => reject(new Error(`node-dtls-client handshake failed: ${err.message}`)));
  });

/**
 * What a PSK-CCM8 handshake costs in crypto alone, as node-dtls-client makes it (no extended master
 * secret): cookie HMAC twice, master secret, key block, two Finished. The ceiling for handshakes/s.
 */
const handshakeCrypto = () => {
  const suite = cipherSuiteByName('TLS_PSK_WITH_AES_128_CCM_8');
  const transcript = [randomBytes(120), randomBytes(80), randomBytes(12), randomBytes(30)];
  createHmac('sha256', KEY).update(transcript[0]!).digest();
  createHmac('sha256', KEY).update(transcript[0]!).digest();
  const clientRandom = randomBytes(32);
  const serverRandom = randomBytes(32);
  const master = masterSecret(pskPremasterSecret(KEY), clientRandom, serverRandom);
  const keys = deriveKeys(suite, master, clientRandom, serverRandom);
  createProtection(suite, keys.client);
  createProtection(suite, keys.server);
  finishedVerifyData(master, 'client', sha256(transcript));
  finishedVerifyData(master, 'server', sha256([...transcript, randomBytes(24)]));
};

/** Raw node:crypto AES-128-CCM with 8-byte tags, as the record layer uses it, minus the record layer. */
const rawCcm = (count: number) => {
  const key = randomBytes(16);
  const salt = randomBytes(4);
  const sealed: Array<{ nonce: Buffer; body: Buffer; tag: Buffer }> = [];
  const seal = () => {
    for (let i = 0; i < count; i++) {
      const nonce = Buffer.concat([salt, Buffer.alloc(8, i & 0xff)]);
      const c = createCipheriv('aes-128-ccm', key, nonce, { authTagLength: 8 });
      c.setAAD(additionalData(23, 0xfefd, 1, i, PAYLOAD.length), { plaintextLength: PAYLOAD.length });
      const body = c.update(PAYLOAD);
      c.final();
      sealed.push({ nonce, body, tag: c.getAuthTag() });
    }
  };
  const open = () => {
    for (let i = 0; i < count; i++) {
      const s = sealed[i]!;
      const d = createDecipheriv('aes-128-ccm', key, s.nonce, { authTagLength: 8 });
      d.setAuthTag(s.tag);
      d.setAAD(additionalData(23, 0xfefd, 1, i, s.body.length), { plaintextLength: s.body.length });
      d.update(s.body);
      d.final();
    }
  };
  return { seal, open };
};

const startServer = async (): Promise<{ server: DtlsServer; close: () => Promise<void> }> => {
  // A large receive buffer where the OS allows it: the bench measures the server, not packet loss.
  const socket = createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const server = await createDtlsServer({ socket, pskLookup: (id) => Promise.resolve(id.toString() === IDENTITY ? KEY : undefined) });
  // The server leaves a socket it was given open: closing it is ours to do.
  return { server, close: async () => {
    await server.close();
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  } };
};

export const dtlsSuite: BenchSuite = {
  name: 'dtls',
  description: 'DTLS 1.2 PSK server: full handshakes/s (node-dtls-client) and protected records/s in and out, beside raw AES-128-CCM-8',
  async run({ quick, log }) {
    const handshakes = quick ? 40 : 1000;
    const concurrency = 8;
    const records = quick ? 5_000 : 200_000;
    const results: BenchResult[] = [];
    const { server, close } = await startServer();
    const port = server.address().port;
    try {
      // Handshakes: node-dtls-client, `concurrency` at a time, each on its own socket (cookie exchange included).
      log(`handshakes: ${handshakes} with node-dtls-client, ${concurrency} at a time`);
      const crypto = await timed(() => {
        for (let i = 0; i < handshakes; i++) handshakeCrypto();
      });
      const hs = await timed(async () => {
        let next = 0;
        const worker = async () => {
          while (next < handshakes) {
            next++;
            await nodeDtlsHandshake(port);
          }
        };
        await Promise.all(Array.from({ length: concurrency }, worker));
      });
      const completed = server.stats().handshakes.completed;
      if (completed < handshakes) throw new Error(`only ${completed} of ${handshakes} handshakes completed`);
      const hsRate = rate(handshakes, hs.ms);
      const cryptoRate = rate(handshakes, crypto.ms);
      results.push({
        metric: `full handshakes, PSK-CCM8 (node-dtls-client, ${concurrency} concurrent)`,
        value: hsRate,
        unit: 'handshakes/s',
        baseline: 'the same handshake\'s crypto alone',
        baselineValue: cryptoRate,
        ratio: hsRate / cryptoRate,
        goal: '>= 100 handshakes/s',
        goalMet: hsRate >= 100,
      });

      // Records: our own test client (it exposes its keys, so it can pre-seal records and never be the bottleneck).
      log(`records: ${records.toLocaleString('en-US')} of ${PAYLOAD.length} bytes each way`);
      const client = await PskClient.open({ port, identity: IDENTITY, psk: KEY });
      const sessionP = new Promise<DtlsSession>((resolve) => server.once('session', resolve));
      await client.handshake();
      const session = await sessionP;
      const prepared = Array.from({ length: records }, () => client.applicationData(PAYLOAD));
      const raw = rawCcm(records);
      const rawSeal = await timed(raw.seal);
      const rawOpen = await timed(raw.open);

      let received = 0;
      let onBatch: (() => void) | undefined;
      let target = 0;
      session.on('message', () => {
        received++;
        if (received >= target) onBatch?.();
      });
      const inbound = await timed(async () => {
        for (let at = 0; at < records; at += WINDOW) {
          const batch = prepared.slice(at, at + WINDOW);
          target = at + batch.length;
          const done = new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`records lost on loopback: ${received} of ${target} arrived`)), 5000);
            onBatch = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          for (const r of batch) client.sendRaw(r);
          await done;
        }
      });
      const inRate = rate(records, inbound.ms);
      const rawOpenRate = rate(records, rawOpen.ms);
      results.push({
        metric: 'protected records in (server opens, CCM-8, 64 B)',
        value: inRate,
        unit: 'records/s',
        baseline: 'raw AES-128-CCM-8 open',
        baselineValue: rawOpenRate,
        ratio: inRate / rawOpenRate,
        goal: '>= 20,000 records/s',
        goalMet: inRate >= 20_000,
      });

      const outbound = await timed(async () => {
        for (let at = 0; at < records; at += WINDOW) {
          const sends: Array<Promise<void>> = [];
          for (let i = at; i < Math.min(records, at + WINDOW); i++) sends.push(session.send(PAYLOAD));
          await Promise.all(sends);
        }
      });
      const outRate = rate(records, outbound.ms);
      const rawSealRate = rate(records, rawSeal.ms);
      results.push({
        metric: 'protected records out (session.send, CCM-8, 64 B)',
        value: outRate,
        unit: 'records/s',
        baseline: 'raw AES-128-CCM-8 seal',
        baselineValue: rawSealRate,
        ratio: outRate / rawSealRate,
        goal: '>= 20,000 records/s',
        goalMet: outRate >= 20_000,
      });
      client.close();
    } finally {
      await close();
    }
    return results;
  },
};

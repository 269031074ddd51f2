/**
 * The simulated devices of the ingest benchmark, in their own process so that the server being
 * measured has its core to itself (as it would in the field).
 *
 * Protocol on stdin/stdout (keys never go on the command line): the first stdin line is the JSON
 * job; the process prints `ready` once every device is connected, starts on the next stdin line,
 * and prints one JSON result line.
 *
 * job: { port, ca, certs: [{commonName, certificatePem, privateKeyPem, clientId?}], perClient,
 *        window, mode: 'burst' | { rate, seconds } }
 */
import { createInterface } from 'node:readline';
import mqtt, { type MqttClient } from 'mqtt';
import { encodeSenmlCbor } from '../../schemas/senml/index.ts';
import { topics } from '../../schemas/topics/topics.ts';

interface Cert {
  commonName: string;
  certificatePem: string;
  privateKeyPem: string;
}
interface Job {
  port: number;
  ca: string;
  certs: Cert[];
  perClient: number;
  window: number;
  /** Offset added to reading numbers so repeated jobs send new facts. */
  offset: number;
  mode: 'burst' | { rate: number; seconds: number };
}

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const nextLine = async (): Promise<string> => {
  const next: IteratorResult<string> = await lines.next();
  if (next.done) throw new Error('stdin closed before the expected line');
  return next.value;
};
let job: Job;

/** A reading stamped with the wall-clock send time (ms) so the server side can measure latency. */
const reading = (n: number, sentAt = 0) =>
  Buffer.from(encodeSenmlCbor([{ bn: '/3303/0/', bt: 1767225600 + n, n: '5700', v: n, u: 'Cel' }, { bn: '/3/0/', n: '13', v: sentAt }], { profile: 'lwm2m' }));

const connect = (c: Cert) =>
  new Promise<MqttClient>((resolve, reject) => {
    const client = mqtt.connect({ protocol: 'mqtts', host: '127.0.0.1', port: job.port, clientId: c.commonName, protocolVersion: 4, reconnectPeriod: 0, ca: job.ca, cert: c.certificatePem, key: c.privateKeyPem });
    client.once('connect', () => resolve(client));
    client.once('error', reject);
  });

const main = async () => {
  job = JSON.parse(await nextLine()) as Job;
  const clients = await Promise.all(job.certs.map(connect));
  // Connected: tell the parent, and start only when it says so, so its clock measures the load alone.
  process.stdout.write('ready\n');
  await nextLine();
  const topicOf = (i: number) => topics.deviceState(job.certs[i]!.commonName);
  const start = performance.now();
  if (job.mode === 'burst') {
    await Promise.all(
      clients.map(async (client, c) => {
        let next = 0;
        const lane = async () => {
          while (next < job.perClient) {
            const n = next++;
            await client.publishAsync(topicOf(c), reading(job.offset + c * job.perClient + n), { qos: 1 });
          }
        };
        await Promise.all(Array.from({ length: job.window }, lane));
      }),
    );
  } else {
    const { rate, seconds } = job.mode;
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < rate * seconds; i++) {
      const wait = start + (i * 1000) / rate - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const c = i % clients.length;
      sends.push(clients[c]!.publishAsync(topicOf(c), reading(job.offset + i, performance.timeOrigin + performance.now()), { qos: 1 }));
    }
    await Promise.all(sends);
  }
  const ms = performance.now() - start;
  await Promise.all(clients.map((c) => c.endAsync(true)));
  lines.return?.().catch(() => undefined);
  process.stdout.write(JSON.stringify({ ms, sent: job.mode === 'burst' ? clients.length * job.perClient : job.mode.rate * job.mode.seconds }) + '\n');
};

main().catch((err: unknown) => {
  process.stderr.write(`device load failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

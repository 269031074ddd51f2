/**
 * A child process for crash tests: starts the embedded runtime on the data dir given in
 * FLEET_DATA_DIR and appends forever, printing `ack <eventId>` only after each append resolved
 * (which is after its commit). The parent kills it with SIGKILL or SIGTERM at a moment of its choosing.
 */
import { loadConfig } from '../../infra/embedded/config.ts';
import { startRuntime } from '../../infra/embedded/runtime.ts';
import { provisioned, reported } from './events.ts';

const runtime = await startRuntime(loadConfig());
process.on('SIGTERM', () => {
  runtime.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
process.stdout.write(`ready ${runtime.url}\n`);

let i = 0;
const loop = async (): Promise<void> => {
  for (;;) {
    const batch = i % 3 === 0 ? 1 : 5;
    const requests = Array.from({ length: batch }, (_, k) => {
      const n = i + k;
      const event = n < 50 ? provisioned(`meter-${n}`) : reported(`meter-${n % 50}`, '/3303/0/5700', n, new Date(Date.UTC(2026, 0, 1, 0, 0, 0, n)).toISOString());
      return { streamId: `device-meter-${n % 50}`, expectedVersion: 'any' as const, events: [event] };
    });
    const outcomes = await runtime.events.appendBatch(requests);
    const acks = outcomes.flatMap((o) => (o.ok ? o.result.events.map((e) => `ack ${e.eventId}\n`) : []));
    process.stdout.write(acks.join(''));
    i += batch;
    // Yield so projections run live alongside the appends.
    await new Promise((r) => setImmediate(r));
  }
};
await loop();
